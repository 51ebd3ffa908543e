//! Truckloads (transfer manifests, 转移联单): dispatch with the weighbridge ticket, the receiver's
//! weighed receipt, and a deal's page with its truckloads. The only writer of `transfers`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::new_id;
use crate::db::schema::transfers;
use crate::db::{DbConnection, now};
use crate::domain::deal::{DealEvent, DealStatus, difference_flagged};
use crate::domain::notification::NotificationKind;
use crate::domain::quantity::format_tonnes;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, whole};
use crate::service::market::deals::{
    self, Deal, load_row, move_deal, record, tell_parties, tell_staff,
};
use crate::service::notifications::{Notice, notify_owners};

#[derive(Debug, Serialize, ToSchema)]
pub struct DealDetail {
    #[serde(flatten)]
    pub deal: Deal,
    pub transfers: Vec<Transfer>,
}

/// A deal with its truckloads, for its parties and staff.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> Result<DealDetail, ApiError> {
    let row = load_row(conn, id)?;
    if !(row.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    let list: Vec<TransferRow> = transfers::table
        .filter(transfers::deal_id.eq(id))
        .order(transfers::id.asc())
        .load(conn)?;
    Ok(DealDetail {
        deal: row.view(),
        transfers: list.iter().map(TransferRow::view).collect(),
    })
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Transfer {
    pub id: String,
    pub deal_id: String,
    /// Human-readable manifest number, e.g. `WF-20261129-7K3Q9D`.
    pub manifest_no: String,
    pub carrier: String,
    pub vehicle_plate: String,
    pub driver: String,
    pub ticket_no: String,
    pub gross_kg: i64,
    pub tare_kg: i64,
    pub net_kg: i64,
    pub dispatched_at: DateTime<Utc>,
    pub received_net_kg: Option<i64>,
    pub received_at: Option<DateTime<Utc>>,
    /// Received and dispatched net weights differ by more than the tolerance.
    pub difference_flagged: bool,
}

#[derive(Queryable, Debug, Clone)]
pub struct TransferRow {
    pub id: String,
    pub deal_id: String,
    pub manifest_no: String,
    pub carrier: String,
    pub vehicle_plate: String,
    pub driver: String,
    pub ticket_no: String,
    pub gross_kg: i64,
    pub tare_kg: i64,
    pub net_kg: i64,
    pub dispatched_at: NaiveDateTime,
    pub received_net_kg: Option<i64>,
    pub received_at: Option<NaiveDateTime>,
    pub difference_flagged: bool,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

impl TransferRow {
    pub fn view(&self) -> Transfer {
        Transfer {
            id: self.id.clone(),
            deal_id: self.deal_id.clone(),
            manifest_no: self.manifest_no.clone(),
            carrier: self.carrier.clone(),
            vehicle_plate: self.vehicle_plate.clone(),
            driver: self.driver.clone(),
            ticket_no: self.ticket_no.clone(),
            gross_kg: self.gross_kg,
            tare_kg: self.tare_kg,
            net_kg: self.net_kg,
            dispatched_at: self.dispatched_at.and_utc(),
            received_net_kg: self.received_net_kg,
            received_at: self.received_at.map(|t| t.and_utc()),
            difference_flagged: self.difference_flagged,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub carrier: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 2,
        max_length = 20,
        example = "蒙B·12345"
    )]
    pub vehicle_plate: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub driver: String,
    /// Weighbridge ticket number.
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub ticket_no: String,
    #[schema(minimum = 1, maximum = 200000)]
    #[serde(deserialize_with = "whole::deserialize")]
    pub gross_kg: i64,
    #[schema(minimum = 0, maximum = 200000)]
    #[serde(deserialize_with = "whole::deserialize")]
    pub tare_kg: i64,
    /// Optional check: must equal gross − tare when sent.
    #[schema(minimum = 0, maximum = 200000)]
    #[serde(default, deserialize_with = "whole::option::deserialize")]
    pub net_kg: Option<i64>,
    pub dispatched_at: DateTime<Utc>,
}

/// Largest weight one truck can carry, as a plausibility bound.
const MAX_TRUCK_KG: i64 = 200_000;

fn manifest_no() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let tail: String = (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("WF-{}-{tail}", Utc::now().format("%Y%m%d"))
}

/// The producer records a truckload leaving its weighbridge.
pub fn record_transfer(
    conn: &mut DbConnection,
    user: &CurrentUser,
    deal_id: &str,
    req: &TransferInput,
    tolerance_permille: i64,
) -> Result<Transfer, ApiError> {
    let before = load_row(conn, deal_id)?;
    if !(before.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    if !user.belongs_to(&before.producer_org_id) {
        return Err(ApiError::forbidden(
            "producer_only",
            "The producer records its dispatches.",
        ));
    }
    let mut c = Checks::default();
    c.text("carrier", &req.carrier, 1, 200);
    c.text("vehicle_plate", &req.vehicle_plate, 2, 20);
    c.text("driver", &req.driver, 1, 100);
    c.text("ticket_no", &req.ticket_no, 1, 100);
    if !(1..=MAX_TRUCK_KG).contains(&req.gross_kg) {
        c.push(
            "gross_kg",
            "out_of_range",
            format!("must be between 1 and {MAX_TRUCK_KG}"),
        );
    }
    if !(0..=MAX_TRUCK_KG).contains(&req.tare_kg) {
        c.push(
            "tare_kg",
            "out_of_range",
            format!("must be between 0 and {MAX_TRUCK_KG}"),
        );
    }
    let net = req.gross_kg - req.tare_kg;
    if net <= 0 {
        c.push("tare_kg", "not_below_gross", "must be below gross_kg");
    }
    if req.net_kg.is_some_and(|n| n != net) {
        c.push("net_kg", "mismatch", "must equal gross_kg − tare_kg");
    }
    if req.dispatched_at > Utc::now() + chrono::Duration::minutes(10) {
        c.push("dispatched_at", "in_future", "must not be in the future");
    }
    // SUM over BIGINT is NUMERIC on PostgreSQL; a deal has few truckloads, so add them here.
    let dispatched: i64 = transfers::table
        .filter(transfers::deal_id.eq(deal_id))
        .select(transfers::net_kg)
        .load::<i64>(conn)?
        .iter()
        .sum();
    // Loads may run a little over the contract, within the weighbridge tolerance.
    if net > 0 && (dispatched + net) * 1000 > before.quantity_kg * (1000 + tolerance_permille) {
        c.push(
            "gross_kg",
            "exceeds_deal",
            format!(
                "the deal is for {} t; {} t already dispatched",
                format_tonnes(before.quantity_kg),
                format_tonnes(dispatched)
            ),
        );
    }
    c.finish()?;
    let after = move_deal(
        conn,
        &before,
        DealEvent::Dispatch,
        before.status_reason.as_deref(),
    )?;
    let id = new_id();
    diesel::insert_into(transfers::table)
        .values((
            transfers::id.eq(&id),
            transfers::deal_id.eq(deal_id),
            transfers::manifest_no.eq(manifest_no()),
            transfers::carrier.eq(req.carrier.trim()),
            transfers::vehicle_plate.eq(req.vehicle_plate.trim()),
            transfers::driver.eq(req.driver.trim()),
            transfers::ticket_no.eq(req.ticket_no.trim()),
            transfers::gross_kg.eq(req.gross_kg),
            transfers::tare_kg.eq(req.tare_kg),
            transfers::net_kg.eq(net),
            transfers::dispatched_at.eq(req.dispatched_at.naive_utc()),
            transfers::recorded_by.eq(&user.id),
            transfers::created_at.eq(now()),
        ))
        .execute(conn)?;
    let transfer: TransferRow = transfers::table.find(&id).first(conn)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "transfer.dispatched",
            object_type: "transfer",
            object_id: &id,
            reason: None,
        },
        None::<&()>,
        Some(&transfer.view()),
    )?;
    if after.status != before.status {
        record(conn, &user.id, "deal.in_transfer", &before, &after, None)?;
    }
    let note = format!(
        "{} · {} · {} kg",
        transfer.manifest_no, transfer.vehicle_plate, transfer.net_kg
    );
    notify_owners(
        conn,
        &before.receiver_org_id,
        &Notice {
            kind: NotificationKind::TransferRecorded,
            title_zh: "货物已发出（转移联单）".into(),
            title_en: "Truckload dispatched (transfer manifest)".into(),
            body_zh: note.clone(),
            body_en: note,
            object_type: Some("deal"),
            object_id: Some(deal_id),
        },
    )?;
    Ok(transfer.view())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    #[schema(minimum = 0, maximum = 200000)]
    #[serde(deserialize_with = "whole::deserialize")]
    pub received_net_kg: i64,
    pub received_at: DateTime<Utc>,
}

/// The receiver records what its weighbridge measured; a difference beyond the tolerance is
/// flagged and staff are told.
pub fn receive(
    conn: &mut DbConnection,
    user: &CurrentUser,
    deal_id: &str,
    transfer_id: &str,
    req: &ReceiptRequest,
    tolerance_permille: i64,
) -> Result<Transfer, ApiError> {
    let deal = load_row(conn, deal_id)?;
    if !(deal.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    let transfer: TransferRow = transfers::table
        .filter(transfers::id.eq(transfer_id))
        .filter(transfers::deal_id.eq(deal_id))
        .first(conn)?;
    if !user.belongs_to(&deal.receiver_org_id) {
        return Err(ApiError::forbidden(
            "receiver_only",
            "The receiver records receipts.",
        ));
    }
    if deal.status != DealStatus::InTransfer {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("The deal is {}.", deal.status),
        ));
    }
    let mut c = Checks::default();
    if !(0..=MAX_TRUCK_KG).contains(&req.received_net_kg) {
        c.push(
            "received_net_kg",
            "out_of_range",
            format!("must be between 0 and {MAX_TRUCK_KG}"),
        );
    }
    if req.received_at.naive_utc() < transfer.dispatched_at {
        c.push(
            "received_at",
            "before_dispatch",
            "must not be before the dispatch",
        );
    }
    if req.received_at > Utc::now() + chrono::Duration::minutes(10) {
        c.push("received_at", "in_future", "must not be in the future");
    }
    c.finish()?;
    let flagged = difference_flagged(transfer.net_kg, req.received_net_kg, tolerance_permille);
    let changed = diesel::update(
        transfers::table
            .find(transfer_id)
            .filter(transfers::received_at.is_null()),
    )
    .set((
        transfers::received_net_kg.eq(req.received_net_kg),
        transfers::received_at.eq(req.received_at.naive_utc()),
        transfers::difference_flagged.eq(flagged),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            "already_received",
            "This truckload's receipt is already recorded.",
        ));
    }
    deals::add_delivered(conn, deal_id, req.received_net_kg)?;
    let after: TransferRow = transfers::table.find(transfer_id).first(conn)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "transfer.received",
            object_type: "transfer",
            object_id: transfer_id,
            reason: None,
        },
        Some(&transfer.view()),
        Some(&after.view()),
    )?;
    if flagged {
        let note = format!(
            "{}: dispatched {} kg, received {} kg",
            after.manifest_no, after.net_kg, req.received_net_kg
        );
        tell_staff(
            conn,
            &deal,
            NotificationKind::WeightDifferenceFlagged,
            "过磅差异超限",
            "Weighbridge difference flagged",
            &note,
        )?;
        tell_parties(
            conn,
            &deal,
            NotificationKind::WeightDifferenceFlagged,
            "过磅差异超限",
            "Weighbridge difference flagged",
            &note,
        )?;
    }
    Ok(after.view())
}
