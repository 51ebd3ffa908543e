-- Research projects (科研成果转化) that absorb streams, and the versioned CO2 factors the city
-- statistics use.

CREATE TABLE research_projects (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Category codes it can absorb, comma-separated.
    categories TEXT NOT NULL,
    -- Technology readiness level, 1–9.
    trl INTEGER NOT NULL CHECK (trl BETWEEN 1 AND 9),
    trial_kg BIGINT NOT NULL CHECK (trial_kg > 0),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'active', 'finished', 'rejected')),
    status_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX research_projects_status_idx ON research_projects (status, id);

CREATE TABLE co2_factors (
    version TEXT NOT NULL,
    intended_use TEXT NOT NULL,
    -- Tonnes of CO2 avoided per tonne of material put to this use.
    avoided_t_per_t DOUBLE PRECISION NOT NULL,
    -- Road freight emissions, kg CO2 per tonne-kilometre.
    freight_kg_per_t_km DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (version, intended_use)
);

-- Version 2026.1. Cement: ~0.75 t CO2 per tonne of clinker replaced by slag or fly ash (DESIGN §8).
-- The others are conservative planning values for the alliance to revise under a new version.
INSERT INTO co2_factors (version, intended_use, avoided_t_per_t, freight_kg_per_t_km, source) VALUES
 ('2026.1', 'cement', 0.75, 0.1, 'clinker substitution by slag or fly ash'),
 ('2026.1', 'concrete', 0.60, 0.1, 'cement replaced in concrete (planning value)'),
 ('2026.1', 'road_base', 0.02, 0.1, 'natural aggregate avoided (planning value)'),
 ('2026.1', 'bricks_blocks', 0.10, 0.1, 'fired clay avoided (planning value)'),
 ('2026.1', 'backfill_restoration', 0.01, 0.1, 'quarried fill avoided (planning value)'),
 ('2026.1', 'mineral_recovery', 0.20, 0.1, 'primary ore avoided (planning value)'),
 ('2026.1', 'research_trial', 0.0, 0.1, 'not counted'),
 ('2026.1', 'other', 0.0, 0.1, 'not counted');
