DROP TABLE intake_profiles;
DROP TABLE stream_profiles;
DROP TABLE contract_lab_reports;
DELETE FROM transfers WHERE deal_id IN (SELECT deal_id FROM call_offs);
CREATE TEMPORARY TABLE call_off_deals AS SELECT deal_id FROM call_offs;
DROP TABLE call_offs;
DROP TABLE supply_contracts;
DELETE FROM deals WHERE id IN (SELECT deal_id FROM call_off_deals);
DROP TABLE call_off_deals;
-- SQLite cannot drop a NOT NULL: the deals table is rebuilt (transfers keep their references, the
-- check waits for the commit).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE deals_rebuilt (
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
    updated_at TIMESTAMP NOT NULL,
    settled_fen BIGINT,
    receiving_site_id TEXT REFERENCES sites (id)
);
INSERT INTO deals_rebuilt SELECT id, offer_id, listing_id, producer_org_id, receiver_org_id,
    price_fen_per_t, quantity_kg, amount_fen, intended_use, status, status_reason, delivered_kg,
    research_project_id, version, completed_at, created_at, updated_at, settled_fen,
    receiving_site_id FROM deals;
DROP TABLE deals;
ALTER TABLE deals_rebuilt RENAME TO deals;
CREATE INDEX deals_producer_idx ON deals (producer_org_id, id);
CREATE INDEX deals_receiver_idx ON deals (receiver_org_id, id);
CREATE INDEX deals_status_idx ON deals (status, id);
CREATE INDEX deals_listing_idx ON deals (listing_id);
