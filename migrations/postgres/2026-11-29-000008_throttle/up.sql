-- Throttle counters in the database, so every instance sees the same ones and a restart does not
-- reset them: hits of a key in its current fixed window.
CREATE TABLE throttle_hits (
    key TEXT PRIMARY KEY NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits BIGINT NOT NULL
);
