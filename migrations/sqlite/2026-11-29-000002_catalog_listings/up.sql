-- Material catalog (GB/T 39198-2020 categories, sub-types, lab properties) and listings (lots).
-- `source` says how sure the seed is: SW01–SW07 are certain; the other codes follow the
-- standard's list as commonly cited and are marked for checking against the published text.

CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    -- Needs a hazardous-waste identification report (鉴别报告) before publication.
    needs_identification BOOLEAN NOT NULL DEFAULT FALSE,
    -- Commonly bound for building materials: radioactivity (GB 6566) applies.
    building_material BOOLEAN NOT NULL DEFAULT TRUE,
    source TEXT NOT NULL
);

CREATE TABLE category_subtypes (
    code TEXT PRIMARY KEY NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories (code),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    needs_identification BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE category_properties (
    category_code TEXT NOT NULL REFERENCES categories (code),
    property_key TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    unit TEXT NOT NULL,
    -- For numbers: plausible range. For choices: allowed values, comma-separated.
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    choices TEXT,
    test_standard TEXT NOT NULL,
    PRIMARY KEY (category_code, property_key)
);

INSERT INTO categories (code, name_zh, name_en, needs_identification, building_material, source) VALUES
 ('SW01', '冶炼废渣', 'Smelting slag', FALSE, TRUE, 'GB/T 39198-2020'),
 ('SW02', '粉煤灰', 'Fly ash', FALSE, TRUE, 'GB/T 39198-2020'),
 ('SW03', '炉渣', 'Boiler slag', FALSE, TRUE, 'GB/T 39198-2020'),
 ('SW04', '煤矸石', 'Coal gangue', FALSE, TRUE, 'GB/T 39198-2020'),
 ('SW05', '尾矿', 'Tailings', FALSE, TRUE, 'GB/T 39198-2020'),
 ('SW06', '脱硫石膏', 'FGD gypsum', FALSE, TRUE, 'GB/T 39198-2020'),
 ('SW07', '污泥', 'Sludge', TRUE, FALSE, 'GB/T 39198-2020'),
 ('SW09', '赤泥', 'Red mud', FALSE, TRUE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW10', '磷石膏', 'Phosphogypsum', FALSE, TRUE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW11', '工业副产石膏', 'Other by-product gypsum', FALSE, TRUE, 'GB/T 39198-2020 as commonly cited; check against the standard text'),
 ('SW59', '其他工业固体废物', 'Other industrial solid waste', FALSE, FALSE, 'GB/T 39198-2020 as commonly cited; check against the standard text');

INSERT INTO category_subtypes (code, category_code, name_zh, name_en, needs_identification) VALUES
 ('steel_slag_bof', 'SW01', '转炉钢渣', 'Steel slag, BOF', FALSE),
 ('steel_slag_eaf', 'SW01', '电炉钢渣', 'Steel slag, EAF', FALSE),
 ('steel_slag_ladle', 'SW01', '精炼（钢包）渣', 'Ladle furnace slag', FALSE),
 ('blast_furnace_slag', 'SW01', '高炉渣', 'Blast-furnace slag', FALSE),
 ('ferroalloy_slag', 'SW01', '铁合金渣', 'Ferroalloy slag', TRUE),
 ('nonferrous_slag', 'SW01', '有色金属冶炼渣', 'Non-ferrous smelting slag', TRUE);

INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard) VALUES
 ('SW02', 'fineness_45um_pct', '细度（45µm方孔筛筛余）', 'Fineness, 45 µm sieve residue', '%', 0, 100, NULL, 'GB/T 1596-2017 (GB/T 1345)'),
 ('SW02', 'water_demand_ratio_pct', '需水量比', 'Water demand ratio', '%', 50, 200, NULL, 'GB/T 1596-2017 Annex A'),
 ('SW02', 'loi_pct', '烧失量', 'Loss on ignition', '%', 0, 50, NULL, 'GB/T 176'),
 ('SW02', 'moisture_pct', '含水量', 'Moisture', '%', 0, 100, NULL, 'GB/T 1596-2017 Annex B'),
 ('SW02', 'so3_pct', '三氧化硫', 'SO3', '%', 0, 30, NULL, 'GB/T 176'),
 ('SW02', 'free_cao_pct', '游离氧化钙', 'Free CaO', '%', 0, 30, NULL, 'GB/T 176'),
 ('SW02', 'fly_ash_class', '类别', 'Class', '', NULL, NULL, 'F,C', 'GB/T 1596-2017'),
 ('SW02', 'boiler_type', '锅炉类型', 'Boiler type', '', NULL, NULL, 'pulverized_coal,cfb', 'GB/T 1596-2017 (CFB ash excluded)'),
 ('SW01', 'free_cao_pct', '游离氧化钙', 'Free CaO', '%', 0, 30, NULL, 'YB/T 4328'),
 ('SW01', 'mgo_pct', '氧化镁', 'MgO', '%', 0, 40, NULL, 'GB/T 176'),
 ('SW01', 'immersion_expansion_pct', '浸水膨胀率', 'Immersion expansion', '%', 0, 20, NULL, 'GB/T 24175'),
 ('SW01', 'metallic_iron_pct', '金属铁含量', 'Metallic iron', '%', 0, 100, NULL, 'YB/T 4188'),
 ('SW01', 'aging_days', '陈化时间', 'Aging', 'd', 0, 3650, NULL, 'producer record'),
 ('SW01', 'treatment', '处理工艺', 'Treatment', '', NULL, NULL, 'hot_stewing,drum,air_cooled,water_quenched', 'producer record'),
 ('SW01', 'particle_size', '粒度区间', 'Particle size band', 'mm', NULL, NULL, '0-5,5-10,10-20,20-40,0-40,40+', 'GB/T 14684'),
 ('SW04', 'calorific_value_kcal_kg', '发热量', 'Calorific value', 'kcal/kg', 0, 8000, NULL, 'GB/T 213'),
 ('SW04', 'al2o3_pct', '氧化铝', 'Al2O3', '%', 0, 100, NULL, 'GB/T 1574'),
 ('SW04', 'sio2_pct', '二氧化硅', 'SiO2', '%', 0, 100, NULL, 'GB/T 1574'),
 ('SW04', 'sulfur_pct', '全硫', 'Total sulfur', '%', 0, 20, NULL, 'GB/T 214'),
 ('SW04', 'loi_pct', '烧失量', 'Loss on ignition', '%', 0, 100, NULL, 'GB/T 1574'),
 ('SW06', 'gypsum_purity_pct', '二水硫酸钙含量', 'CaSO4·2H2O purity', '%', 0, 100, NULL, 'GB/T 37785'),
 ('SW06', 'free_water_pct', '附着水', 'Free water', '%', 0, 100, NULL, 'GB/T 37785'),
 ('SW06', 'chloride_pct', '氯离子', 'Chloride (Cl⁻)', '%', 0, 10, NULL, 'GB/T 37785');

