-- Demands ("wanted"): what receivers and research organizations look for, and the queue of
-- matches waiting for their hourly digest.

CREATE TABLE demands (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    title TEXT NOT NULL,
    -- Category codes, comma-separated (e.g. "SW01,SW04").
    categories TEXT NOT NULL,
    -- Sub-type codes, comma-separated; empty = any sub-type.
    subtypes TEXT NOT NULL DEFAULT '',
    -- {"loi_pct": {"max": 8.0}, ...} as JSON text.
    property_bounds TEXT NOT NULL DEFAULT '{}',
    -- {"fly_ash": "II"} as JSON text: that grade or better.
    min_grades TEXT NOT NULL DEFAULT '{}',
    quantity_kg BIGINT NOT NULL CHECK (quantity_kg > 0),
    supply_pattern TEXT NOT NULL CHECK (supply_pattern IN ('one_off', 'recurring')),
    max_distance_km DOUBLE PRECISION NOT NULL CHECK (max_distance_km > 0),
    -- Most it pays per tonne (positive) or least gate fee it accepts (negative), in fen.
    price_limit_fen BIGINT NOT NULL,
    window_from TIMESTAMP NOT NULL,
    window_until TIMESTAMP,
    intended_use TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paused', 'fulfilled', 'closed')),
    region_code TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    last_digest_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX demands_org_idx ON demands (organization_id, id);
CREATE INDEX demands_status_idx ON demands (status, id);

CREATE TABLE demand_digest_items (
    demand_id TEXT NOT NULL REFERENCES demands (id),
    listing_id TEXT NOT NULL REFERENCES listings (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (demand_id, listing_id)
);
