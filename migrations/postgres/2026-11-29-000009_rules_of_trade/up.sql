-- The rules of the trade (docs/standards/): complete grades, the GB/T 39198 categories SW12–SW17,
-- the national nine-character solid-waste codes, identification reports as records, lined
-- receiving sites (GB 18599 class II), CO2 credited per (category, use), and manifest fields.

INSERT INTO categories (code, name_zh, name_en, needs_identification, building_material, source) VALUES
 ('SW12', '钻井岩屑', 'Drilling cuttings', TRUE, FALSE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW13', '食品残渣', 'Food-processing residues', FALSE, FALSE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW14', '纺织皮革业废物', 'Textile and leather waste', FALSE, FALSE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW15', '造纸印刷业废物', 'Paper and printing waste', FALSE, FALSE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW16', '化工废物', 'Chemical-industry waste', TRUE, TRUE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW17', '可再生类废物', 'Recyclable waste', FALSE, FALSE, 'GB/T 39198-2020 as commonly cited; check against the standard text');

INSERT INTO category_subtypes (code, category_code, name_zh, name_en, needs_identification) VALUES
 ('coal_slime', 'SW04', '煤泥', 'Coal slime (washing residue)', FALSE),
 ('rare_earth_tailings', 'SW05', '稀土尾矿', 'Rare-earth tailings', FALSE),
 ('gasification_slag', 'SW16', '煤气化渣', 'Coal gasification slag', TRUE),
 ('carbide_slag', 'SW16', '电石渣', 'Carbide slag', TRUE);

INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard) VALUES
 ('SW02', 'soundness_mm', '安定性（雷氏法）', 'Soundness (Le Chatelier)', 'mm', 0, 50, NULL, 'GB/T 1346'),
 ('SW01', 'so3_pct', '三氧化硫', 'SO3', '%', 0, 30, NULL, 'GB/T 176'),
 ('SW01', 'autoclave_expansion_pct', '压蒸膨胀率', 'Autoclave expansion', '%', 0, 10, NULL, 'GB/T 750'),
 ('SW01', 'specific_surface_m2_kg', '比表面积', 'Specific surface (Blaine)', 'm²/kg', 0, 2000, NULL, 'GB/T 8074'),
 ('SW01', 'activity_index_7d_pct', '7天活性指数', 'Activity index, 7 d', '%', 0, 200, NULL, 'GB/T 18046-2017 Annex A'),
 ('SW01', 'activity_index_28d_pct', '28天活性指数', 'Activity index, 28 d', '%', 0, 200, NULL, 'GB/T 18046-2017 Annex A'),
 ('SW01', 'moisture_pct', '含水量', 'Moisture', '%', 0, 100, NULL, 'GB/T 18046-2017'),
 ('SW01', 'loi_pct', '烧失量', 'Loss on ignition', '%', 0, 50, NULL, 'GB/T 176'),
 ('SW01', 'chloride_pct', '氯离子', 'Chloride (Cl⁻)', '%', 0, 10, NULL, 'GB/T 176'),
 ('SW01', 'glass_content_pct', '玻璃体含量', 'Glass content', '%', 0, 100, NULL, 'GB/T 18046-2017 Annex C');

-- GB 18599-2020 class (I/II) from the HJ 557 leachate, for every category.
INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard)
SELECT code, 'leachate_ph', '浸出液pH', 'Leachate pH', '', 0, 14, NULL, 'HJ 557 leaching, GB/T 15555.12'
FROM categories;
INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard)
SELECT code, 'leachate_within_gb8978', '浸出液污染物浓度均未超过GB 8978最高允许排放浓度', 'Leachate within GB 8978 limits', '', NULL, NULL, 'yes,no', 'HJ 557 leaching, GB 8978'
FROM categories;
-- Radioactivity (GB 6566) for the new categories bound for building materials.
INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard)
SELECT code, 'i_ra', '内照射指数', 'Internal exposure index I_Ra', '', 0, 20, NULL, 'GB 6566-2010'
FROM categories WHERE building_material AND code IN ('SW12', 'SW13', 'SW14', 'SW15', 'SW16', 'SW17');
INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard)
SELECT code, 'i_gamma', '外照射指数', 'External exposure index I_γ', '', 0, 20, NULL, 'GB 6566-2010'
FROM categories WHERE building_material AND code IN ('SW12', 'SW13', 'SW14', 'SW15', 'SW16', 'SW17');

-- The rule set changed: grades under the old one are recomputed at start (lots::regrade).
DELETE FROM listing_grades WHERE rule = 'steel_slag_stability';

-- A lined receiving site (GB 18599 class II site): may take class II waste for restoration.
ALTER TABLE sites ADD COLUMN lined BOOLEAN NOT NULL DEFAULT FALSE;

-- 固体废物分类与代码目录 (2024): nine characters, NNN-NNN-SNN.
ALTER TABLE listings ADD COLUMN national_code TEXT;
-- {"issuer","report_no","issued_on","conclusion"} as JSON text.
ALTER TABLE listings ADD COLUMN identification_report TEXT;

-- Where the receiver takes the material (its lining decides restoration gates; manifests show it).
ALTER TABLE offers ADD COLUMN receiving_site_id TEXT REFERENCES sites (id);
ALTER TABLE deals ADD COLUMN receiving_site_id TEXT REFERENCES sites (id);

