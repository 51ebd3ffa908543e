DROP INDEX demands_reach_idx;
ALTER TABLE demands DROP COLUMN reach_south;
ALTER TABLE demands DROP COLUMN reach_north;
ALTER TABLE demands DROP COLUMN reach_west;
ALTER TABLE demands DROP COLUMN reach_east;
