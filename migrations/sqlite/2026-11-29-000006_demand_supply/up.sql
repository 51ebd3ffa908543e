-- A demand states its supply pattern as a lot does: a recurring demand wants `monthly_kg` a month;
-- `quantity_kg` is the whole of what it wants. Recurring demands so far stated their monthly
-- tonnage as the quantity.
ALTER TABLE demands ADD COLUMN monthly_kg BIGINT CHECK (monthly_kg IS NULL OR monthly_kg > 0);
UPDATE demands SET monthly_kg = quantity_kg WHERE supply_pattern = 'recurring';
