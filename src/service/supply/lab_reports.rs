//! The stream's lab reports as a contract keeps them: the first from the lot's values at
//! approval, then the producer's. The latest rules: out of date once more than a batch left under
//! it (GB/T 1596: 500 t of fly ash), or out of the contract's bounds, it holds the next call-off;
//! a new one within bounds resumes the contract. The only writer of `contract_lab_reports`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{call_offs, contract_lab_reports, deals};
use crate::db::{DbConnection, new_id, now};
use crate::domain::grading::Properties;
use crate::domain::quantity::format_tonnes;
use crate::domain::supply::{ContractEvent, ContractStatus, quality_breach, report_out_of_date};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::input::Checks;
use crate::service::market::catalog::Catalog;
use crate::service::market::lots::{self, LabReport, grades_of, report_batch_kg};
use crate::service::supply::contracts::{self, ContractRow, record, suspend_or_resume};

/// A lab report of the stream, filed under the contract by the producer.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractReportInput {
    pub lab_report: LabReport,
    /// Lab values by property key, as on the lot.
    #[schema(schema_with = crate::service::input::properties_schema)]
    pub properties: Properties,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractLabReport {
    pub id: String,
    pub lab_name: Option<String>,
    pub report_no: Option<String>,
    pub sampled_on: Option<NaiveDate>,
    #[schema(value_type = Object)]
    pub properties: Properties,
    /// Grades computed from the values, by rule.
    pub grades: BTreeMap<String, String>,
    /// What the contract had delivered when the report was filed; it covers what came after.
    pub delivered_before_t: String,
    /// Why the values break the contract's quality terms; `null` when they keep them.
    pub breach: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable)]
pub struct ReportRow {
    pub id: String,
    pub contract_id: String,
    pub lab_name: Option<String>,
    pub report_no: Option<String>,
    pub sampled_on: Option<NaiveDate>,
    pub properties: String,
    pub grades: String,
    pub delivered_before_kg: i64,
    pub breach: Option<String>,
    pub filed_by: Option<String>,
    pub created_at: NaiveDateTime,
}

impl ReportRow {
    pub fn view(self) -> ContractLabReport {
        ContractLabReport {
            id: self.id,
            lab_name: self.lab_name,
            report_no: self.report_no,
            sampled_on: self.sampled_on,
            properties: serde_json::from_str(&self.properties).unwrap_or_default(),
            grades: serde_json::from_str(&self.grades).unwrap_or_default(),
            delivered_before_t: format_tonnes(self.delivered_before_kg),
            breach: self.breach,
            created_at: self.created_at.and_utc(),
        }
    }
}

/// Whether the stream's latest lab report still speaks for what the contract delivers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportStanding {
    /// Tonnes one report covers for this material; `null` when no batch rule applies.
    pub batch_limit_t: Option<String>,
    /// Delivered under the contract since the latest report was filed.
    pub delivered_since_t: String,
    /// More than a batch left since the latest report: the next call-off is held.
    pub out_of_date: bool,
    /// The latest report's values break the quality terms.
    pub breach: Option<String>,
}

impl ReportStanding {
    /// Why the next call-off is held, if it is.
    pub fn hold_reason(&self) -> Option<String> {
        if let Some(breach) = &self.breach {
            return Some(format!("lab report out of bounds: {breach}"));
        }
        self.out_of_date.then(|| {
            format!(
                "lab report out of date: {} t delivered since, one report covers {} t",
                self.delivered_since_t,
                self.batch_limit_t.clone().unwrap_or_default()
            )
        })
    }
}

/// Tonnes the receiver confirmed under all of the contract's call-offs.
pub fn delivered_kg(conn: &mut DbConnection, contract_id: &str) -> QueryResult<i64> {
    let kg: Vec<i64> = call_offs::table
        .inner_join(deals::table)
        .filter(call_offs::contract_id.eq(contract_id))
        .select(deals::delivered_kg)
        .load(conn)?;
    Ok(kg.iter().sum())
}

/// The contract's lab reports, oldest first.
pub fn reports(conn: &mut DbConnection, contract_id: &str) -> QueryResult<Vec<ContractLabReport>> {
    let rows: Vec<ReportRow> = contract_lab_reports::table
        .filter(contract_lab_reports::contract_id.eq(contract_id))
        .order(contract_lab_reports::created_at.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(ReportRow::view).collect())
}

