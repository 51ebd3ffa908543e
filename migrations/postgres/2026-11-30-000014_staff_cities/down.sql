ALTER TABLE users DROP COLUMN staff_cities;
