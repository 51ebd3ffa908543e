ALTER TABLE demands DROP COLUMN monthly_kg;
