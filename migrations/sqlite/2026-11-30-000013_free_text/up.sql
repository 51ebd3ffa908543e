-- Free-text search (docs/DECISIONS.md, "Free-text search"): each lot's title and description,
-- lowercased by the service, and an FTS5 trigram index over them. A rare word is looked up in the
-- index; a common one is checked row by row while walking the sort order.
CREATE TABLE listing_texts (
    -- The FTS index points at this rowid; an explicit INTEGER PRIMARY KEY survives VACUUM.
    fts_rowid INTEGER PRIMARY KEY,
    listing_id TEXT NOT NULL UNIQUE REFERENCES listings (id),
    search_text TEXT NOT NULL
);

INSERT INTO listing_texts (listing_id, search_text)
SELECT id, lower(title) || char(10) || lower(description) FROM listings;

CREATE VIRTUAL TABLE listing_texts_fts USING fts5 (
    search_text,
    content = 'listing_texts',
    content_rowid = 'fts_rowid',
    tokenize = 'trigram'
);

INSERT INTO listing_texts_fts (listing_texts_fts) VALUES ('rebuild');

CREATE TRIGGER listing_texts_fts_insert AFTER INSERT ON listing_texts BEGIN
    INSERT INTO listing_texts_fts (rowid, search_text) VALUES (new.fts_rowid, new.search_text);
END;

CREATE TRIGGER listing_texts_fts_delete AFTER DELETE ON listing_texts BEGIN
    INSERT INTO listing_texts_fts (listing_texts_fts, rowid, search_text)
    VALUES ('delete', old.fts_rowid, old.search_text);
END;

CREATE TRIGGER listing_texts_fts_update AFTER UPDATE ON listing_texts BEGIN
    INSERT INTO listing_texts_fts (listing_texts_fts, rowid, search_text)
    VALUES ('delete', old.fts_rowid, old.search_text);
    INSERT INTO listing_texts_fts (rowid, search_text) VALUES (new.fts_rowid, new.search_text);
END;
