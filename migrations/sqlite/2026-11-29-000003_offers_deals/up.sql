-- Sealed offers on listings, the deals they become, and the truckloads (transfer manifests,
-- 转移联单) that deliver them.

CREATE TABLE offers (
    id TEXT PRIMARY KEY NOT NULL,
    listing_id TEXT NOT NULL REFERENCES listings (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    quantity_kg BIGINT NOT NULL CHECK (quantity_kg > 0),
    price_fen_per_t BIGINT NOT NULL,
    window_from TIMESTAMP,
    window_until TIMESTAMP,
    intended_use TEXT NOT NULL CHECK (intended_use IN ('cement', 'concrete', 'road_base', 'bricks_blocks',
        'backfill_restoration', 'mineral_recovery', 'research_trial', 'other')),
    message TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'countered', 'accepted', 'rejected', 'withdrawn',
        'expired', 'invalidated')),
    status_reason TEXT,
    counter_price_fen_per_t BIGINT,
    counter_quantity_kg BIGINT CHECK (counter_quantity_kg > 0),
    counter_message TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX offers_listing_idx ON offers (listing_id, status);
CREATE INDEX offers_organization_idx ON offers (organization_id, id);
CREATE INDEX offers_expiry_idx ON offers (status, expires_at);

CREATE TABLE deals (
    id TEXT PRIMARY KEY NOT NULL,
    offer_id TEXT NOT NULL UNIQUE REFERENCES offers (id),
    listing_id TEXT NOT NULL REFERENCES listings (id),
    producer_org_id TEXT NOT NULL REFERENCES organizations (id),
    receiver_org_id TEXT NOT NULL REFERENCES organizations (id),
    price_fen_per_t BIGINT NOT NULL,
    quantity_kg BIGINT NOT NULL CHECK (quantity_kg > 0),
    amount_fen BIGINT NOT NULL,
    intended_use TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending_approval', 'approved', 'in_transfer', 'completed',
        'on_hold', 'cancelled', 'disputed')),
    status_reason TEXT,
    delivered_kg BIGINT NOT NULL DEFAULT 0 CHECK (delivered_kg >= 0),
    research_project_id TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    completed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX deals_producer_idx ON deals (producer_org_id, id);
CREATE INDEX deals_receiver_idx ON deals (receiver_org_id, id);
CREATE INDEX deals_status_idx ON deals (status, id);
CREATE INDEX deals_listing_idx ON deals (listing_id);

CREATE TABLE transfers (
    id TEXT PRIMARY KEY NOT NULL,
    deal_id TEXT NOT NULL REFERENCES deals (id),
    manifest_no TEXT NOT NULL UNIQUE,
    carrier TEXT NOT NULL,
    vehicle_plate TEXT NOT NULL,
    driver TEXT NOT NULL,
    ticket_no TEXT NOT NULL,
    gross_kg BIGINT NOT NULL CHECK (gross_kg > 0),
    tare_kg BIGINT NOT NULL CHECK (tare_kg >= 0),
    net_kg BIGINT NOT NULL CHECK (net_kg > 0 AND net_kg = gross_kg - tare_kg),
    dispatched_at TIMESTAMP NOT NULL,
    received_net_kg BIGINT CHECK (received_net_kg >= 0),
    received_at TIMESTAMP,
    difference_flagged BOOLEAN NOT NULL DEFAULT FALSE,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX transfers_deal_idx ON transfers (deal_id, id);
