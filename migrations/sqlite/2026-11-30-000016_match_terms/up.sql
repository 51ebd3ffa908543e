-- A demand's page of lots (docs/DECISIONS.md, "A demand's page of lots without scoring them
-- all"): the match index carries every term a lot's ceiling and the database's filters read, so
-- the first pass over a dense market reads no listing row.
DROP INDEX listings_match_idx;
CREATE INDEX listings_match_idx ON listings (status, category_code, lat, lon, search_price_fen,
  min_order_kg, available_until, available_from, remaining_kg, published_at, delivery_terms,
  monthly_kg, id);