-- Radioactivity (GB 6566-2010) for every category bound for building materials.
INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard)
SELECT code, 'i_ra', '内照射指数', 'Internal exposure index I_Ra', '', 0, 20, NULL, 'GB 6566-2010'
FROM categories WHERE building_material;
INSERT INTO category_properties (category_code, property_key, name_zh, name_en, unit, min_value, max_value, choices, test_standard)
SELECT code, 'i_gamma', '外照射指数', 'External exposure index I_γ', '', 0, 20, NULL, 'GB 6566-2010'
FROM categories WHERE building_material;

CREATE TABLE listings (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    category_code TEXT NOT NULL REFERENCES categories (code),
    subtype TEXT REFERENCES category_subtypes (code),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity_kg BIGINT NOT NULL CHECK (quantity_kg > 0),
    remaining_kg BIGINT NOT NULL CHECK (remaining_kg >= 0),
    min_order_kg BIGINT NOT NULL CHECK (min_order_kg > 0),
    supply_pattern TEXT NOT NULL CHECK (supply_pattern IN ('one_off', 'recurring')),
    monthly_kg BIGINT CHECK (monthly_kg > 0),
    generation TEXT NOT NULL CHECK (generation IN ('new', 'stock')),
    available_from TIMESTAMP NOT NULL,
    available_until TIMESTAMP,
    delivery_terms TEXT NOT NULL CHECK (delivery_terms IN ('pickup', 'delivered')),
    pricing_model TEXT NOT NULL CHECK (pricing_model IN ('fixed', 'offers')),
    price_fen_per_t BIGINT,
    reserve_fen_per_t BIGINT,
    -- The price searches and sorts by: the fixed price, or the reserve of an offers lot.
    search_price_fen BIGINT,
    -- {"lab_name", "report_no", "sampled_on"} as JSON text.
    lab_report TEXT,
    identification_report_ref TEXT,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'pending_review', 'published', 'closed')),
    status_reason TEXT,
    region_code TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX listings_org_idx ON listings (organization_id, id);
CREATE INDEX listings_status_id_idx ON listings (status, id);
CREATE INDEX listings_search_category_idx ON listings (status, category_code, id);
CREATE INDEX listings_search_price_idx ON listings (status, search_price_fen, id);
CREATE INDEX listings_search_quantity_idx ON listings (status, remaining_kg, id);
CREATE INDEX listings_search_geo_idx ON listings (status, lat, lon);
CREATE INDEX listings_search_region_idx ON listings (status, region_code);
-- Category searches sorted by price or quantity read these in order and stop after a page.
CREATE INDEX listings_search_category_price_idx ON listings (status, category_code, search_price_fen, id);
CREATE INDEX listings_search_category_quantity_idx ON listings (status, category_code, remaining_kg, id);

CREATE TABLE listing_properties (
    listing_id TEXT NOT NULL REFERENCES listings (id),
    property_key TEXT NOT NULL,
    num_value DOUBLE PRECISION,
    text_value TEXT,
    PRIMARY KEY (listing_id, property_key)
);

CREATE TABLE listing_grades (
    listing_id TEXT NOT NULL REFERENCES listings (id),
    rule TEXT NOT NULL,
    grade TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    PRIMARY KEY (listing_id, rule)
);
CREATE INDEX listing_grades_rule_idx ON listing_grades (rule, grade, listing_id);

CREATE TABLE listing_attachments (
    listing_id TEXT NOT NULL REFERENCES listings (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (listing_id, position)
);
