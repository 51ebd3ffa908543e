// The one schema both backends share (migrations/sqlite and migrations/postgres produce it; the
// schema-parity test in tests/api/schema.rs keeps them and this file honest).

diesel::table! {
    organizations (id) {
        id -> Text,
        legal_name -> Text,
        uscc -> Text,
        kinds -> Text,
        verification_status -> Text,
        uscc_check_failed -> Bool,
        suspended -> Bool,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sites (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        region_code -> Text,
        address -> Text,
        lat -> Double,
        lon -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lined -> Bool,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        email_verified -> Bool,
        language -> Text,
        organization_id -> Nullable<Text>,
        org_role -> Nullable<Text>,
        platform_role -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        password_changed_at -> Nullable<Timestamp>,
        staff_cities -> Nullable<Text>,
    }
}

diesel::table! {
    throttle_hits (key) {
        key -> Text,
        window_start -> Timestamp,
        hits -> BigInt,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        org_role -> Text,
        token_hash -> Text,
        invited_by -> Text,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        actor_user_id -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        reason -> Nullable<Text>,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        object_type -> Nullable<Text>,
        object_id -> Nullable<Text>,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, idempotency_key) {
        user_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        needs_identification -> Bool,
        building_material -> Bool,
        source -> Text,
    }
}

diesel::table! {
    category_subtypes (code) {
        code -> Text,
        category_code -> Text,
        name_zh -> Text,
        name_en -> Text,
        needs_identification -> Bool,
    }
}

diesel::table! {
    category_properties (category_code, property_key) {
        category_code -> Text,
        property_key -> Text,
        name_zh -> Text,
        name_en -> Text,
        unit -> Text,
        min_value -> Nullable<Double>,
        max_value -> Nullable<Double>,
        choices -> Nullable<Text>,
        test_standard -> Text,
    }
}

diesel::table! {
    listings (id) {
        id -> Text,
        organization_id -> Text,
        site_id -> Text,
        category_code -> Text,
        subtype -> Nullable<Text>,
        title -> Text,
        description -> Text,
        quantity_kg -> BigInt,
        remaining_kg -> BigInt,
        min_order_kg -> BigInt,
        supply_pattern -> Text,
        monthly_kg -> Nullable<BigInt>,
        generation -> Text,
        available_from -> Timestamp,
        available_until -> Nullable<Timestamp>,
        delivery_terms -> Text,
        pricing_model -> Text,
        price_fen_per_t -> Nullable<BigInt>,
        reserve_fen_per_t -> Nullable<BigInt>,
        search_price_fen -> Nullable<BigInt>,
        lab_report -> Nullable<Text>,
        status -> Text,
        status_reason -> Nullable<Text>,
        region_code -> Text,
        lat -> Double,
        lon -> Double,
        version -> BigInt,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        national_code -> Nullable<Text>,
        identification_report -> Nullable<Text>,
    }
}

diesel::table! {
    /// What free-text search reads of a lot (migration 000013); SQLite adds an FTS5 trigram index.
    listing_texts (listing_id) {
        listing_id -> Text,
        search_text -> Text,
    }
}

diesel::table! {
    listing_properties (listing_id, property_key) {
        listing_id -> Text,
        property_key -> Text,
        num_value -> Nullable<Double>,
        text_value -> Nullable<Text>,
    }
}

diesel::table! {
    listing_grades (listing_id, rule) {
        listing_id -> Text,
        rule -> Text,
        grade -> Text,
        rule_set -> Text,
    }
}

diesel::table! {
    listing_attachments (listing_id, position) {
        listing_id -> Text,
        position -> Integer,
        kind -> Text,
        url -> Text,
        title -> Text,
    }
}

diesel::table! {
    offers (id) {
        id -> Text,
        listing_id -> Text,
        organization_id -> Text,
        user_id -> Text,
        quantity_kg -> BigInt,
        price_fen_per_t -> BigInt,
        window_from -> Nullable<Timestamp>,
        window_until -> Nullable<Timestamp>,
        intended_use -> Text,
        message -> Text,
        expires_at -> Timestamp,
        status -> Text,
        status_reason -> Nullable<Text>,
        counter_price_fen_per_t -> Nullable<BigInt>,
        counter_quantity_kg -> Nullable<BigInt>,
        counter_message -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        receiving_site_id -> Nullable<Text>,
    }
}

diesel::table! {
    deals (id) {
        id -> Text,
        offer_id -> Nullable<Text>,
        listing_id -> Text,
        producer_org_id -> Text,
        receiver_org_id -> Text,
        price_fen_per_t -> BigInt,
        quantity_kg -> BigInt,
        amount_fen -> BigInt,
        intended_use -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        delivered_kg -> BigInt,
        research_project_id -> Nullable<Text>,
        version -> BigInt,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        settled_fen -> Nullable<BigInt>,
        receiving_site_id -> Nullable<Text>,
    }
}

diesel::table! {
    transfers (id) {
        id -> Text,
        deal_id -> Text,
        manifest_no -> Text,
        carrier -> Text,
        vehicle_plate -> Text,
        driver -> Text,
        ticket_no -> Text,
        gross_kg -> BigInt,
        tare_kg -> BigInt,
        net_kg -> BigInt,
        dispatched_at -> Timestamp,
        received_net_kg -> Nullable<BigInt>,
        received_at -> Nullable<Timestamp>,
        difference_flagged -> Bool,
        recorded_by -> Text,
        created_at -> Timestamp,
        carrier_uscc -> Nullable<Text>,
        carrier_licence_no -> Nullable<Text>,
        driver_id_no -> Nullable<Text>,
        physical_form -> Nullable<Text>,
        covering -> Nullable<Text>,
        destination_site_id -> Nullable<Text>,
        inter_province -> Bool,
        received_by -> Nullable<Text>,
        rejected -> Bool,
        difference_reason -> Nullable<Text>,
    }
}

diesel::table! {
    demands (id) {
        id -> Text,
        organization_id -> Text,
        site_id -> Text,
        title -> Text,
        categories -> Text,
        subtypes -> Text,
        property_bounds -> Text,
        min_grades -> Text,
        quantity_kg -> BigInt,
        supply_pattern -> Text,
        max_distance_km -> Double,
        price_limit_fen -> BigInt,
        window_from -> Timestamp,
        window_until -> Nullable<Timestamp>,
        intended_use -> Text,
        status -> Text,
        region_code -> Text,
        lat -> Double,
        lon -> Double,
        last_digest_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        monthly_kg -> Nullable<BigInt>,
        reach_south -> Double,
        reach_north -> Double,
        reach_west -> Double,
        reach_east -> Double,
    }
}

diesel::table! {
    demand_digest_items (demand_id, listing_id) {
        demand_id -> Text,
        listing_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    research_projects (id) {
        id -> Text,
        organization_id -> Text,
        title -> Text,
        description -> Text,
        categories -> Text,
        trl -> Integer,
        trial_kg -> BigInt,
        status -> Text,
        status_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    co2_credits (version, category_code, intended_use) {
        version -> Text,
        category_code -> Text,
        intended_use -> Text,
        avoided_t_per_t -> Double,
        freight_kg_per_t_km -> Double,
        source -> Text,
    }
}

diesel::table! {
    declarations (id) {
        id -> Text,
        organization_id -> Text,
        site_id -> Text,
        category_code -> Text,
        period -> Text,
        region_code -> Text,
        generated_kg -> BigInt,
        utilised_in_house_kg -> BigInt,
        sent_out_kg -> BigInt,
        sent_out_on_exchange_kg -> BigInt,
        sent_out_reason -> Nullable<Text>,
        disposed_kg -> BigInt,
        stored_end_kg -> BigInt,
        prior_stock_utilised_kg -> BigInt,
        declared_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    capacities (id) {
        id -> Text,
        organization_id -> Text,
        site_id -> Text,
        category_code -> Text,
        subtype -> Nullable<Text>,
        kg_per_year -> BigInt,
        discharge_permit_no -> Text,
        eia_approval_ref -> Text,
        valid_until -> Date,
        status -> Text,
        status_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    city_profiles (region_code) {
        region_code -> Text,
        name_zh -> Text,
        name_en -> Text,
        logo_text -> Text,
        districts -> Text,
        traded_target_kg -> Nullable<BigInt>,
        co2_target_t -> Nullable<Double>,
        version -> BigInt,
        updated_by -> Text,
        updated_at -> Timestamp,
        home -> Bool,
    }
}

diesel::table! {
    output_values (year, region_code) {
        year -> Integer,
        region_code -> Text,
        value_fen -> BigInt,
        source -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    key_projects (id) {
        id -> Text,
        name -> Text,
        owner_org_id -> Text,
        categories -> Text,
        capacity_kg_per_year -> BigInt,
        investment_fen -> BigInt,
        status -> Text,
        status_reason -> Nullable<Text>,
        planned_start -> Nullable<Date>,
        planned_completion -> Nullable<Date>,
        actual_start -> Nullable<Date>,
        actual_completion -> Nullable<Date>,
        department -> Text,
        department_email -> Nullable<Text>,
        report_every_days -> Integer,
        report_due -> Date,
        overdue_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    key_project_reports (id) {
        id -> Text,
        project_id -> Text,
        percent_complete -> Integer,
        invested_to_date_fen -> BigInt,
        problems -> Text,
        next_steps -> Text,
        reported_by -> Text,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    indicators (id) {
        id -> Text,
        name -> Text,
        metric -> Text,
        unit -> Text,
        baseline -> Double,
        target -> Double,
        higher_is_better -> Bool,
        start_on -> Date,
        deadline -> Date,
        department -> Text,
        entered_value -> Nullable<Double>,
        entered_source -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    supply_contracts (id) {
        id -> Text,
        listing_id -> Text,
        demand_id -> Nullable<Text>,
        producer_org_id -> Text,
        receiver_org_id -> Text,
        proposed_by_org_id -> Text,
        awaiting_org_id -> Nullable<Text>,
        status -> Text,
        status_reason -> Nullable<Text>,
        start_month -> Text,
        end_month -> Text,
        min_monthly_kg -> BigInt,
        max_monthly_kg -> BigInt,
        price_fen_per_t -> BigInt,
        price_schedule -> Text,
        delivery_terms -> Text,
        intended_use -> Text,
        receiving_site_id -> Nullable<Text>,
        property_bounds -> Text,
        min_grades -> Text,
        message -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    call_offs (deal_id) {
        deal_id -> Text,
        contract_id -> Text,
        month -> Text,
        min_kg -> BigInt,
        max_kg -> BigInt,
        held_reason -> Nullable<Text>,
        band_flag -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contract_lab_reports (id) {
        id -> Text,
        contract_id -> Text,
        lab_name -> Nullable<Text>,
        report_no -> Nullable<Text>,
        sampled_on -> Nullable<Date>,
        properties -> Text,
        grades -> Text,
        delivered_before_kg -> BigInt,
        breach -> Nullable<Text>,
        filed_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stream_profiles (listing_id) {
        listing_id -> Text,
        monthly_kg -> Text,
        yard_stock_kg -> Nullable<BigInt>,
        yard_capacity_kg -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    intake_profiles (demand_id) {
        demand_id -> Text,
        monthly_kg -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sites -> organizations (organization_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(listings -> organizations (organization_id));
diesel::joinable!(listings -> sites (site_id));
diesel::joinable!(listing_properties -> listings (listing_id));
diesel::joinable!(listing_texts -> listings (listing_id));
diesel::joinable!(listing_grades -> listings (listing_id));
diesel::joinable!(listing_attachments -> listings (listing_id));
diesel::joinable!(category_subtypes -> categories (category_code));
diesel::joinable!(offers -> listings (listing_id));
diesel::joinable!(deals -> listings (listing_id));
diesel::joinable!(transfers -> deals (deal_id));
diesel::joinable!(key_project_reports -> key_projects (project_id));
diesel::joinable!(call_offs -> deals (deal_id));
diesel::joinable!(call_offs -> supply_contracts (contract_id));
diesel::joinable!(supply_contracts -> listings (listing_id));
diesel::joinable!(contract_lab_reports -> supply_contracts (contract_id));
diesel::joinable!(stream_profiles -> listings (listing_id));

diesel::allow_tables_to_appear_in_same_query!(
    city_profiles,
    organizations,
    sites,
    users,
    user_tokens,
    invitations,
    refresh_tokens,
    audit_log,
    outbox,
    notifications,
    idempotency_keys,
    categories,
    category_subtypes,
    category_properties,
    listings,
    listing_properties,
    listing_grades,
    listing_attachments,
    offers,
    deals,
    transfers,
    demands,
    demand_digest_items,
    research_projects,
    co2_credits,
    declarations,
    capacities,
    output_values,
    key_projects,
    key_project_reports,
    indicators,
    supply_contracts,
    call_offs,
    contract_lab_reports,
    stream_profiles,
    intake_profiles,
);
