-- A demand's page of lots (docs/DECISIONS.md, "A demand's page of lots without scoring them
-- all"): published lots in a box, from a GiST index on the lot's point that carries every term
-- a lot's ceiling and the database's filters read (an index-only scan). Searches never state
-- `point(lon, lat)`, so their plans keep walking their own indexes.
CREATE INDEX listings_match_idx ON listings USING gist (point(lon, lat))
  INCLUDE (category_code, lat, lon, search_price_fen, min_order_kg, available_until,
           available_from, remaining_kg, published_at, delivery_terms, monthly_kg, id)
  WHERE status = 'published';
