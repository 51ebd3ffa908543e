//! Lots as stored: the `listings` table and its children (`listing_properties`, `listing_grades`,
//! `listing_attachments`). This module is their only writer: terms, the state machine, and the
//! tonnage that offers take and cancelled deals give back. Use cases live in `listings`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{
    listing_attachments, listing_grades, listing_properties, listing_texts, listings,
};
use crate::db::{DbConnection, now};
use crate::domain::grading::{GradeResult, Properties, PropertyValue, RULE_SET};
use crate::domain::listing::{
    DeliveryTerms, Generation, ListingEvent, ListingStatus, PricingModel, SupplyPattern,
    search_text, transition,
};
use crate::domain::quantity::{format_tonnes, format_yuan};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::input::{Checks, Tonnes};
use crate::service::market::catalog::Catalog;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabReport {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub lab_name: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub report_no: Option<String>,
    pub sampled_on: Option<NaiveDate>,
}

text_enum! {
    /// What a hazardous-waste identification (GB 5085.7) concluded.
    pub enum IdentificationConclusion {
        NotHazardous => "not_hazardous",
        /// Puts the lot out of scope (422 `hazardous_waste_out_of_scope`).
        Hazardous => "hazardous",
    }
}

/// A hazardous-waste identification report (鉴别报告), as a record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentificationReport {
    /// The organization that identified the waste.
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub issuer: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub report_no: String,
    /// Not in the future; `null` only on records migrated from a free-text reference.
    pub issued_on: Option<NaiveDate>,
    pub conclusion: IdentificationConclusion,
}

/// How much of a lot its lab report covers: a report speaks for one batch (GB/T 1596: at most
/// 500 t of fly ash per report).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportCoverage {
    /// Tonnes one report covers for this material.
    pub batch_limit_t: String,
    /// The lot's tonnage beyond what its report covers.
    pub uncovered_t: String,
    /// The lot is larger than one batch (or recurring past it): file a newer report for the rest.
    pub needs_newer_report: bool,
    pub source: &'static str,
}

text_enum! {
    pub enum AttachmentKind {
        Photo => "photo",
        Document => "document",
    }
}

/// A photo or document by reference (an https URL), not an upload.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub kind: AttachmentKind,
    #[schema(max_length = 500, format = "uri")]
    pub url: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supply {
    pub pattern: SupplyPattern,
    /// Tonnes per month, for a recurring supply.
    pub monthly_t: Option<Tonnes>,
}

impl Supply {
    /// Tonnes per month, required of a recurring supply and refused on a one-off.
    pub fn monthly(&self, c: &mut Checks, field: &str) -> Option<i64> {
        let field = format!("{field}.monthly_t");
        match (self.pattern, &self.monthly_t) {
            (SupplyPattern::Recurring, Some(m)) => c.tonnes(&field, m),
            (SupplyPattern::Recurring, None) => {
                c.push(
                    &field,
                    "required",
                    "a recurring supply states tonnes per month",
                );
                None
            }
            (SupplyPattern::OneOff, Some(_)) => {
                c.push(
                    &field,
                    "not_allowed",
                    "only a recurring supply has a monthly amount",
                );
                None
            }
            (SupplyPattern::OneOff, None) => None,
        }
    }
}

