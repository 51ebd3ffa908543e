//! Monthly call-offs: each month of an active contract is a deal without an offer, approved with
//! the contract, so its truckloads, receipts, settlement, ledger and statistics are a deal's and
//! are counted once. The receiver calls a month off (the hourly job opens the current month at the
//! band's minimum when it has not); a stale or out-of-bounds lab report holds the call-off until a
//! new report is filed. When the deal ends, or the job closes the month after its grace days, the
//! month is judged against the band and both parties are told; the last month ends the contract.
//! The only writer of `call_offs`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::deals as deal_rows;
use crate::db::schema::{call_offs, supply_contracts, transfers};
use crate::db::{DbConnection, now};
use crate::domain::deal::{DealEvent, DealStatus};
use crate::domain::notification::NotificationKind;
use crate::domain::quantity::{amount_fen, format_tonnes, format_yuan};
use crate::domain::supply::{
    BandFlag, CALL_OFF_AHEAD_MONTHS, ContractEvent, ContractStatus, Month, band_flag, price_for,
};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes};
use crate::service::market::deals::{self, Agreement, DealRow};
use crate::service::notifications::{Notice, notify_staff};
use crate::service::supply::contracts::{self, ContractRow};
use crate::service::supply::lab_reports;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallOffInput {
    /// `YYYY-MM`: a month of the term, from this month up to two months ahead, after the last
    /// month called.
    #[schema(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub month: String,
    /// Tonnes called for the month, within the contract's monthly band.
    pub called_t: Tonnes,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallOff {
    /// The month's deal: record its truckloads at `/deals/{deal_id}/transfers`.
    pub deal_id: String,
    pub contract_id: String,
    pub month: String,
    pub called_t: String,
    pub min_monthly_t: String,
    pub max_monthly_t: String,
    pub price_per_t: String,
    pub status: DealStatus,
    /// Why the call-off is held (the stream's lab report); `null` when it runs.
    pub held_reason: Option<String>,
    pub truckloads: i64,
    /// Tonnes the receiver confirmed at its weighbridge.
    pub delivered_t: String,
    /// Delivered × price once the month closed.
    pub settled_amount_yuan: Option<String>,
    /// The month's delivery against the band, once closed.
    pub band_flag: Option<BandFlag>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Debug, Clone)]
pub struct CallOffRow {
    pub deal_id: String,
    pub contract_id: String,
    pub month: String,
    pub min_kg: i64,
    pub max_kg: i64,
    pub held_reason: Option<String>,
    pub band_flag: Option<BandFlag>,
    pub closed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

fn view(row: CallOffRow, deal: &DealRow, truckloads: i64) -> CallOff {
    CallOff {
        deal_id: row.deal_id,
        contract_id: row.contract_id,
        month: row.month,
        called_t: format_tonnes(deal.quantity_kg),
        min_monthly_t: format_tonnes(row.min_kg),
        max_monthly_t: format_tonnes(row.max_kg),
        price_per_t: format_yuan(deal.price_fen_per_t),
        status: deal.status,
        held_reason: row.held_reason,
        truckloads,
        delivered_t: format_tonnes(deal.delivered_kg),
        settled_amount_yuan: row.closed_at.and(deal.settled_fen).map(format_yuan),
        band_flag: row.band_flag,
        closed_at: row.closed_at.map(|t| t.and_utc()),
    }
}

/// A contract's call-offs, month by month, with their deals and truckload counts.
pub fn of_contract(conn: &mut DbConnection, contract_id: &str) -> QueryResult<Vec<CallOff>> {
    let rows: Vec<(CallOffRow, DealRow)> = call_offs::table
        .inner_join(deal_rows::table)
        .filter(call_offs::contract_id.eq(contract_id))
        .order(call_offs::month.asc())
        .select((call_offs::all_columns, deal_rows::all_columns))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|(c, _)| c.deal_id.as_str()).collect();
    let loads: Vec<String> = transfers::table
        .filter(transfers::deal_id.eq_any(&ids))
        .select(transfers::deal_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(c, d)| {
            let n = loads.iter().filter(|id| **id == d.id).count() as i64;
            view(c, &d, n)
        })
        .collect())
}

