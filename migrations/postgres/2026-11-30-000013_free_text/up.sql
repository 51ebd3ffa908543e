-- Free-text search (docs/DECISIONS.md, "Free-text search"): each lot's title and description,
-- lowercased by the service, and a pg_trgm index over them. A rare word is looked up in the
-- index; a common one is checked row by row while walking the sort order.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE listing_texts (
    listing_id TEXT PRIMARY KEY REFERENCES listings (id),
    search_text TEXT NOT NULL
);

INSERT INTO listing_texts (listing_id, search_text)
SELECT id, lower(title) || chr(10) || lower(description) FROM listings;

CREATE INDEX listing_texts_trgm_idx ON listing_texts USING gin (search_text gin_trgm_ops);
