//! Truckloads (transfer manifests, 转移联单): dispatch with the weighbridge ticket, the receiver's
//! weighed receipt, and a deal's page with its truckloads. The only writer of `transfers`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::TradeSettings;
use crate::db::new_id;
use crate::db::schema::{listings, organizations, sites, transfers};
use crate::db::{DbConnection, now};
use crate::domain::deal::{DealEvent, DealStatus, difference_flagged};
use crate::domain::notification::NotificationKind;
use crate::domain::quantity::format_tonnes;
use crate::domain::uscc;
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
    /// What every truckload's transfer manifest (转移联单) states about the parties and the waste.
    pub manifest: ManifestHeader,
    pub transfers: Vec<Transfer>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Party {
    pub organization_id: String,
    pub legal_name: String,
    pub uscc: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManifestSite {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub address: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Waste {
    /// The lot's title.
    pub name: String,
    /// GB/T 39198 category code.
    pub category: String,
    pub subtype: Option<String>,
    /// National solid-waste code (固体废物分类与代码目录).
    pub national_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManifestHeader {
    pub shipper: Party,
    pub receiver: Party,
    pub origin: ManifestSite,
    /// The deal's receiving site, when the offer named one (each truckload may name its own).
    pub destination: Option<ManifestSite>,
    pub waste: Waste,
}

fn party(conn: &mut DbConnection, id: &str) -> QueryResult<Party> {
    let (legal_name, uscc) = organizations::table
        .find(id)
        .select((organizations::legal_name, organizations::uscc))
        .first::<(String, String)>(conn)?;
    Ok(Party {
        organization_id: id.to_string(),
        legal_name,
        uscc,
    })
}

fn manifest_site(conn: &mut DbConnection, id: &str) -> QueryResult<ManifestSite> {
    let (name, region_code, address) = sites::table
        .find(id)
        .select((sites::name, sites::region_code, sites::address))
        .first::<(String, String, String)>(conn)?;
    Ok(ManifestSite {
        id: id.to_string(),
        name,
        region_code,
        address,
    })
}

fn manifest_header(conn: &mut DbConnection, deal: &deals::DealRow) -> QueryResult<ManifestHeader> {
    let (site_id, name, category, subtype, national_code) = listings::table
        .find(&deal.listing_id)
        .select((
            listings::site_id,
            listings::title,
            listings::category_code,
            listings::subtype,
            listings::national_code,
        ))
        .first::<(String, String, String, Option<String>, Option<String>)>(conn)?;
    Ok(ManifestHeader {
        shipper: party(conn, &deal.producer_org_id)?,
        receiver: party(conn, &deal.receiver_org_id)?,
        origin: manifest_site(conn, &site_id)?,
        destination: match &deal.receiving_site_id {
            Some(id) => Some(manifest_site(conn, id)?),
            None => None,
        },
        waste: Waste {
            name,
            category,
            subtype,
            national_code,
        },
    })
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
        manifest: manifest_header(conn, &row)?,
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
    pub carrier_uscc: Option<String>,
    /// The carrier's road transport operating licence (道路运输经营许可证) number.
    pub carrier_licence_no: Option<String>,
    /// The driver's ID number, masked: only its first 6 and last 4 characters are shown.
    pub driver_id_masked: Option<String>,
    pub physical_form: Option<PhysicalForm>,
    pub covering: Option<Covering>,
    pub destination_site_id: Option<String>,
    /// Origin and destination lie in different provinces: the move needs its inter-provincial
    /// filing (跨省转移备案) for utilisation.
    pub inter_province: bool,
    /// Who received the load at the destination.
    pub received_by: Option<String>,
    /// The receiver turned the load away.
    pub rejected: bool,
    pub difference_reason: Option<String>,
    /// Manifest fields still missing, by name: a regulator's manifest has them all.
    pub manifest_missing: Vec<&'static str>,
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
    pub carrier_uscc: Option<String>,
    pub carrier_licence_no: Option<String>,
    pub driver_id_no: Option<String>,
    pub physical_form: Option<PhysicalForm>,
    pub covering: Option<Covering>,
    pub destination_site_id: Option<String>,
    pub inter_province: bool,
    pub received_by: Option<String>,
    pub rejected: bool,
    pub difference_reason: Option<String>,
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
            carrier_uscc: self.carrier_uscc.clone(),
            carrier_licence_no: self.carrier_licence_no.clone(),
            driver_id_masked: self.driver_id_no.as_deref().map(mask_id),
            physical_form: self.physical_form,
            covering: self.covering,
            destination_site_id: self.destination_site_id.clone(),
            inter_province: self.inter_province,
            received_by: self.received_by.clone(),
            rejected: self.rejected,
            difference_reason: self.difference_reason.clone(),
            manifest_missing: self.missing(),
        }
    }

    /// The manifest fields not yet given (the receipt's only once the load is received).
    fn missing(&self) -> Vec<&'static str> {
        let received = self.received_at.is_some();
        let explained =
            !(self.difference_flagged || self.rejected) || self.difference_reason.is_some();
        [
            ("carrier_uscc", self.carrier_uscc.is_some()),
            ("carrier_licence_no", self.carrier_licence_no.is_some()),
            ("driver_id_no", self.driver_id_no.is_some()),
            ("physical_form", self.physical_form.is_some()),
            ("covering", self.covering.is_some()),
            ("destination_site_id", self.destination_site_id.is_some()),
            ("received_by", !received || self.received_by.is_some()),
            ("difference_reason", !received || explained),
        ]
        .into_iter()
        .filter(|(_, given)| !given)
        .map(|(name, _)| name)
        .collect()
    }
}