pub fn standing(conn: &mut DbConnection, row: &ContractRow) -> Result<ReportStanding, ApiError> {
    let listing = lots::load_row(conn, &row.listing_id)?;
    let batch = report_batch_kg(&listing.category_code);
    let latest: Option<(i64, Option<String>)> = contract_lab_reports::table
        .filter(contract_lab_reports::contract_id.eq(&row.id))
        .order(contract_lab_reports::created_at.desc())
        .select((
            contract_lab_reports::delivered_before_kg,
            contract_lab_reports::breach,
        ))
        .first(conn)
        .optional()?;
    let delivered = delivered_kg(conn, &row.id)?;
    let (before, breach) = latest.unwrap_or((0, None));
    let since = (delivered - before).max(0);
    Ok(ReportStanding {
        batch_limit_t: batch.map(format_tonnes),
        delivered_since_t: format_tonnes(since),
        out_of_date: report_out_of_date(batch, since),
        breach,
    })
}

fn insert_report(
    conn: &mut DbConnection,
    catalog: &Catalog,
    row: &ContractRow,
    report: &LabReport,
    values: &Properties,
    filed_by: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let listing = lots::load_row(conn, &row.listing_id)?;
    let grades: BTreeMap<String, String> = match catalog.category(&listing.category_code) {
        Some(category) => catalog
            .grades(category, listing.subtype.as_deref(), values)
            .into_iter()
            .map(|(rule, g)| (rule.to_string(), g.grade))
            .collect(),
        None => grades_of(conn, &listing.id)?,
    };
    let breach = quality_breach(&row.bounds(), &row.grades_wanted(), values, &grades);
    diesel::insert_into(contract_lab_reports::table)
        .values((
            contract_lab_reports::id.eq(new_id()),
            contract_lab_reports::contract_id.eq(&row.id),
            contract_lab_reports::lab_name.eq(&report.lab_name),
            contract_lab_reports::report_no.eq(&report.report_no),
            contract_lab_reports::sampled_on.eq(report.sampled_on),
            contract_lab_reports::properties
                .eq(serde_json::to_string(values).unwrap_or_else(|_| "{}".into())),
            contract_lab_reports::grades
                .eq(serde_json::to_string(&grades).unwrap_or_else(|_| "{}".into())),
            contract_lab_reports::delivered_before_kg.eq(delivered_kg(conn, &row.id)?),
            contract_lab_reports::breach.eq(&breach),
            contract_lab_reports::filed_by.eq(filed_by),
            contract_lab_reports::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(breach)
}

/// The producer files a new lab report of the stream. Out of bounds, it suspends the contract;
/// within them, it resumes a suspended contract and releases its held call-off.
/// Returns the contract after it, and the move the report made (suspend, resume), if any.
pub fn file(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
    input: &ContractReportInput,
) -> Result<(ContractRow, Option<ContractEvent>), ApiError> {
    let before = contracts::load_row(conn, id)?;
    if !(before.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    if !user.belongs_to(&before.producer_org_id) {
        return Err(ApiError::forbidden(
            "producer_only",
            "The producer files the stream's lab reports.",
        ));
    }
    let status = before.status_now();
    if !matches!(status, ContractStatus::Active | ContractStatus::Suspended) {
        return Err(ApiError::conflict(
            "invalid_state",
            format!(
                "A contract that is {} takes no lab reports.",
                status.label()
            ),
        ));
    }
    let listing = lots::load_row(conn, &before.listing_id)?;
    let mut c = Checks::default();
    if let Some(category) = catalog.category(&listing.category_code) {
        c.0.extend(Catalog::check_properties(
            category,
            &input.properties,
            "properties",
        ));
    }
    if input
        .lab_report
        .sampled_on
        .is_some_and(|d| d > now().date())
    {
        c.push(
            "lab_report.sampled_on",
            "in_future",
            "must not be after today",
        );
    }
    c.finish()?;
    let breach = insert_report(
        conn,
        catalog,
        &before,
        &input.lab_report,
        &input.properties,
        Some(&user.id),
    )?;
    let event = match (&breach, before.status) {
        (Some(_), ContractStatus::Active) => ContractEvent::Suspend,
        (None, ContractStatus::Suspended) => ContractEvent::Resume,
        _ => {
            record(
                conn,
                &user.id,
                "contract.lab_report",
                Some(&before),
                &before,
                None,
            )?;
            return Ok((before, None));
        }
    };
    let reason = breach.map(|b| format!("lab report out of bounds: {b}"));
    let after = suspend_or_resume(conn, &before, event, reason.as_deref())?;
    record(
        conn,
        &user.id,
        "contract.lab_report",
        Some(&before),
        &after,
        reason.as_deref(),
    )?;
    Ok((after, Some(event)))
}

/// At approval the lot's current lab values become the contract's first report.
pub fn file_first(
    conn: &mut DbConnection,
    catalog: &Catalog,
    row: &ContractRow,
) -> Result<(), ApiError> {
    let listing = lots::load(conn, &row.listing_id)?;
    insert_report(
        conn,
        catalog,
        row,
        &listing.lab_report,
        &listing.properties,
        None,
    )?;
    Ok(())
}
