CREATE TABLE co2_factors (
    version TEXT NOT NULL,
    intended_use TEXT NOT NULL,
    avoided_t_per_t DOUBLE PRECISION NOT NULL,
    freight_kg_per_t_km DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (version, intended_use)
);
INSERT INTO co2_factors (version, intended_use, avoided_t_per_t, freight_kg_per_t_km, source) VALUES
 ('2026.1', 'cement', 0.75, 0.1, 'clinker substitution by slag or fly ash'),
 ('2026.1', 'concrete', 0.60, 0.1, 'cement replaced in concrete (planning value)'),
 ('2026.1', 'road_base', 0.02, 0.1, 'natural aggregate avoided (planning value)'),
 ('2026.1', 'bricks_blocks', 0.10, 0.1, 'fired clay avoided (planning value)'),
 ('2026.1', 'backfill_restoration', 0.01, 0.1, 'quarried fill avoided (planning value)'),
 ('2026.1', 'mineral_recovery', 0.20, 0.1, 'primary ore avoided (planning value)'),
 ('2026.1', 'research_trial', 0.0, 0.1, 'not counted'),
 ('2026.1', 'other', 0.0, 0.1, 'not counted');
DROP TABLE co2_credits;
ALTER TABLE transfers DROP COLUMN difference_reason;
ALTER TABLE transfers DROP COLUMN rejected;
ALTER TABLE transfers DROP COLUMN received_by;
ALTER TABLE transfers DROP COLUMN inter_province;
ALTER TABLE transfers DROP COLUMN destination_site_id;
ALTER TABLE transfers DROP COLUMN covering;
ALTER TABLE transfers DROP COLUMN physical_form;
ALTER TABLE transfers DROP COLUMN driver_id_no;
ALTER TABLE transfers DROP COLUMN carrier_licence_no;
ALTER TABLE transfers DROP COLUMN carrier_uscc;
ALTER TABLE deals DROP COLUMN receiving_site_id;
ALTER TABLE offers DROP COLUMN receiving_site_id;
ALTER TABLE listings ADD COLUMN identification_report_ref TEXT;
ALTER TABLE listings DROP COLUMN identification_report;
ALTER TABLE listings DROP COLUMN national_code;
ALTER TABLE sites DROP COLUMN lined;
DELETE FROM listing_grades WHERE rule IN ('fly_ash_cement', 'steel_slag_powder', 'steel_slag_aggregate', 'ggbs', 'fgd_gypsum', 'leaching');
DELETE FROM category_properties WHERE property_key IN ('leachate_ph', 'leachate_within_gb8978', 'soundness_mm')
    OR (category_code = 'SW01' AND property_key IN ('so3_pct', 'autoclave_expansion_pct', 'specific_surface_m2_kg',
        'activity_index_7d_pct', 'activity_index_28d_pct', 'moisture_pct', 'loi_pct', 'chloride_pct', 'glass_content_pct'))
    OR category_code IN ('SW12', 'SW13', 'SW14', 'SW15', 'SW16', 'SW17');
DELETE FROM category_subtypes WHERE code IN ('coal_slime', 'rare_earth_tailings', 'gasification_slag', 'carbide_slag');
DELETE FROM categories WHERE code IN ('SW12', 'SW13', 'SW14', 'SW15', 'SW16', 'SW17');
