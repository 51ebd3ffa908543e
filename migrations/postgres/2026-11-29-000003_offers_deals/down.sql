DROP TABLE transfers;
DROP TABLE deals;
DROP TABLE offers;
