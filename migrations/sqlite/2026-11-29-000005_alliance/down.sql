DROP TABLE co2_factors;
DROP TABLE research_projects;
