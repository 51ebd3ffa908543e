DROP TABLE listing_texts;