/// `110105********1234`: enough to tell drivers apart, not enough to be an ID.
fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

text_enum! {
    /// Physical form of the load, as a manifest states it.
    pub enum PhysicalForm {
        Lump => "lump",
        Granular => "granular",
        Powder => "powder",
        Paste => "paste",
    }
}

text_enum! {
    /// How the load is covered against dust and spills.
    pub enum Covering {
        Tarpaulin => "tarpaulin",
        EnclosedBox => "enclosed_box",
        Tank => "tank",
        Bagged => "bagged",
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
    /// The carrier's unified social credit code.
    #[schema(min_length = 18, max_length = 20)]
    pub carrier_uscc: Option<String>,
    /// The carrier's road transport operating licence (道路运输经营许可证) number.
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 40
    )]
    pub carrier_licence_no: Option<String>,
    /// The driver's ID number; stored, shown masked.
    #[schema(pattern = r"^[0-9A-Za-z]{6,20}$", min_length = 6, max_length = 20)]
    pub driver_id_no: Option<String>,
    pub physical_form: Option<PhysicalForm>,
    pub covering: Option<Covering>,
    /// A site of the receiver; defaults to the deal's receiving site.
    #[schema(max_length = 40)]
    pub destination_site_id: Option<String>,
}

/// Largest weight a weighbridge ticket may show, as a plausibility bound (the road limit is
/// `TradeSettings::road_limit_kg`).
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
    trade: &TradeSettings,
) -> Result<Transfer, ApiError> {
    let tolerance_permille = trade.tolerance_permille;
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
    if req.gross_kg > trade.road_limit_kg && req.gross_kg <= MAX_TRUCK_KG {
        c.push(
            "gross_kg",
            "over_road_limit",
            format!(
                "a truckload may weigh at most {} kg gross on the road (GB 1589)",
                trade.road_limit_kg
            ),
        );
    }
    if let Some(u) = &req.carrier_uscc
        && let Err(e) = uscc::check(u)
    {
        c.push("carrier_uscc", "invalid_uscc", e.to_string());
    }
    if let Some(l) = &req.carrier_licence_no {
        c.text("carrier_licence_no", l, 1, 40);
    }
    if let Some(d) = &req.driver_id_no
        && !((6..=20).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        c.push("driver_id_no", "invalid_id", "6 to 20 letters and digits");
    }
    let destination = req
        .destination_site_id
        .as_deref()
        .or(before.receiving_site_id.as_deref());
    let destination_region = match destination {
        None => None,
        Some(site) => {
            let region = sites::table
                .filter(sites::id.eq(site))
                .filter(sites::organization_id.eq(&before.receiver_org_id))
                .select(sites::region_code)
                .first::<String>(conn)
                .optional()?;
            if region.is_none() {
                c.push(
                    "destination_site_id",
                    "unknown_site",
                    "is not a site of the receiving organization",
                );
            }
            region
        }
    };
    let origin_region: String = listings::table
        .find(&before.listing_id)
        .select(listings::region_code)
        .first(conn)?;
    // The first two digits of a region code name the province.
    let inter_province = destination_region.is_some_and(|r| r.get(..2) != origin_region.get(..2));
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
            transfers::carrier_uscc.eq(req
                .carrier_uscc
                .as_deref()
                .map(|u| u.trim().to_ascii_uppercase())),
            transfers::carrier_licence_no.eq(req.carrier_licence_no.as_deref().map(str::trim)),
            transfers::driver_id_no.eq(req.driver_id_no.as_deref()),
            transfers::physical_form.eq(req.physical_form),
            transfers::covering.eq(req.covering),
            transfers::destination_site_id.eq(destination),
            transfers::inter_province.eq(inter_province),
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
    /// Who received the load.
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub received_by: Option<String>,
    /// The receiver turns the load away: `received_net_kg` must be 0 and a reason given.
    #[serde(default)]
    pub rejected: bool,
    /// Why the weights differ, or why the load was turned away.
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 500
    )]
    pub difference_reason: Option<String>,
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
    if let Some(r) = &req.received_by {
        c.text("received_by", r, 1, 100);
    }
    if let Some(r) = &req.difference_reason {
        c.text("difference_reason", r, 1, 500);
    }
    if req.rejected {
        if req.received_net_kg != 0 {
            c.push(
                "received_net_kg",
                "rejected_load",
                "a load turned away is received as 0 kg",
            );
        }
        if req.difference_reason.is_none() {
            c.push(
                "difference_reason",
                "required",
                "say why the load was turned away",
            );
        }
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
        transfers::received_by.eq(req.received_by.as_deref().map(str::trim)),
        transfers::rejected.eq(req.rejected),
        transfers::difference_reason.eq(req.difference_reason.as_deref().map(str::trim)),
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
