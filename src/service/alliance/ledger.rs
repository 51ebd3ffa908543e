//! The producer's ledger (台账): every outgoing truckload with category code, tonnes, receiver
//! (name and USCC), intended use, dispatch and receipt dates and manifest number, as CSV pages.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{deals, listings, organizations, transfers};
use crate::domain::quantity::format_tonnes;
use crate::domain::time::rfc3339;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::export::Sheet;

/// Rows per page; the HTTP layer streams page after page.
pub const PAGE: i64 = 1000;

/// transfer id, manifest, net kg, received kg, dispatched, received, category, receiver org,
/// intended use, deal id
type Row = (
    String,
    String,
    i64,
    Option<i64>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    String,
    String,
    String,
    String,
);

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
        ))
        .load(conn)?;
    let receiver_ids: Vec<&str> = rows.iter().map(|r| r.7.as_str()).collect();
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
        ])?;
    }
    for row in &rows {
        let (name, uscc) = receivers.get(&row.7).cloned().unwrap_or_default();
        sheet.row([
            row.1.clone(),
            row.6.clone(),
            format_tonnes(row.2),
            row.3.map(format_tonnes).unwrap_or_default(),
            name,
            uscc,
            row.8.clone(),
            rfc3339(&row.4),
            row.5.as_ref().map(rfc3339).unwrap_or_default(),
            row.9.clone(),
        ])?;
    }
    let bytes = sheet.into_bytes()?;
    let next = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.0.clone()))
        .flatten();
    Ok((bytes, next))
}
