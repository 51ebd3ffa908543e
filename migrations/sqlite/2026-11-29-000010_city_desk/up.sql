-- The city desk (docs/CITY.md): producers' generation and storage declarations, the capacity
-- registry, the city's output values, key projects with their progress reports, and indicators.

CREATE TABLE declarations (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    category_code TEXT NOT NULL REFERENCES categories (code),
    -- The month, YYYY-MM.
    period TEXT NOT NULL CHECK (length(period) = 7),
    -- The site's district when declared, for district figures.
    region_code TEXT NOT NULL,
    generated_kg BIGINT NOT NULL CHECK (generated_kg >= 0),
    utilised_in_house_kg BIGINT NOT NULL CHECK (utilised_in_house_kg >= 0),
    sent_out_kg BIGINT NOT NULL CHECK (sent_out_kg >= 0),
    -- What the exchange's received truckloads came to when declared.
    sent_out_on_exchange_kg BIGINT NOT NULL CHECK (sent_out_on_exchange_kg >= 0),
    -- Why sent_out differs from the exchange's figure (off-exchange flows).
    sent_out_reason TEXT,
    disposed_kg BIGINT NOT NULL CHECK (disposed_kg >= 0),
    stored_end_kg BIGINT NOT NULL CHECK (stored_end_kg >= 0),
    prior_stock_utilised_kg BIGINT NOT NULL CHECK (prior_stock_utilised_kg >= 0),
    declared_by TEXT NOT NULL REFERENCES users (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (site_id, category_code, period)
);
CREATE INDEX declarations_period_idx ON declarations (period, category_code);
CREATE INDEX declarations_organization_idx ON declarations (organization_id, period);

CREATE TABLE capacities (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    category_code TEXT NOT NULL REFERENCES categories (code),
    subtype TEXT REFERENCES category_subtypes (code),
    kg_per_year BIGINT NOT NULL CHECK (kg_per_year > 0),
    discharge_permit_no TEXT NOT NULL,
    eia_approval_ref TEXT NOT NULL,
    valid_until DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('declared', 'verified', 'rejected')),
    status_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX capacities_site_idx ON capacities (site_id, category_code);
CREATE INDEX capacities_status_idx ON capacities (status, id);

-- The output value of the city (its 4-digit prefecture code + 00) or of a district, per year.
CREATE TABLE output_values (
    year INTEGER NOT NULL,
    region_code TEXT NOT NULL CHECK (length(region_code) = 6),
    value_fen BIGINT NOT NULL CHECK (value_fen > 0),
    source TEXT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (year, region_code)
);

CREATE TABLE key_projects (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    owner_org_id TEXT NOT NULL REFERENCES organizations (id),
    -- Comma-separated GB/T 39198 codes.
    categories TEXT NOT NULL,
    capacity_kg_per_year BIGINT NOT NULL CHECK (capacity_kg_per_year >= 0),
    investment_fen BIGINT NOT NULL CHECK (investment_fen >= 0),
    status TEXT NOT NULL CHECK (status IN ('planned', 'under_construction', 'completed', 'operating', 'cancelled')),
    status_reason TEXT,
    planned_start DATE,
    planned_completion DATE,
    actual_start DATE,
    actual_completion DATE,
    department TEXT NOT NULL,
    department_email TEXT,
    report_every_days INTEGER NOT NULL CHECK (report_every_days BETWEEN 7 AND 366),
    report_due DATE NOT NULL,
    overdue_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX key_projects_status_idx ON key_projects (status, id);
CREATE INDEX key_projects_owner_idx ON key_projects (owner_org_id, id);

CREATE TABLE key_project_reports (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES key_projects (id),
    percent_complete INTEGER NOT NULL CHECK (percent_complete BETWEEN 0 AND 100),
    invested_to_date_fen BIGINT NOT NULL CHECK (invested_to_date_fen >= 0),
    problems TEXT NOT NULL,
    next_steps TEXT NOT NULL,
    reported_by TEXT NOT NULL REFERENCES users (id),
    reported_at TIMESTAMP NOT NULL
);
CREATE INDEX key_project_reports_project_idx ON key_project_reports (project_id, id);

CREATE TABLE indicators (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- Computed from the exchange's data, or `entered` with a source.
    metric TEXT NOT NULL CHECK (metric IN ('utilisation_rate', 'generation_intensity', 'capacity_added', 'projects_built', 'entered')),
    unit TEXT NOT NULL,
    baseline DOUBLE PRECISION NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    higher_is_better BOOLEAN NOT NULL,
    start_on DATE NOT NULL,
    deadline DATE NOT NULL,
    department TEXT NOT NULL,
    entered_value DOUBLE PRECISION,
    entered_source TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
