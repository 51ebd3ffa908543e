DROP INDEX listings_match_idx;
