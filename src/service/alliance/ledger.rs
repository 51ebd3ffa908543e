//! The producer's ledger (台账): every outgoing truckload with category code, tonnes, receiver
//! (name and USCC), intended use, dispatch and receipt dates and manifest number, as CSV pages —
//! then the columns of the 2021 ledger guideline's outgoing-transfer table (一般工业固体废物管理
//! 台账制定指南（试行）, 出厂环节记录): waste name and national code, carrier with its USCC and
//! licence, vehicle, driver, destination, form and covering, who received it, and why any load
//! differed or was turned away.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{deals, listings, organizations, sites, transfers};
use crate::domain::quantity::format_tonnes;
use crate::domain::time::rfc3339;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::export::Sheet;

/// Rows per page; the HTTP layer streams page after page.
pub const PAGE: i64 = 1000;

#[derive(Queryable)]
struct Row {
    id: String,
    manifest_no: String,
    net_kg: i64,
    received_net_kg: Option<i64>,
    dispatched_at: NaiveDateTime,
    received_at: Option<NaiveDateTime>,
    category: String,
    receiver: String,
    intended_use: String,
    deal_id: String,
    waste_name: String,
    subtype: Option<String>,
    national_code: Option<String>,
    carrier: String,
    carrier_uscc: Option<String>,
    carrier_licence_no: Option<String>,
    vehicle_plate: String,
    driver: String,
    destination: Option<String>,
    physical_form: Option<String>,
    covering: Option<String>,
    received_by: Option<String>,
    rejected: bool,
    difference_reason: Option<String>,
    inter_province: bool,
}

/// One page of the ledger after `after` (a transfer id; empty for the start), as CSV bytes, and
/// the cursor of the next page (`None` at the end).
/// The ledger's first page, with its header, for the organization's members and staff.
pub fn open(
    conn: &mut DbConnection,
    user: &CurrentUser,
    producer: &str,
) -> Result<(Vec<u8>, Option<String>), ApiError> {
    user.require_reader_of(producer)?;
    crate::service::accounts::organizations::load(conn, producer)?;
    page(conn, producer, "", true)
}

/// The page of ledger rows after transfer `after`.
pub fn page(
    conn: &mut DbConnection,
    producer: &str,
    after: &str,
    header: bool,
) -> Result<(Vec<u8>, Option<String>), ApiError> {
    let rows: Vec<Row> = transfers::table
        .inner_join(deals::table.inner_join(listings::table))
        .filter(deals::producer_org_id.eq(producer))
        .filter(transfers::id.gt(after))
        .order(transfers::id.asc())
        .limit(PAGE)
        .select((
            transfers::id,
            transfers::manifest_no,
            transfers::net_kg,
            transfers::received_net_kg,
            transfers::dispatched_at,
            transfers::received_at,
            listings::category_code,
            deals::receiver_org_id,
            deals::intended_use,
            transfers::deal_id,
            listings::title,
            listings::subtype,
            listings::national_code,
            transfers::carrier,
            transfers::carrier_uscc,
            transfers::carrier_licence_no,
            transfers::vehicle_plate,
            transfers::driver,
            transfers::destination_site_id,
            transfers::physical_form,
            transfers::covering,
            transfers::received_by,
            transfers::rejected,
            transfers::difference_reason,
            transfers::inter_province,
        ))
        .load(conn)?;
    let site_ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.destination.as_deref())
        .collect();
    let destinations: HashMap<String, (String, String, String)> = sites::table
        .filter(sites::id.eq_any(&site_ids))
        .select((sites::id, sites::name, sites::region_code, sites::address))
        .load::<(String, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, region, address)| (id, (name, region, address)))
        .collect();
    let receiver_ids: Vec<&str> = rows.iter().map(|r| r.receiver.as_str()).collect();
    let receivers: HashMap<String, (String, String)> = organizations::table
        .filter(organizations::id.eq_any(&receiver_ids))
        .select((
            organizations::id,
            organizations::legal_name,
            organizations::uscc,
        ))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, uscc)| (id, (name, uscc)))
        .collect();
    let mut sheet = Sheet::new();
    if header {
        sheet.row([
            "manifest_no",
            "category_code",
            "dispatched_t",
            "received_t",
            "receiver_name",
            "receiver_uscc",
            "intended_use",
            "dispatched_at",
            "received_at",
            "deal_id",
            "waste_name",
            "subtype",
            "national_code",
            "carrier",
            "carrier_uscc",
            "carrier_licence_no",
            "vehicle_plate",
            "driver",
            "destination_site",
            "destination_region",
            "destination_address",
            "physical_form",
            "covering",
            "received_by",
            "rejected",
            "difference_reason",
            "inter_province",
        ])?;
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    for row in &rows {
        let (name, uscc) = receivers.get(&row.receiver).cloned().unwrap_or_default();
        let (site, region, address) = row
            .destination
            .as_ref()
            .and_then(|d| destinations.get(d))
            .cloned()
            .unwrap_or_default();
        sheet.row([
            row.manifest_no.clone(),
            row.category.clone(),
            format_tonnes(row.net_kg),
            row.received_net_kg.map(format_tonnes).unwrap_or_default(),
            name,
            uscc,
            row.intended_use.clone(),
            rfc3339(&row.dispatched_at),
            row.received_at.as_ref().map(rfc3339).unwrap_or_default(),
            row.deal_id.clone(),
            row.waste_name.clone(),
            text(&row.subtype),
            text(&row.national_code),
            row.carrier.clone(),
            text(&row.carrier_uscc),
            text(&row.carrier_licence_no),
            row.vehicle_plate.clone(),
            row.driver.clone(),
            site,
            region,
            address,
            text(&row.physical_form),
            text(&row.covering),
            text(&row.received_by),
            row.rejected.to_string(),
            text(&row.difference_reason),
            row.inter_province.to_string(),
        ])?;
    }
    let bytes = sheet.into_bytes()?;
    let next = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    Ok((bytes, next))
}