fn load(conn: &mut DbConnection, deal_id: &str) -> Result<CallOff, ApiError> {
    let row: CallOffRow = call_offs::table.find(deal_id).first(conn)?;
    let contract_id = row.contract_id.clone();
    of_contract(conn, &contract_id)?
        .into_iter()
        .find(|c| c.deal_id == deal_id)
        .ok_or_else(ApiError::not_found)
}

/// The receiver calls a month off.
pub fn place(
    conn: &mut DbConnection,
    user: &CurrentUser,
    contract_id: &str,
    input: &CallOffInput,
) -> Result<CallOff, ApiError> {
    let contract = contracts::load_row(conn, contract_id)?;
    if !(contract.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    if !user.belongs_to(&contract.receiver_org_id) {
        return Err(ApiError::forbidden(
            "receiver_only",
            "The receiver calls off its monthly tonnage.",
        ));
    }
    running(&contract)?;
    let mut c = Checks::default();
    let month = Month::parse(&input.month);
    if month.is_none() {
        c.push("month", "invalid", "a month, YYYY-MM");
    }
    let kg = c.tonnes("called_t", &input.called_t);
    if let Some(kg) = kg
        && !(contract.min_monthly_kg..=contract.max_monthly_kg).contains(&kg)
    {
        c.push(
            "called_t",
            "outside_band",
            format!(
                "the contract's band is {}–{} t a month",
                format_tonnes(contract.min_monthly_kg),
                format_tonnes(contract.max_monthly_kg)
            ),
        );
    }
    c.finish()?;
    let month = month.unwrap_or_else(|| contract.start());
    let this = Month::of(now().date());
    let last: Option<String> = call_offs::table
        .filter(call_offs::contract_id.eq(contract_id))
        .select(diesel::dsl::max(call_offs::month))
        .first(conn)?;
    let first_open = last
        .as_deref()
        .and_then(Month::parse)
        .map_or(contract.start().max(this), |m| m.next().max(this));
    let latest = contract.end().min(this.plus(CALL_OFF_AHEAD_MONTHS));
    if month < first_open || month > latest {
        return Err(ApiError::field(
            "month",
            "outside_term",
            &format!(
                "the next month that may be called off is {first_open}, and months up to {latest}"
            ),
        ));
    }
    open(
        conn,
        Some(&user.id),
        &contract,
        month,
        kg.unwrap_or_default(),
    )
}

/// Only an active or suspended contract takes call-offs.
fn running(contract: &ContractRow) -> Result<(), ApiError> {
    let status = contract.status_now();
    if matches!(status, ContractStatus::Active | ContractStatus::Suspended) {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "invalid_state",
            format!("A contract that is {} takes no call-offs.", status.label()),
        ))
    }
}

