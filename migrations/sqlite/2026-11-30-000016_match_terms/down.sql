DROP INDEX listings_match_idx;
CREATE INDEX listings_match_idx ON listings (status, category_code, lat, lon);
