-- Supply contracts with monthly call-offs, stream and intake profiles (docs/SUPPLY.md). A call-off
-- is a deal without an offer.
-- SQLite cannot drop a NOT NULL: the deals table is rebuilt (transfers keep their references, the
-- check waits for the commit).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE deals_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    offer_id TEXT  UNIQUE REFERENCES offers (id),
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

-- Supply contracts (供货协议) on a recurring lot: term, monthly band, price and quality terms.
CREATE TABLE supply_contracts (
    id TEXT PRIMARY KEY NOT NULL,
    listing_id TEXT NOT NULL REFERENCES listings (id),
    demand_id TEXT REFERENCES demands (id),
    producer_org_id TEXT NOT NULL REFERENCES organizations (id),
    receiver_org_id TEXT NOT NULL REFERENCES organizations (id),
    proposed_by_org_id TEXT NOT NULL REFERENCES organizations (id),
    -- Whose turn it is to answer the terms; NULL once agreed or ended.
    awaiting_org_id TEXT REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'countered', 'agreed', 'active', 'suspended',
        'ended', 'terminated')),
    status_reason TEXT,
    -- Months, YYYY-MM, both included.
    start_month TEXT NOT NULL CHECK (length(start_month) = 7),
    end_month TEXT NOT NULL CHECK (length(end_month) = 7 AND end_month >= start_month),
    min_monthly_kg BIGINT NOT NULL CHECK (min_monthly_kg >= 0),
    max_monthly_kg BIGINT NOT NULL CHECK (max_monthly_kg > 0 AND max_monthly_kg >= min_monthly_kg),
    price_fen_per_t BIGINT NOT NULL,
    -- JSON: quarter (YYYY-Qn) → fen per tonne, overriding the base price.
    price_schedule TEXT NOT NULL,
    delivery_terms TEXT NOT NULL CHECK (delivery_terms IN ('pickup', 'delivered')),
    intended_use TEXT NOT NULL,
    receiving_site_id TEXT REFERENCES sites (id),
    -- JSON, as a demand states them.
    property_bounds TEXT NOT NULL,
    min_grades TEXT NOT NULL,
    message TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX supply_contracts_listing_idx ON supply_contracts (listing_id, status);
CREATE INDEX supply_contracts_producer_idx ON supply_contracts (producer_org_id, id);
CREATE INDEX supply_contracts_receiver_idx ON supply_contracts (receiver_org_id, id);
CREATE INDEX supply_contracts_status_idx ON supply_contracts (status, id);

-- A month of a contract: a deal (its truckloads, delivered and settled figures) with the band it
-- was called against.
CREATE TABLE call_offs (
    deal_id TEXT PRIMARY KEY NOT NULL REFERENCES deals (id),
    contract_id TEXT NOT NULL REFERENCES supply_contracts (id),
    month TEXT NOT NULL CHECK (length(month) = 7),
    min_kg BIGINT NOT NULL CHECK (min_kg >= 0),
    max_kg BIGINT NOT NULL CHECK (max_kg >= min_kg),
    -- Why the call-off is held (the stream's lab report); NULL when it runs.
    held_reason TEXT,
    band_flag TEXT CHECK (band_flag IN ('shortfall', 'within', 'excess')),
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (contract_id, month)
);
CREATE INDEX call_offs_open_idx ON call_offs (closed_at, month);

-- The stream's lab reports as the contract keeps them; the latest one rules.
CREATE TABLE contract_lab_reports (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES supply_contracts (id),
    lab_name TEXT,
    report_no TEXT,
    sampled_on DATE,
    properties TEXT NOT NULL,
    grades TEXT NOT NULL,
    -- What the contract had delivered when the report was filed: it covers what comes after.
    delivered_before_kg BIGINT NOT NULL CHECK (delivered_before_kg >= 0),
    -- Why the values break the contract's quality terms; NULL when they keep them.
    breach TEXT,
    filed_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contract_lab_reports_contract_idx ON contract_lab_reports (contract_id, created_at);

-- A recurring lot's 12-month generation profile (JSON, kg per calendar month) and its yard.
CREATE TABLE stream_profiles (
    listing_id TEXT PRIMARY KEY NOT NULL REFERENCES listings (id),
    monthly_kg TEXT NOT NULL,
    yard_stock_kg BIGINT CHECK (yard_stock_kg >= 0),
    yard_capacity_kg BIGINT CHECK (yard_capacity_kg > 0),
    updated_at TIMESTAMP NOT NULL
);

-- A recurring demand's 12-month intake profile (JSON, kg per calendar month).
CREATE TABLE intake_profiles (
    demand_id TEXT PRIMARY KEY NOT NULL REFERENCES demands (id),
    monthly_kg TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
