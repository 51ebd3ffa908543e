DROP INDEX city_profiles_one_home_idx;
DELETE FROM city_profiles WHERE NOT home;
ALTER TABLE city_profiles DROP COLUMN home;
