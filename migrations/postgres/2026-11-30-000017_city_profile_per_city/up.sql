-- Every city of the platform may have its profile (docs/CITY.md "Cities"); one of them is the
-- platform's own city, the home, whose name frames the pages and whose indicator tasks are set.
ALTER TABLE city_profiles ADD COLUMN home BOOLEAN NOT NULL DEFAULT FALSE;
-- Until now a platform held one profile at most: that one is the home.
UPDATE city_profiles SET home = TRUE;
CREATE UNIQUE INDEX city_profiles_one_home_idx ON city_profiles (home) WHERE home;
