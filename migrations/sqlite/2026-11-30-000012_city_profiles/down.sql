DROP TABLE city_profiles;
