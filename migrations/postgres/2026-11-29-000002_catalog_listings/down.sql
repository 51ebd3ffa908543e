DROP TABLE listing_attachments;
DROP TABLE listing_grades;
DROP TABLE listing_properties;
DROP TABLE listings;
DROP TABLE category_properties;
DROP TABLE category_subtypes;
DROP TABLE categories;