/// A lot's or a demand's supply pattern as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplyTerms {
    pub pattern: SupplyPattern,
    pub monthly_t: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PricingTerms {
    pub model: PricingModel,
    pub price_per_t: Option<String>,
    pub reserve_per_t: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteRef {
    pub id: String,
    pub region_code: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Listing {
    pub id: String,
    pub organization_id: String,
    pub status: ListingStatus,
    /// Why staff rejected or unpublished it, or why it closed.
    pub status_reason: Option<String>,
    pub category: String,
    pub subtype: Option<String>,
    pub title: String,
    pub description: String,
    pub quantity_t: String,
    pub remaining_t: String,
    pub min_order_t: String,
    pub supply: SupplyTerms,
    pub generation: Generation,
    pub site_id: String,
    pub site: SiteRef,
    pub available_from: DateTime<Utc>,
    pub available_until: Option<DateTime<Utc>>,
    pub delivery_terms: DeliveryTerms,
    pub pricing: PricingTerms,
    #[schema(value_type = Object)]
    pub properties: Properties,
    pub lab_report: LabReport,
    /// Present when the lot's lab report covers a batch smaller than the lot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lab_report_coverage: Option<ReportCoverage>,
    pub identification_report: Option<IdentificationReport>,
    /// The national solid-waste code (固体废物分类与代码目录, 2024), e.g. `441-001-S02`.
    pub national_code: Option<String>,
    /// Computed grades by rule name, each with its standard and rule set.
    #[schema(value_type = Object)]
    pub grades: BTreeMap<String, StoredGrade>,
    pub attachments: Vec<Attachment>,
    pub version: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Great-circle distance from the search point, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredGrade {
    pub grade: String,
    pub rule_set: String,
}

#[derive(Queryable, Debug, Clone)]
pub struct ListingRow {
    pub id: String,
    pub organization_id: String,
    pub site_id: String,
    pub category_code: String,
    pub subtype: Option<String>,
    pub title: String,
    pub description: String,
    pub quantity_kg: i64,
    pub remaining_kg: i64,
    pub min_order_kg: i64,
    pub supply_pattern: SupplyPattern,
    pub monthly_kg: Option<i64>,
    pub generation: Generation,
    pub available_from: NaiveDateTime,
    pub available_until: Option<NaiveDateTime>,
    pub delivery_terms: DeliveryTerms,
    pub pricing_model: PricingModel,
    pub price_fen_per_t: Option<i64>,
    pub reserve_fen_per_t: Option<i64>,
    pub search_price_fen: Option<i64>,
    pub lab_report: Option<String>,
    pub status: ListingStatus,
    pub status_reason: Option<String>,
    pub region_code: String,
    pub lat: f64,
    pub lon: f64,
    pub version: i64,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub national_code: Option<String>,
    pub identification_report: Option<String>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Rows to views with their properties, grades and attachments: three queries for a whole page.
pub fn views(conn: &mut DbConnection, rows: Vec<ListingRow>) -> Result<Vec<Listing>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut props: HashMap<String, Properties> = HashMap::new();
    for (lid, key, num, text) in listing_properties::table
        .filter(listing_properties::listing_id.eq_any(&ids))
        .load::<(String, String, Option<f64>, Option<String>)>(conn)?
    {
        if let Some(value) = stored_value(num, text) {
            props.entry(lid).or_default().insert(key, value);
        }
    }
    let mut grades: HashMap<String, BTreeMap<String, StoredGrade>> = HashMap::new();
    for (lid, rule, grade, rule_set) in listing_grades::table
        .filter(listing_grades::listing_id.eq_any(&ids))
        .load::<(String, String, String, String)>(conn)?
    {
        grades
            .entry(lid)
            .or_default()
            .insert(rule, StoredGrade { grade, rule_set });
    }
    let mut attachments: HashMap<String, Vec<Attachment>> = HashMap::new();
    for (lid, kind, url, title) in listing_attachments::table
        .filter(listing_attachments::listing_id.eq_any(&ids))
        .order((
            listing_attachments::listing_id,
            listing_attachments::position,
        ))
        .select((
            listing_attachments::listing_id,
            listing_attachments::kind,
            listing_attachments::url,
            listing_attachments::title,
        ))
        .load::<(String, AttachmentKind, String, String)>(conn)?
    {
        attachments
            .entry(lid)
            .or_default()
            .push(Attachment { kind, url, title });
    }
    Ok(rows
        .into_iter()
        .map(|r| Listing {
            status: r.status_now(),
            status_reason: if r.expired() {
                Some(AVAILABILITY_ENDED.to_string())
            } else {
                r.status_reason.clone()
            },
            properties: props.remove(&r.id).unwrap_or_default(),
            grades: grades.remove(&r.id).unwrap_or_default(),
            attachments: attachments.remove(&r.id).unwrap_or_default(),
            supply: SupplyTerms {
                pattern: r.supply_pattern,
                monthly_t: r.monthly_kg.map(format_tonnes),
            },
            generation: r.generation,
            delivery_terms: r.delivery_terms,
            pricing: PricingTerms {
                model: r.pricing_model,
                price_per_t: r.price_fen_per_t.map(format_yuan),
                reserve_per_t: r.reserve_fen_per_t.map(format_yuan),
            },
            quantity_t: format_tonnes(r.quantity_kg),
            remaining_t: format_tonnes(r.remaining_kg),
            min_order_t: format_tonnes(r.min_order_kg),
            lab_report: r
                .lab_report
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or(LabReport {
                    lab_name: None,
                    report_no: None,
                    sampled_on: None,
                }),
            site: SiteRef {
                id: r.site_id.clone(),
                region_code: r.region_code,
                lat: r.lat,
                lon: r.lon,
            },
            site_id: r.site_id,
            available_from: utc(r.available_from),
            available_until: r.available_until.map(utc),
            published_at: r.published_at.map(utc),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            id: r.id,
            organization_id: r.organization_id,
            subtype: r.subtype,
            title: r.title,
            description: r.description,
            identification_report: r
                .identification_report
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            lab_report_coverage: coverage(&r.category_code, r.quantity_kg, r.supply_pattern),
            category: r.category_code,
            national_code: r.national_code,
            version: r.version,
            distance_km: None,
        })
        .collect())
}

/// Tonnes one lab report covers, by category (GB/T 1596-2017: fly ash is tested per 500 t).
const REPORT_BATCH_KG: &[(&str, i64, &str)] = &[("SW02", 500_000, "GB/T 1596-2017, 8.1")];

/// Tonnes (kg) one lab report covers for a category, when a batch rule applies.
pub fn report_batch_kg(category: &str) -> Option<i64> {
    REPORT_BATCH_KG
        .iter()
        .find(|(c, _, _)| *c == category)
        .map(|(_, kg, _)| *kg)
}

/// A lot larger than one batch, or a recurring stream, needs more than one report.
fn coverage(category: &str, quantity_kg: i64, supply: SupplyPattern) -> Option<ReportCoverage> {
    let (_, batch, source) = REPORT_BATCH_KG.iter().find(|(c, _, _)| *c == category)?;
    let uncovered = (quantity_kg - batch).max(0);
    (uncovered > 0 || supply == SupplyPattern::Recurring).then(|| ReportCoverage {
        batch_limit_t: format_tonnes(*batch),
        uncovered_t: format_tonnes(uncovered),
        needs_newer_report: true,
        source,
    })
}

/// A lot's stored grades by rule name.
pub fn grades_of(conn: &mut DbConnection, id: &str) -> QueryResult<BTreeMap<String, String>> {
    Ok(listing_grades::table
        .filter(listing_grades::listing_id.eq(id))
        .select((listing_grades::rule, listing_grades::grade))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<ListingRow, ApiError> {
    Ok(listings::table.find(id).first(conn)?)
}

pub fn load(conn: &mut DbConnection, id: &str) -> Result<Listing, ApiError> {
    let row = load_row(conn, id)?;
    Ok(views(conn, vec![row])?.remove(0))
}

/// Published lots are visible to verified members and staff; others only to their organization
/// and to the staff of their city.
pub fn visible(user: &CurrentUser, row: &ListingRow) -> bool {
    let published = row.status_now() == ListingStatus::Published;
    (user.is_staff() && (published || user.covers(&row.region_code)))
        || user.belongs_to(&row.organization_id)
        || (published && user.require_verified_member().is_ok())
}

/// What a producer states about a lot, as stored: written whole on create and on every edit.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = listings, treat_none_as_null = true)]
pub struct Terms<'a> {
    pub site_id: &'a str,
    pub category_code: &'a str,
    pub subtype: Option<&'a str>,
    pub title: &'a str,
    pub description: &'a str,
    pub quantity_kg: i64,
    pub min_order_kg: i64,
    pub supply_pattern: SupplyPattern,
    pub monthly_kg: Option<i64>,
    pub generation: Generation,
    pub available_from: NaiveDateTime,
    pub available_until: Option<NaiveDateTime>,
    pub delivery_terms: DeliveryTerms,
    pub pricing_model: PricingModel,
    pub price_fen_per_t: Option<i64>,
    pub reserve_fen_per_t: Option<i64>,
    pub search_price_fen: Option<i64>,
    pub lab_report: Option<String>,
    pub identification_report: Option<String>,
    pub national_code: Option<&'a str>,
    pub region_code: &'a str,
    pub lat: f64,
    pub lon: f64,
}

/// The measured properties, computed grades and attachments stored beside a lot's terms.
pub struct Details<'a> {
    pub properties: &'a Properties,
    pub grades: &'a BTreeMap<&'static str, GradeResult>,
    pub attachments: &'a [Attachment],
}

/// A new draft lot of `organization_id`.
pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    organization_id: &str,
    terms: &Terms<'_>,
    details: &Details<'_>,
) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(listings::table)
        .values((
            terms,
            listings::id.eq(id),
            listings::organization_id.eq(organization_id),
            listings::remaining_kg.eq(terms.quantity_kg),
            listings::status.eq(ListingStatus::Draft),
            listings::created_at.eq(at),
            listings::updated_at.eq(at),
        ))
        .execute(conn)?;
    write_text(conn, id, terms, true)?;
    write_details(conn, id, details)
}

/// The lot's free-text row, written with its terms (the search indexes follow it).
fn write_text(conn: &mut DbConnection, id: &str, terms: &Terms<'_>, new: bool) -> QueryResult<()> {
    let text = search_text(terms.title, terms.description);
    if new {
        diesel::insert_into(listing_texts::table)
            .values((
                listing_texts::listing_id.eq(id),
                listing_texts::search_text.eq(&text),
            ))
            .execute(conn)?;
    } else {
        diesel::update(listing_texts::table.find(id))
            .set(listing_texts::search_text.eq(&text))
            .execute(conn)?;
    }
    Ok(())
}

/// Rewrites a lot's terms if it is still at `version`; what was sold stays sold, and a material
/// change of a published lot sends it back to review (the `MaterialEdit` move). Returns false
/// when another edit got in first.
pub fn rewrite(
    conn: &mut DbConnection,
    row: &ListingRow,
    terms: &Terms<'_>,
    details: &Details<'_>,
    material: bool,
) -> Result<bool, ApiError> {
    let sold = row.quantity_kg - row.remaining_kg;
    let status = match (row.status, material) {
        (ListingStatus::Published, true) => {
            transition(row.status, ListingEvent::MaterialEdit).unwrap_or(row.status)
        }
        (s, _) => s,
    };
    let changed = diesel::update(
        listings::table
            .find(&row.id)
            .filter(listings::version.eq(row.version))
            .filter(listings::status.eq(row.status)),
    )
    .set((
        terms,
        listings::remaining_kg.eq(terms.quantity_kg - sold),
        listings::status.eq(status),
        listings::version.eq(row.version + 1),
        listings::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    write_text(conn, &row.id, terms, false)?;
    write_details(conn, &row.id, details)?;
    Ok(true)
}

/// Grades computed under an older rule set are recomputed from the stored lab values (at start,
/// after a migration changed the rules); the lots keep their state. Returns how many changed.
pub fn regrade_stale(conn: &mut DbConnection, catalog: &Catalog) -> QueryResult<usize> {
    // NOT EXISTS, an anti-join: `id <> ALL (subquery)` ran as a nested loop on PostgreSQL and
    // held a start-up over a million lots for more than four minutes (it was stopped there).
    let current = listing_grades::table
        .filter(listing_grades::listing_id.eq(listings::id))
        .filter(listing_grades::rule_set.eq(RULE_SET));
    let stale: Vec<(String, String, Option<String>)> = listings::table
        .filter(diesel::dsl::not(diesel::dsl::exists(current)))
        .select((listings::id, listings::category_code, listings::subtype))
        .load(conn)?;
    for (id, code, subtype) in &stale {
        let Some(category) = catalog.category(code) else {
            continue;
        };
        let values: Properties = listing_properties::table
            .filter(listing_properties::listing_id.eq(id))
            .select((
                listing_properties::property_key,
                listing_properties::num_value,
                listing_properties::text_value,
            ))
            .load::<(String, Option<f64>, Option<String>)>(conn)?
            .into_iter()
            .filter_map(|(k, n, t)| stored_value(n, t).map(|v| (k, v)))
            .collect();
        write_grades(
            conn,
            id,
            &catalog.grades(category, subtype.as_deref(), &values),
        )?;
    }
    Ok(stale.len())
}

/// A lab value as stored: a number, or a choice's text.
pub fn stored_value(num: Option<f64>, text: Option<String>) -> Option<PropertyValue> {
    match (num, text) {
        (Some(n), _) => Some(PropertyValue::Number(n)),
        (None, Some(t)) => Some(PropertyValue::Text(t)),
        (None, None) => None,
    }
}

/// Replaces a lot's stored grades.
fn write_grades(
    conn: &mut DbConnection,
    id: &str,
    grades: &BTreeMap<&'static str, GradeResult>,
) -> QueryResult<()> {
    diesel::delete(listing_grades::table.filter(listing_grades::listing_id.eq(id)))
        .execute(conn)?;
    for (rule, result) in grades {
        diesel::insert_into(listing_grades::table)
            .values((
                listing_grades::listing_id.eq(id),
                listing_grades::rule.eq(*rule),
                listing_grades::grade.eq(&result.grade),
                listing_grades::rule_set.eq(result.rule_set),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn write_details(conn: &mut DbConnection, id: &str, details: &Details<'_>) -> QueryResult<()> {
    diesel::delete(listing_properties::table.filter(listing_properties::listing_id.eq(id)))
        .execute(conn)?;
    diesel::delete(listing_attachments::table.filter(listing_attachments::listing_id.eq(id)))
        .execute(conn)?;
    for (key, value) in details.properties {
        let (num, text) = match value {
            PropertyValue::Number(n) => (Some(*n), None),
            PropertyValue::Text(t) => (None, Some(t.as_str())),
        };
        diesel::insert_into(listing_properties::table)
            .values((
                listing_properties::listing_id.eq(id),
                listing_properties::property_key.eq(key),
                listing_properties::num_value.eq(num),
                listing_properties::text_value.eq(text),
            ))
            .execute(conn)?;
    }
    write_grades(conn, id, details.grades)?;
    for (i, a) in details.attachments.iter().enumerate() {
        diesel::insert_into(listing_attachments::table)
            .values((
                listing_attachments::listing_id.eq(id),
                listing_attachments::position.eq(i as i32),
                listing_attachments::kind.eq(a.kind.as_str()),
                listing_attachments::url.eq(&a.url),
                listing_attachments::title.eq(a.title.trim()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Moves a lot through its state machine with a conditional update on the status it was read in.
pub fn move_to(
    conn: &mut DbConnection,
    row: &ListingRow,
    event: ListingEvent,
    reason: Option<&str>,
) -> Result<ListingStatus, ApiError> {
    let from = row.status;
    let to = transition(from, event).ok_or_else(|| {
        ApiError::conflict(
            "invalid_state",
            format!("A {} lot cannot be {}.", from.label(), event.past_tense()),
        )
    })?;
    let at = now();
    let published_at = if to == ListingStatus::Published {
        Some(at)
    } else {
        row.published_at
    };
    let changed = diesel::update(
        listings::table
            .find(&row.id)
            .filter(listings::status.eq(from)),
    )
    .set((
        listings::status.eq(to),
        listings::status_reason.eq(reason),
        listings::published_at.eq(published_at),
        listings::version.eq(listings::version + 1),
        listings::updated_at.eq(at),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            "invalid_state",
            "The lot changed meanwhile.",
        ));
    }
    Ok(to)
}

/// Takes `kg` from a published lot that still has it, with one conditional update backed by a
/// CHECK: concurrent acceptances queue on the lot's row and none can oversell. Returns what is
/// left, or `insufficient_quantity`.
pub fn take(conn: &mut DbConnection, id: &str, kg: i64) -> Result<i64, ApiError> {
    let taken = diesel::update(
        listings::table
            .filter(listings::id.eq(id))
            .filter(listings::status.eq(ListingStatus::Published))
            .filter(
                listings::available_until
                    .is_null()
                    .or(listings::available_until.gt(now())),
            )
            .filter(listings::remaining_kg.ge(kg)),
    )
    .set((
        listings::remaining_kg.eq(listings::remaining_kg - kg),
        listings::version.eq(listings::version + 1),
        listings::updated_at.eq(now()),
    ))
    .returning(listings::remaining_kg)
    .get_result(conn)
    .optional()?;
    taken.ok_or_else(|| {
        ApiError::conflict(
            "insufficient_quantity",
            "The lot no longer has that much left, or is no longer open.",
        )
    })
}

/// Gives undelivered tonnage of a cancelled deal back; a lot that had sold out and whose window
/// is still open reopens (the `Reopen` move).
pub fn give_back(conn: &mut DbConnection, id: &str, kg: i64) -> Result<(), ApiError> {
    if kg <= 0 {
        return Ok(());
    }
    diesel::update(listings::table.find(id))
        .set((
            listings::remaining_kg.eq(listings::remaining_kg + kg),
            listings::version.eq(listings::version + 1),
            listings::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let row = load_row(conn, id)?;
    let window_open = row.available_until.is_none_or(|u| u > now());
    if row.status == ListingStatus::Closed
        && row.status_reason.as_deref() == Some(SOLD_OUT)
        && window_open
    {
        move_to(
            conn,
            &row,
            ListingEvent::Reopen,
            Some("reopened_after_cancellation"),
        )?;
    }
    Ok(())
}

/// Why a lot closed when its availability window ended.
pub const AVAILABILITY_ENDED: &str = "availability_ended";

impl ListingRow {
    /// A published lot whose availability window has ended, before the housekeeping job closed it.
    pub fn expired(&self) -> bool {
        self.status == ListingStatus::Published && self.available_until.is_some_and(|u| u <= now())
    }

    /// The status as it reads now: a lot past its window reads as closed even before the job has
    /// recorded it.
    pub fn status_now(&self) -> ListingStatus {
        if self.expired() {
            ListingStatus::Closed
        } else {
            self.status
        }
    }
}

/// Why a lot closed when nothing remained.
pub const SOLD_OUT: &str = "sold_out";

/// Closes published lots whose availability window has ended (the `Expire` move, as one
/// conditional update so several instances may run it at once). Returns how many closed.
pub fn close_expired(conn: &mut DbConnection) -> QueryResult<usize> {
    let at = now();
    let from = ListingEvent::Expire.sources();
    let to = transition(from[0], ListingEvent::Expire).unwrap_or(ListingStatus::Closed);
    diesel::update(
        listings::table
            .filter(listings::status.eq_any(from))
            .filter(listings::available_until.lt(at)),
    )
    .set((
        listings::status.eq(to),
        listings::status_reason.eq(AVAILABILITY_ENDED),
        listings::version.eq(listings::version + 1),
        listings::updated_at.eq(at),
    ))
    .execute(conn)
}
