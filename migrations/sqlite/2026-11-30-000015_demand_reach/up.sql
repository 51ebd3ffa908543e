-- Incremental matching (docs/DECISIONS.md, "Incremental matching"): each demand's reach, the
-- box around its site that its radius can touch, written by the service with every create and
-- edit. A published lot asks an R*Tree which open demands' boxes hold it, instead of reading
-- every open demand. Triggers keep the tree to the open demands.
-- A demand written without its reach reaches everywhere: wider than needed, never narrower.
-- Demands written before this migration get the box's latitudes exactly and every longitude
-- (SQLite has no cosine); their next edit narrows it.
ALTER TABLE demands ADD COLUMN reach_south DOUBLE PRECISION NOT NULL DEFAULT -90;
ALTER TABLE demands ADD COLUMN reach_north DOUBLE PRECISION NOT NULL DEFAULT 90;
ALTER TABLE demands ADD COLUMN reach_west DOUBLE PRECISION NOT NULL DEFAULT -360;
ALTER TABLE demands ADD COLUMN reach_east DOUBLE PRECISION NOT NULL DEFAULT 360;

UPDATE demands SET
    reach_south = lat - max_distance_km / 6371.0088 * 57.29577951308232,
    reach_north = lat + max_distance_km / 6371.0088 * 57.29577951308232,
    reach_west = -360,
    reach_east = 360;

-- The R*Tree's keys are integers and a demand's are UUIDs: one stable integer per demand (an
-- INTEGER PRIMARY KEY survives VACUUM, an implicit rowid does not). The demand's categories
-- ride along, so the lot's category is checked on this narrow row before a demand is read.
CREATE TABLE demand_reach_keys (
    reach_id INTEGER PRIMARY KEY,
    demand_id TEXT NOT NULL UNIQUE REFERENCES demands (id),
    categories TEXT NOT NULL
);
INSERT INTO demand_reach_keys (demand_id, categories) SELECT id, categories FROM demands;

CREATE VIRTUAL TABLE demand_reaches USING rtree (reach_id, south, north, west, east);
INSERT INTO demand_reaches
SELECT k.reach_id, d.reach_south, d.reach_north, d.reach_west, d.reach_east
FROM demands d JOIN demand_reach_keys k ON k.demand_id = d.id
WHERE d.status = 'open';

CREATE TRIGGER demands_reach_insert AFTER INSERT ON demands BEGIN
    INSERT INTO demand_reach_keys (demand_id, categories) VALUES (new.id, new.categories);
    INSERT INTO demand_reaches
    SELECT k.reach_id, new.reach_south, new.reach_north, new.reach_west, new.reach_east
    FROM demand_reach_keys k WHERE k.demand_id = new.id AND new.status = 'open';
END;

CREATE TRIGGER demands_reach_update
AFTER UPDATE OF status, reach_south, reach_north, reach_west, reach_east ON demands BEGIN
    DELETE FROM demand_reaches
    WHERE reach_id = (SELECT reach_id FROM demand_reach_keys WHERE demand_id = old.id);
    INSERT INTO demand_reaches
    SELECT k.reach_id, new.reach_south, new.reach_north, new.reach_west, new.reach_east
    FROM demand_reach_keys k WHERE k.demand_id = new.id AND new.status = 'open';
END;

CREATE TRIGGER demands_reach_delete BEFORE DELETE ON demands BEGIN
    DELETE FROM demand_reaches
    WHERE reach_id = (SELECT reach_id FROM demand_reach_keys WHERE demand_id = old.id);
    DELETE FROM demand_reach_keys WHERE demand_id = old.id;
END;

-- The other way round, a demand reads the lots of its categories inside its box: category and
-- latitude from the index's range, longitude checked in the index before any row is read.
CREATE INDEX listings_match_idx ON listings (status, category_code, lat, lon);
