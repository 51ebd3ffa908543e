DROP TRIGGER listing_texts_fts_update;
DROP TRIGGER listing_texts_fts_delete;
DROP TRIGGER listing_texts_fts_insert;
DROP TABLE listing_texts_fts;
DROP TABLE listing_texts;
