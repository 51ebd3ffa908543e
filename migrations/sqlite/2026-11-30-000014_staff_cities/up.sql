-- Cities as scopes (docs/CITY.md, "Cities"): the prefecture-level cities (4-digit region codes,
-- comma-separated) a staff member works for; NULL for the whole platform.
ALTER TABLE users ADD COLUMN staff_cities TEXT;