-- What a transfer manifest (转移联单) carries beyond the weighbridge.
ALTER TABLE transfers ADD COLUMN carrier_uscc TEXT;
ALTER TABLE transfers ADD COLUMN carrier_licence_no TEXT;
ALTER TABLE transfers ADD COLUMN driver_id_no TEXT;
ALTER TABLE transfers ADD COLUMN physical_form TEXT CHECK (physical_form IN ('lump', 'granular', 'powder', 'paste'));
ALTER TABLE transfers ADD COLUMN covering TEXT CHECK (covering IN ('tarpaulin', 'enclosed_box', 'tank', 'bagged'));
ALTER TABLE transfers ADD COLUMN destination_site_id TEXT REFERENCES sites (id);
ALTER TABLE transfers ADD COLUMN inter_province BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE transfers ADD COLUMN received_by TEXT;
ALTER TABLE transfers ADD COLUMN rejected BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE transfers ADD COLUMN difference_reason TEXT;

-- CO2 credited per (category, use) pair; a pair the use table refuses has no row.
CREATE TABLE co2_credits (
    version TEXT NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories (code),
    intended_use TEXT NOT NULL,
    avoided_t_per_t DOUBLE PRECISION NOT NULL,
    freight_kg_per_t_km DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (version, category_code, intended_use)
);
-- Version 2026.2. Clinker substitution ~0.75 t CO2/t (slag, fly ash); carbide slag replaces
-- limestone (~0.4 t of calcination CO2 per t); the rest are conservative planning values.
INSERT INTO co2_credits (version, category_code, intended_use, avoided_t_per_t, freight_kg_per_t_km, source) VALUES
 ('2026.2', 'SW01', 'cement', 0.75, 0.1, 'clinker replaced by granulated blast-furnace slag'),
 ('2026.2', 'SW02', 'cement', 0.75, 0.1, 'clinker replaced by fly ash'),
 ('2026.2', 'SW04', 'cement', 0.05, 0.1, 'clay replaced in raw meal (planning value)'),
 ('2026.2', 'SW06', 'cement', 0.01, 0.1, 'natural gypsum replaced (planning value)'),
 ('2026.2', 'SW16', 'cement', 0.40, 0.1, 'limestone calcination avoided by carbide slag (planning value)'),
 ('2026.2', 'SW01', 'concrete', 0.60, 0.1, 'cement replaced in concrete (planning value)'),
 ('2026.2', 'SW02', 'concrete', 0.60, 0.1, 'cement replaced in concrete (planning value)'),
 ('2026.2', 'SW01', 'bricks_blocks', 0.10, 0.1, 'fired clay avoided (planning value)'),
 ('2026.2', 'SW02', 'bricks_blocks', 0.10, 0.1, 'fired clay avoided (planning value)'),
 ('2026.2', 'SW03', 'bricks_blocks', 0.10, 0.1, 'fired clay avoided (planning value)'),
 ('2026.2', 'SW04', 'bricks_blocks', 0.10, 0.1, 'fired clay avoided (planning value)'),
 ('2026.2', 'SW05', 'bricks_blocks', 0.10, 0.1, 'fired clay avoided (planning value)'),
 ('2026.2', 'SW06', 'bricks_blocks', 0.05, 0.1, 'natural gypsum avoided (planning value)'),
 ('2026.2', 'SW10', 'bricks_blocks', 0.05, 0.1, 'natural gypsum avoided (planning value)'),
 ('2026.2', 'SW11', 'bricks_blocks', 0.05, 0.1, 'natural gypsum avoided (planning value)'),
 ('2026.2', 'SW16', 'bricks_blocks', 0.05, 0.1, 'autoclaved blocks (planning value)'),
 ('2026.2', 'SW01', 'road_base', 0.02, 0.1, 'natural aggregate avoided (planning value)'),
 ('2026.2', 'SW02', 'road_base', 0.02, 0.1, 'natural aggregate avoided (planning value)'),
 ('2026.2', 'SW03', 'road_base', 0.02, 0.1, 'natural aggregate avoided (planning value)'),
 ('2026.2', 'SW04', 'road_base', 0.02, 0.1, 'natural aggregate avoided (planning value)'),
 ('2026.2', 'SW05', 'road_base', 0.02, 0.1, 'natural aggregate avoided (planning value)'),
 ('2026.2', 'SW01', 'mineral_recovery', 0.20, 0.1, 'primary ore avoided (planning value)'),
 ('2026.2', 'SW02', 'mineral_recovery', 0.20, 0.1, 'primary ore avoided (planning value)'),
 ('2026.2', 'SW04', 'mineral_recovery', 0.20, 0.1, 'primary ore avoided (planning value)'),
 ('2026.2', 'SW05', 'mineral_recovery', 0.20, 0.1, 'primary ore avoided (planning value)'),
 ('2026.2', 'SW09', 'mineral_recovery', 0.20, 0.1, 'primary ore avoided (planning value)');
INSERT INTO co2_credits (version, category_code, intended_use, avoided_t_per_t, freight_kg_per_t_km, source)
SELECT '2026.2', code, 'backfill_restoration', 0.01, 0.1, 'quarried fill avoided (planning value)'
FROM categories WHERE code <> 'SW07';
DROP TABLE co2_factors;

UPDATE listings SET identification_report = json_build_object('issuer', '(not recorded)', 'report_no',
    identification_report_ref, 'issued_on', NULL, 'conclusion', 'not_hazardous')::text
WHERE identification_report_ref IS NOT NULL;
ALTER TABLE listings DROP COLUMN identification_report_ref;
