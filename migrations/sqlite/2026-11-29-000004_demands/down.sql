DROP TABLE demand_digest_items;
DROP TABLE demands;
