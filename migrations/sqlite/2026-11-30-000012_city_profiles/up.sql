-- The city as its public dashboard shows it (docs/CITY.md): names, the logo text, district names
-- for the board's map, and the exchange's yearly targets staff set. One row per city, keyed by its
-- prefecture code (GB/T 2260, ending in 00).
CREATE TABLE city_profiles (
    region_code TEXT PRIMARY KEY NOT NULL CHECK (length(region_code) = 6),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    logo_text TEXT NOT NULL,
    -- JSON: [{"code", "name_zh", "name_en"}], in code order.
    districts TEXT NOT NULL,
    -- Tonnes traded on the exchange in a year, kg; NULL for none.
    traded_target_kg BIGINT CHECK (traded_target_kg > 0),
    -- Net t CO2 avoided in a year; NULL for none.
    co2_target_t DOUBLE PRECISION CHECK (co2_target_t > 0),
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