/// Opens the month's call-off, held when the stream's latest lab report no longer speaks for it
/// (the contract is suspended and both parties and staff are told).
fn open(
    conn: &mut DbConnection,
    actor: Option<&str>,
    contract: &ContractRow,
    month: Month,
    kg: i64,
) -> Result<CallOff, ApiError> {
    running(contract)?;
    let standing = lab_reports::standing(conn, contract)?;
    let hold = match (standing.hold_reason(), contract.status) {
        (Some(reason), _) => Some(reason),
        (None, ContractStatus::Suspended) => contract.status_reason.clone(),
        (None, _) => None,
    };
    let deal = deals::open(
        conn,
        &Agreement {
            offer_id: None,
            listing_id: &contract.listing_id,
            producer_organization_id: &contract.producer_org_id,
            receiver_organization_id: &contract.receiver_org_id,
            intended_use: contract.intended_use,
            receiving_site_id: contract.receiving_site_id.as_deref(),
            kg,
            price_fen_per_t: price_for(contract.price_fen_per_t, &contract.schedule(), month),
            approved_as: Some("contract_call_off"),
        },
    )?;
    diesel::insert_into(call_offs::table)
        .values((
            call_offs::deal_id.eq(&deal.id),
            call_offs::contract_id.eq(&contract.id),
            call_offs::month.eq(month.to_string()),
            call_offs::min_kg.eq(contract.min_monthly_kg),
            call_offs::max_kg.eq(contract.max_monthly_kg),
            call_offs::held_reason.eq(&hold),
            call_offs::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Entry {
            actor,
            action: "call_off.placed",
            object_type: "deal",
            object_id: &deal.id,
            reason: hold.as_deref(),
        },
        None::<&()>,
        Some(&deal),
    )?;
    let note = format!(
        "{month}: {} t @ {} yuan/t",
        format_tonnes(kg),
        deal.price_per_t
    );
    contracts::tell_parties(
        conn,
        contract,
        NotificationKind::CallOffPlaced,
        ("月度提货已下达", "Monthly call-off placed"),
        &note,
    )?;
    if let Some(reason) = &hold {
        let row = deals::load_row(conn, &deal.id)?;
        deals::move_deal(conn, &row, DealEvent::Hold, Some(reason))?;
        if contract.status == ContractStatus::Active {
            contracts::suspend_or_resume(conn, contract, ContractEvent::Suspend, Some(reason))?;
        }
    }
    load(conn, &deal.id)
}

/// A new report resumed the contract: its held call-offs run again.
pub fn release_held(conn: &mut DbConnection, contract_id: &str) -> Result<usize, ApiError> {
    let held: Vec<String> = call_offs::table
        .filter(call_offs::contract_id.eq(contract_id))
        .filter(call_offs::held_reason.is_not_null())
        .filter(call_offs::closed_at.is_null())
        .select(call_offs::deal_id)
        .load(conn)?;
    for id in &held {
        let row = deals::load_row(conn, id)?;
        if row.status == DealStatus::OnHold {
            deals::move_deal(conn, &row, DealEvent::Approve, Some("lab_report_renewed"))?;
        }
        diesel::update(call_offs::table.find(id))
            .set(call_offs::held_reason.eq(None::<String>))
            .execute(conn)?;
    }
    Ok(held.len())
}

/// After a deal moved: a call-off whose deal ended closes its month.
pub fn settle(conn: &mut DbConnection, deal_id: &str) -> Result<(), ApiError> {
    let row: Option<CallOffRow> = call_offs::table
        .find(deal_id)
        .filter(call_offs::closed_at.is_null())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(()) };
    let deal = deals::load_row(conn, deal_id)?;
    if matches!(deal.status, DealStatus::Completed | DealStatus::Cancelled) {
        close(conn, &row, &deal)?;
    }
    Ok(())
}

