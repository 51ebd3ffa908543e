DROP TABLE indicators;
DROP TABLE key_project_reports;
DROP TABLE key_projects;
DROP TABLE output_values;
DROP TABLE capacities;
DROP TABLE declarations;