/// Judges the month against the band, tells both parties, and ends the contract after its last
/// month.
fn close(conn: &mut DbConnection, row: &CallOffRow, deal: &DealRow) -> Result<(), ApiError> {
    let flag = band_flag(deal.delivered_kg, row.min_kg, row.max_kg);
    let changed = diesel::update(
        call_offs::table
            .find(&row.deal_id)
            .filter(call_offs::closed_at.is_null()),
    )
    .set((
        call_offs::band_flag.eq(flag),
        call_offs::closed_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(());
    }
    let contract = contracts::load_row(conn, &row.contract_id)?;
    let settled = deal
        .settled_fen
        .unwrap_or_else(|| amount_fen(deal.price_fen_per_t, deal.delivered_kg));
    let verdict = match flag {
        BandFlag::Shortfall => format!("short of the {} t minimum", format_tonnes(row.min_kg)),
        BandFlag::Excess => format!("above the {} t maximum", format_tonnes(row.max_kg)),
        BandFlag::Within => "within the band".to_string(),
    };
    let note = format!(
        "{}: {} t delivered, {verdict}; settled {} yuan",
        row.month,
        format_tonnes(deal.delivered_kg),
        format_yuan(settled)
    );
    contracts::tell_parties(
        conn,
        &contract,
        NotificationKind::CallOffClosed,
        ("月度提货已结算", "Monthly call-off closed"),
        &note,
    )?;
    if flag != BandFlag::Within {
        notify_staff(
            conn,
            &Notice::with_note(
                NotificationKind::CallOffClosed,
                "月度提货超出约定范围",
                "Monthly call-off outside its band",
                &note,
                "contract",
                &contract.id,
            ),
        )?;
    }
    let last = Month::parse(&row.month).is_some_and(|m| m >= contract.end());
    if last
        && matches!(
            contract.status,
            ContractStatus::Active | ContractStatus::Suspended
        )
    {
        contracts::end(conn, &contract)?;
    }
    Ok(())
}

/// Hourly: every active contract gets this month's call-off at its band's minimum when the
/// receiver has not called the month off (a contract with a zero minimum is left to its receiver).
pub fn open_current_months(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let this = Month::of(now().date()).to_string();
    let due: Vec<ContractRow> = supply_contracts::table
        .filter(supply_contracts::status.eq_any([
            ContractStatus::Active.as_str(),
            ContractStatus::Suspended.as_str(),
        ]))
        .filter(supply_contracts::start_month.le(&this))
        .filter(supply_contracts::end_month.ge(&this))
        .filter(supply_contracts::min_monthly_kg.gt(0))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            call_offs::table
                .filter(call_offs::contract_id.eq(supply_contracts::id))
                .filter(call_offs::month.ge(&this)),
        )))
        .load(conn)?;
    let month = Month::of(now().date());
    for contract in &due {
        open(conn, None, contract, month, contract.min_monthly_kg)?;
    }
    Ok(due.len())
}

/// Hourly: months past their grace days close. A deal still in transfer with every load received
/// completes; one nothing left for is cancelled; one with loads still on the road or in dispute
/// waits. Contracts past their last month's closing day end (a call-off still open settles on
/// its own).
pub fn close_past_months(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let today = now().date();
    // A month closes once its grace days have passed: every month before the one that is
    // `CLOSE_GRACE_DAYS` behind today.
    let open: Vec<(CallOffRow, DealRow)> = call_offs::table
        .inner_join(deal_rows::table)
        .filter(call_offs::closed_at.is_null())
        .filter(call_offs::month.lt(Month::of(today).to_string()))
        .select((call_offs::all_columns, deal_rows::all_columns))
        .load(conn)?;
    let mut closed = 0;
    for (row, deal) in open {
        if Month::parse(&row.month).is_none_or(|m| m.closes_on() > today) {
            continue;
        }
        let event = match deal.status {
            DealStatus::Completed | DealStatus::Cancelled => None,
            DealStatus::InTransfer if unreceived(conn, &deal.id)? == 0 => Some(DealEvent::Complete),
            DealStatus::PendingApproval | DealStatus::Approved | DealStatus::OnHold => {
                Some(DealEvent::Cancel)
            }
            _ => continue,
        };
        let deal = match event {
            Some(event) => deals::move_deal(conn, &deal, event, Some("month_closed"))?,
            None => deal,
        };
        close(conn, &row, &deal)?;
        closed += 1;
    }
    let this = Month::of(today).to_string();
    let over: Vec<ContractRow> = supply_contracts::table
        .filter(supply_contracts::status.eq_any([
            ContractStatus::Active.as_str(),
            ContractStatus::Suspended.as_str(),
        ]))
        .filter(supply_contracts::end_month.lt(&this))
        .load(conn)?;
    for contract in &over {
        if contract.end().closes_on() <= today {
            contracts::end(conn, contract)?;
            closed += 1;
        }
    }
    Ok(closed)
}

fn unreceived(conn: &mut DbConnection, deal_id: &str) -> QueryResult<i64> {
    transfers::table
        .filter(transfers::deal_id.eq(deal_id))
        .filter(transfers::received_at.is_null())
        .count()
        .get_result(conn)
}
