//! Listings (lots): create, edit with optimistic concurrency, submit, withdraw, staff review, and
//! the views shared by reads and search.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::TradeSettings;
use crate::db::schema::{
    listing_attachments, listing_grades, listing_properties, listings, organizations, sites,
};
use crate::db::{Db, DbConnection, now};
use crate::domain::grading::{GradeResult, Properties, PropertyValue};
use crate::domain::listing::{
    DeliveryTerms, Generation, HAZARDOUS_CHARACTERISTICS, ListingEvent, ListingStatus,
    PricingModel, SupplyPattern, hazardous_reason, transition,
};
use crate::domain::matching::Params;
use crate::domain::offer::OfferEvent;
use crate::domain::organization::OrgKind;
use crate::domain::quantity::{AmountError, format_tonnes, format_yuan, parse_tonnes, parse_yuan};
use crate::error::{ApiError, FieldError};
use crate::service::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::catalog::{Catalog, hazardous};
use crate::service::notifications::{Notice, notify_owners};
use crate::service::offers::end_open_offers;
use crate::service::tokens::new_id;

/// A decimal sent as a JSON number or string; parsed exactly by the domain.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Decimal {
    Text(String),
    Number(serde_json::Number),
}

impl utoipa::PartialSchema for Decimal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^-?[0-9]+(\.[0-9]+)?$"))
                    .max_length(Some(20)),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .description(Some("A decimal as a string (exact) or a JSON number"))
            .into()
    }
}

impl ToSchema for Decimal {}

impl Decimal {
    fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Number(n) => n.to_string(),
        }
    }
}

/// Collects field errors while parsing a request.
#[derive(Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    fn amount<T>(&mut self, field: &str, parsed: Result<T, AmountError>) -> Option<T> {
        parsed
            .map_err(|e| self.push(field, e.code(), e.to_string()))
            .ok()
    }

    pub fn tonnes(&mut self, field: &str, value: &Decimal) -> Option<i64> {
        self.amount(field, parse_tonnes(&value.text()))
    }

    pub fn yuan(&mut self, field: &str, value: &Decimal) -> Option<i64> {
        self.amount(field, parse_yuan(&value.text()))
    }

    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.trim().chars().count();
        if n < min || n > max {
            self.push(
                field,
                "length",
                format!("must be {min} to {max} characters long"),
            );
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supply {
    pub pattern: SupplyPattern,
    /// Tonnes per month, for a recurring supply.
    pub monthly_t: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    pub model: PricingModel,
    /// Yuan per tonne, 2 decimals; negative = a gate fee the producer pays. Required for `fixed`.
    pub price_per_t: Option<Decimal>,
    /// Lowest acceptable price for `offers` (may be negative).
    pub reserve_per_t: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabReport {
    #[schema(max_length = 200)]
    pub lab_name: Option<String>,
    #[schema(max_length = 100)]
    pub report_no: Option<String>,
    pub sampled_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Photo,
    Document,
}

/// A photo or document by reference (an https URL), not an upload.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub kind: AttachmentKind,
    #[schema(max_length = 500, format = "uri")]
    pub url: String,
    #[schema(max_length = 200)]
    pub title: String,
}

/// Everything a producer says about a lot (create, and the full state an edit is checked as).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingInput {
    #[schema(example = "SW02", max_length = 20)]
    pub category: String,
    #[schema(max_length = 40)]
    pub subtype: Option<String>,
    #[schema(min_length = 3, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// Tonnes, up to 3 decimals, as a string or number.
    pub quantity_t: Decimal,
    pub min_order_t: Decimal,
    pub supply: Supply,
    pub generation: Generation,
    pub site_id: String,
    /// Defaults to now.
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    pub delivery_terms: DeliveryTerms,
    pub pricing: Pricing,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Properties,
    pub lab_report: Option<LabReport>,
    /// Reference of the hazardous-waste identification report (鉴别报告), needed for sludge and
    /// some smelting residues before publication.
    #[schema(max_length = 200)]
    pub identification_report_ref: Option<String>,
    /// Declaring a national hazardous-waste list code puts the lot out of scope (422).
    #[schema(max_length = 20)]
    pub hazardous_waste_code: Option<String>,
    /// Declaring any hazardous characteristic puts the lot out of scope (422).
    #[serde(default)]
    pub hazardous_characteristics: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 5)]
    pub attachments: Vec<Attachment>,
}

/// A checked lot, in storage units.
struct Checked {
    category: String,
    subtype: Option<String>,
    title: String,
    description: String,
    quantity_kg: i64,
    min_order_kg: i64,
    monthly_kg: Option<i64>,
    available_from: NaiveDateTime,
    available_until: Option<NaiveDateTime>,
    price_fen: Option<i64>,
    reserve_fen: Option<i64>,
    grades: BTreeMap<&'static str, GradeResult>,
}

fn check(catalog: &Catalog, input: &ListingInput) -> Result<Checked, ApiError> {
    if let Some(reason) = input
        .hazardous_waste_code
        .as_deref()
        .and_then(hazardous_reason)
    {
        return Err(hazardous(reason));
    }
    if let Some(c) = input.hazardous_characteristics.first() {
        let known = HAZARDOUS_CHARACTERISTICS.contains(&c.as_str());
        return Err(hazardous(format!(
            "The lot declares a hazardous characteristic ({}{}). Hazardous waste is out of scope \
             here: it must move under the hazardous-waste transfer manifest system and only to \
             licensed receivers.",
            c.chars().take(40).collect::<String>(),
            if known {
                ""
            } else {
                ", not a GB 5085 name, but declared as hazardous"
            }
        )));
    }
    let (category, subtype) = catalog.resolve(&input.category, input.subtype.as_deref())?;
    let mut c = Checks::default();
    c.text("title", &input.title, 3, 200);
    c.text("description", &input.description, 0, 5000);
    let quantity = c.tonnes("quantity_t", &input.quantity_t);
    let min_order = c.tonnes("min_order_t", &input.min_order_t);
    if let (Some(q), Some(m)) = (quantity, min_order)
        && m > q
    {
        c.push(
            "min_order_t",
            "exceeds_quantity",
            "must not exceed quantity_t",
        );
    }
    let monthly = match (input.supply.pattern, &input.supply.monthly_t) {
        (SupplyPattern::Recurring, Some(m)) => c.tonnes("supply.monthly_t", m),
        (SupplyPattern::Recurring, None) => {
            c.push(
                "supply.monthly_t",
                "required",
                "a recurring supply states tonnes per month",
            );
            None
        }
        (SupplyPattern::OneOff, Some(_)) => {
            c.push(
                "supply.monthly_t",
                "not_allowed",
                "only a recurring supply has a monthly amount",
            );
            None
        }
        (SupplyPattern::OneOff, None) => None,
    };
    let from = input.available_from.map_or_else(now, |t| t.naive_utc());
    let until = input.available_until.map(|t| t.naive_utc());
    if until.is_some_and(|u| u <= from) {
        c.push(
            "available_until",
            "before_start",
            "must be after available_from",
        );
    }
    let (price, reserve) = match input.pricing.model {
        PricingModel::Fixed => {
            if input.pricing.reserve_per_t.is_some() {
                c.push(
                    "pricing.reserve_per_t",
                    "not_allowed",
                    "a fixed-price lot has no reserve",
                );
            }
            match &input.pricing.price_per_t {
                Some(p) => (c.yuan("pricing.price_per_t", p), None),
                None => {
                    c.push(
                        "pricing.price_per_t",
                        "required",
                        "a fixed-price lot states its price",
                    );
                    (None, None)
                }
            }
        }
        PricingModel::Offers => (
            input
                .pricing
                .price_per_t
                .as_ref()
                .and_then(|p| c.yuan("pricing.price_per_t", p)),
            input
                .pricing
                .reserve_per_t
                .as_ref()
                .and_then(|p| c.yuan("pricing.reserve_per_t", p)),
        ),
    };
    c.0.extend(Catalog::check_properties(
        category,
        &input.properties,
        "properties",
    ));
    if let Some(lab) = &input.lab_report {
        if let Some(n) = &lab.lab_name {
            c.text("lab_report.lab_name", n, 1, 200);
        }
        if let Some(n) = &lab.report_no {
            c.text("lab_report.report_no", n, 1, 100);
        }
        if lab.sampled_on.is_some_and(|d| d > Utc::now().date_naive()) {
            c.push(
                "lab_report.sampled_on",
                "in_future",
                "must not be in the future",
            );
        }
    }
    if let Some(r) = &input.identification_report_ref {
        c.text("identification_report_ref", r, 1, 200);
    }
    if input.attachments.len() > 5 {
        c.push("attachments", "too_many", "at most 5 attachments");
    }
    for (i, a) in input.attachments.iter().enumerate() {
        let ok = url::Url::parse(&a.url)
            .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
        if !ok || a.url.len() > 500 {
            c.push(
                &format!("attachments[{i}].url"),
                "invalid_url",
                "must be an http(s) URL of at most 500 characters",
            );
        }
        c.text(&format!("attachments[{i}].title"), &a.title, 1, 200);
    }
    c.finish()?;
    let subtype_code = subtype.map(|s| s.code.clone());
    Ok(Checked {
        grades: catalog.grades(category, subtype_code.as_deref(), &input.properties),
        category: category.code.clone(),
        subtype: subtype_code,
        title: input.title.trim().to_string(),
        description: input.description.trim().to_string(),
        quantity_kg: quantity.unwrap_or_default(),
        min_order_kg: min_order.unwrap_or_default(),
        monthly_kg: monthly,
        available_from: from,
        available_until: until,
        price_fen: price,
        reserve_fen: reserve,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplyView {
    pub pattern: SupplyPattern,
    pub monthly_t: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PricingView {
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
    pub supply: SupplyView,
    pub generation: Generation,
    pub site_id: String,
    pub site: SiteRef,
    pub available_from: DateTime<Utc>,
    pub available_until: Option<DateTime<Utc>>,
    pub delivery_terms: DeliveryTerms,
    pub pricing: PricingView,
    #[schema(value_type = Object)]
    pub properties: Properties,
    pub lab_report: LabReport,
    pub identification_report_ref: Option<String>,
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
    pub supply_pattern: String,
    pub monthly_kg: Option<i64>,
    pub generation: String,
    pub available_from: NaiveDateTime,
    pub available_until: Option<NaiveDateTime>,
    pub delivery_terms: String,
    pub pricing_model: String,
    pub price_fen_per_t: Option<i64>,
    pub reserve_fen_per_t: Option<i64>,
    pub search_price_fen: Option<i64>,
    pub lab_report: Option<String>,
    pub identification_report_ref: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub region_code: String,
    pub lat: f64,
    pub lon: f64,
    pub version: i64,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ListingRow {
    pub fn status(&self) -> ListingStatus {
        ListingStatus::parse(&self.status).unwrap_or(ListingStatus::Draft)
    }
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
        let value = match (num, text) {
            (Some(n), _) => PropertyValue::Number(n),
            (None, Some(t)) => PropertyValue::Text(t),
            (None, None) => continue,
        };
        props.entry(lid).or_default().insert(key, value);
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
        .load::<(String, String, String, String)>(conn)?
    {
        let kind = if kind == "photo" {
            AttachmentKind::Photo
        } else {
            AttachmentKind::Document
        };
        attachments
            .entry(lid)
            .or_default()
            .push(Attachment { kind, url, title });
    }
    Ok(rows
        .into_iter()
        .map(|r| Listing {
            properties: props.remove(&r.id).unwrap_or_default(),
            grades: grades.remove(&r.id).unwrap_or_default(),
            attachments: attachments.remove(&r.id).unwrap_or_default(),
            status: r.status(),
            supply: SupplyView {
                pattern: SupplyPattern::parse(&r.supply_pattern).unwrap_or(SupplyPattern::OneOff),
                monthly_t: r.monthly_kg.map(format_tonnes),
            },
            generation: Generation::parse(&r.generation).unwrap_or(Generation::New),
            delivery_terms: DeliveryTerms::parse(&r.delivery_terms)
                .unwrap_or(DeliveryTerms::Pickup),
            pricing: PricingView {
                model: PricingModel::parse(&r.pricing_model).unwrap_or(PricingModel::Fixed),
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
            status_reason: r.status_reason,
            category: r.category_code,
            subtype: r.subtype,
            title: r.title,
            description: r.description,
            identification_report_ref: r.identification_report_ref,
            version: r.version,
            distance_km: None,
        })
        .collect())
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<ListingRow, ApiError> {
    Ok(listings::table.find(id).first(conn)?)
}

pub fn load(conn: &mut DbConnection, id: &str) -> Result<Listing, ApiError> {
    let row = load_row(conn, id)?;
    Ok(views(conn, vec![row])?.remove(0))
}

/// Published lots are visible to verified members and staff; others only to their organization.
pub fn visible(user: &CurrentUser, row: &ListingRow) -> bool {
    user.is_staff()
        || user.belongs_to(&row.organization_id)
        || (row.status() == ListingStatus::Published && user.require_verified_member().is_ok())
}

/// Members of a verified producer organization manage its lots.
fn require_producer(conn: &mut DbConnection, user: &CurrentUser) -> Result<String, ApiError> {
    let org = user.require_verified_member()?.to_string();
    let kinds: String = organizations::table
        .find(&org)
        .select(organizations::kinds)
        .first(conn)?;
    if !OrgKind::split(&kinds).contains(&OrgKind::Producer) {
        return Err(ApiError::forbidden(
            "producer_only",
            "Only producer organizations list lots.",
        ));
    }
    Ok(org)
}

fn write_details(
    conn: &mut DbConnection,
    id: &str,
    input: &ListingInput,
    checked: &Checked,
) -> QueryResult<()> {
    diesel::delete(listing_properties::table.filter(listing_properties::listing_id.eq(id)))
        .execute(conn)?;
    diesel::delete(listing_grades::table.filter(listing_grades::listing_id.eq(id)))
        .execute(conn)?;
    diesel::delete(listing_attachments::table.filter(listing_attachments::listing_id.eq(id)))
        .execute(conn)?;
    for (key, value) in &input.properties {
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
    for (rule, result) in &checked.grades {
        diesel::insert_into(listing_grades::table)
            .values((
                listing_grades::listing_id.eq(id),
                listing_grades::rule.eq(*rule),
                listing_grades::grade.eq(&result.grade),
                listing_grades::rule_set.eq(result.rule_set),
            ))
            .execute(conn)?;
    }
    for (i, a) in input.attachments.iter().enumerate() {
        diesel::insert_into(listing_attachments::table)
            .values((
                listing_attachments::listing_id.eq(id),
                listing_attachments::position.eq(i as i32),
                listing_attachments::kind.eq(match a.kind {
                    AttachmentKind::Photo => "photo",
                    AttachmentKind::Document => "document",
                }),
                listing_attachments::url.eq(&a.url),
                listing_attachments::title.eq(a.title.trim()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn site_of(
    conn: &mut DbConnection,
    org: &str,
    site_id: &str,
) -> Result<(String, f64, f64), ApiError> {
    sites::table
        .filter(sites::id.eq(site_id))
        .filter(sites::organization_id.eq(org))
        .select((sites::region_code, sites::lat, sites::lon))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::field(
                "site_id",
                "unknown_site",
                "is not a site of your organization",
            )
        })
}

fn audit_change(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    id: &str,
    reason: Option<&str>,
    before: Option<&Listing>,
) -> Result<Listing, ApiError> {
    let after = load(conn, id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(actor),
            action,
            object_type: "listing",
            object_id: id,
            reason,
        },
        before,
        Some(&after),
    )?;
    Ok(after)
}

pub async fn create(
    db: &Db,
    catalog: &Catalog,
    user: CurrentUser,
    input: ListingInput,
) -> Result<Listing, ApiError> {
    let catalog = catalog.clone();
    db.write(move |conn| create_in(conn, &catalog, &user, input))
        .await
}

pub fn create_in(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    input: ListingInput,
) -> Result<Listing, ApiError> {
    let checked = check(catalog, &input)?;
    let org = require_producer(conn, user)?;
    let (region, lat, lon) = site_of(conn, &org, &input.site_id)?;
    let id = new_id();
    let at = now();
    diesel::insert_into(listings::table)
        .values((
            terms(&input, &checked, &region, lat, lon),
            listings::id.eq(&id),
            listings::organization_id.eq(&org),
            listings::remaining_kg.eq(checked.quantity_kg),
            listings::status.eq(ListingStatus::Draft.as_str()),
            listings::created_at.eq(at),
            listings::updated_at.eq(at),
        ))
        .execute(conn)?;
    write_details(conn, &id, &input, &checked)?;
    audit_change(conn, &user.id, "listing.created", &id, None, None)
}

/// What a producer states about a lot, as stored: written whole on create and on every edit.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = listings, treat_none_as_null = true)]
struct Terms<'a> {
    site_id: &'a str,
    category_code: &'a str,
    subtype: Option<&'a str>,
    title: &'a str,
    description: &'a str,
    quantity_kg: i64,
    min_order_kg: i64,
    supply_pattern: &'a str,
    monthly_kg: Option<i64>,
    generation: &'a str,
    available_from: NaiveDateTime,
    available_until: Option<NaiveDateTime>,
    delivery_terms: &'a str,
    pricing_model: &'a str,
    price_fen_per_t: Option<i64>,
    reserve_fen_per_t: Option<i64>,
    search_price_fen: Option<i64>,
    lab_report: Option<String>,
    identification_report_ref: Option<&'a str>,
    region_code: &'a str,
    lat: f64,
    lon: f64,
}

fn terms<'a>(
    input: &'a ListingInput,
    checked: &'a Checked,
    region: &'a str,
    lat: f64,
    lon: f64,
) -> Terms<'a> {
    Terms {
        site_id: &input.site_id,
        category_code: &checked.category,
        subtype: checked.subtype.as_deref(),
        title: &checked.title,
        description: &checked.description,
        quantity_kg: checked.quantity_kg,
        min_order_kg: checked.min_order_kg,
        supply_pattern: input.supply.pattern.as_str(),
        monthly_kg: checked.monthly_kg,
        generation: input.generation.as_str(),
        available_from: checked.available_from,
        available_until: checked.available_until,
        delivery_terms: input.delivery_terms.as_str(),
        pricing_model: input.pricing.model.as_str(),
        price_fen_per_t: checked.price_fen,
        reserve_fen_per_t: checked.reserve_fen,
        search_price_fen: search_price(input, checked),
        lab_report: lab_json(input),
        identification_report_ref: input.identification_report_ref.as_deref(),
        region_code: region,
        lat,
        lon,
    }
}

fn lab_json(input: &ListingInput) -> Option<String> {
    input
        .lab_report
        .as_ref()
        .and_then(|l| serde_json::to_string(l).ok())
}

fn search_price(input: &ListingInput, checked: &Checked) -> Option<i64> {
    match input.pricing.model {
        PricingModel::Fixed => checked.price_fen,
        PricingModel::Offers => checked.reserve_fen.or(checked.price_fen),
    }
}

pub async fn get(db: &Db, user: CurrentUser, id: String) -> Result<Listing, ApiError> {
    db.run(move |conn| {
        let row = load_row(conn, &id)?;
        if !visible(&user, &row) {
            return Err(ApiError::not_found());
        }
        Ok(views(conn, vec![row])?.remove(0))
    })
    .await
}

/// The full input a stored lot corresponds to, so an edit is checked as a whole.
fn as_input(l: &Listing) -> ListingInput {
    ListingInput {
        category: l.category.clone(),
        subtype: l.subtype.clone(),
        title: l.title.clone(),
        description: l.description.clone(),
        quantity_t: Decimal::Text(l.quantity_t.clone()),
        min_order_t: Decimal::Text(l.min_order_t.clone()),
        supply: Supply {
            pattern: l.supply.pattern,
            monthly_t: l.supply.monthly_t.clone().map(Decimal::Text),
        },
        generation: l.generation,
        site_id: l.site_id.clone(),
        available_from: Some(l.available_from),
        available_until: l.available_until,
        delivery_terms: l.delivery_terms,
        pricing: Pricing {
            model: l.pricing.model,
            price_per_t: l.pricing.price_per_t.clone().map(Decimal::Text),
            reserve_per_t: l.pricing.reserve_per_t.clone().map(Decimal::Text),
        },
        properties: l.properties.clone(),
        lab_report: Some(l.lab_report.clone()),
        identification_report_ref: l.identification_report_ref.clone(),
        hazardous_waste_code: None,
        hazardous_characteristics: Vec::new(),
        attachments: l.attachments.clone(),
    }
}

/// A partial edit: any field of the input; the rest stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingPatch {
    #[schema(max_length = 20)]
    pub category: Option<String>,
    #[schema(max_length = 40)]
    pub subtype: Option<String>,
    #[schema(min_length = 3, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    pub quantity_t: Option<Decimal>,
    pub min_order_t: Option<Decimal>,
    pub supply: Option<Supply>,
    pub generation: Option<Generation>,
    pub site_id: Option<String>,
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    pub delivery_terms: Option<DeliveryTerms>,
    pub pricing: Option<Pricing>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<Properties>,
    pub lab_report: Option<LabReport>,
    #[schema(max_length = 200)]
    pub identification_report_ref: Option<String>,
    #[schema(max_length = 20)]
    pub hazardous_waste_code: Option<String>,
    pub hazardous_characteristics: Option<Vec<String>>,
    #[schema(max_items = 5)]
    pub attachments: Option<Vec<Attachment>>,
}

impl ListingPatch {
    fn apply(self, mut to: ListingInput) -> ListingInput {
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { to.$field = v; })* };
        }
        macro_rules! set_opt {
            ($($field:ident),*) => { $(if self.$field.is_some() { to.$field = self.$field; })* };
        }
        set!(
            category,
            title,
            description,
            quantity_t,
            min_order_t,
            supply,
            generation,
            site_id,
            delivery_terms,
            pricing,
            properties,
            hazardous_characteristics,
            attachments
        );
        set_opt!(
            subtype,
            available_from,
            available_until,
            lab_report,
            identification_report_ref,
            hazardous_waste_code
        );
        to
    }
}

/// Edits a lot. `expected_version` (If-Match) guards against lost updates: 412 when stale.
/// Changing the material terms of a published lot sends it back to review.
pub async fn update(
    db: &Db,
    catalog: &Catalog,
    user: CurrentUser,
    id: String,
    expected_version: Option<i64>,
    patch: ListingPatch,
) -> Result<Listing, ApiError> {
    let catalog = catalog.clone();
    db.write(move |conn| {
        let before = load(conn, &id)?;
        if !user.belongs_to(&before.organization_id) {
            return Err(ApiError::not_found());
        }
        require_producer(conn, &user)?;
        if before.status == ListingStatus::Closed {
            return Err(ApiError::conflict(
                "listing_closed",
                "A closed lot cannot be edited.",
            ));
        }
        // A bad edit is told as such (422) whatever version it names.
        let input = patch.apply(as_input(&before));
        let checked = check(&catalog, &input)?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(stale());
        }
        let (region, lat, lon) = site_of(conn, &before.organization_id, &input.site_id)?;
        let row = load_row(conn, &id)?;
        // What was sold stays sold: the new quantity must cover it.
        let sold = row.quantity_kg - row.remaining_kg;
        if checked.quantity_kg < sold {
            return Err(ApiError::field(
                "quantity_t",
                "below_sold",
                "must be at least the tonnage already sold",
            ));
        }
        let material = checked.category != before.category
            || checked.subtype != before.subtype
            || input.properties != before.properties
            || format_tonnes(checked.quantity_kg) != before.quantity_t
            || format_tonnes(checked.min_order_kg) != before.min_order_t
            || checked.monthly_kg.map(format_tonnes) != before.supply.monthly_t
            || input.supply.pattern != before.supply.pattern;
        let status = match (before.status, material) {
            (ListingStatus::Published, true) => {
                transition(before.status, ListingEvent::MaterialEdit).unwrap_or(before.status)
            }
            (s, _) => s,
        };
        let changed = diesel::update(
            listings::table
                .find(&id)
                .filter(listings::version.eq(before.version)),
        )
        .set((
            terms(&input, &checked, &region, lat, lon),
            listings::remaining_kg.eq(checked.quantity_kg - sold),
            listings::status.eq(status.as_str()),
            listings::version.eq(before.version + 1),
            listings::updated_at.eq(now()),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(stale());
        }
        write_details(conn, &id, &input, &checked)?;
        let action = if status != before.status {
            // Bidders offered on other terms: they must offer again (as public tenders do).
            end_open_offers(conn, &id, OfferEvent::Invalidate, "listing_terms_changed")?;
            "listing.edited_back_to_review"
        } else {
            "listing.edited"
        };
        audit_change(conn, &user.id, action, &id, None, Some(&before))
    })
    .await
}

pub fn stale() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PRECONDITION_FAILED,
        "version_mismatch",
        "The lot changed since you read it; reload and apply your edit again.",
    )
}

/// Moves a lot through its state machine with a conditional update on the status it was read in.
pub fn move_to(
    conn: &mut DbConnection,
    row: &ListingRow,
    event: ListingEvent,
    reason: Option<&str>,
) -> Result<ListingStatus, ApiError> {
    let from = row.status();
    let to = transition(from, event).ok_or_else(|| {
        ApiError::conflict(
            "invalid_state",
            format!("A {} lot cannot be {event:?}ed.", from.as_str()).to_lowercase(),
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
            .filter(listings::status.eq(from.as_str())),
    )
    .set((
        listings::status.eq(to.as_str()),
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

/// Regions where building-material lots must state both radioactivity indices (GB 6566): Baotou's
/// Bayan Obo ore carries thorium.
pub const RADIOACTIVITY_REGIONS: &[&str] = &["1502"];

/// The producer sends a draft to review; publication gates are checked here.
pub async fn submit(
    db: &Db,
    catalog: &Catalog,
    user: CurrentUser,
    id: String,
) -> Result<Listing, ApiError> {
    let catalog = catalog.clone();
    db.write(move |conn| submit_in(conn, &catalog, &user, &id))
        .await
}

pub fn submit_in(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
) -> Result<Listing, ApiError> {
    let before = load(conn, id)?;
    if !user.belongs_to(&before.organization_id) {
        return Err(ApiError::not_found());
    }
    require_producer(conn, user)?;
    let (category, subtype) = catalog.resolve(&before.category, before.subtype.as_deref())?;
    let mut c = Checks::default();
    if (category.needs_identification || subtype.is_some_and(|s| s.needs_identification))
        && before.identification_report_ref.is_none()
    {
        c.push(
            "identification_report_ref",
            "identification_report_required",
            "this material needs a hazardous-waste identification report (鉴别报告) before publication",
        );
    }
    if category.building_material
        && RADIOACTIVITY_REGIONS
            .iter()
            .any(|r| before.site.region_code.starts_with(r))
    {
        for key in ["i_ra", "i_gamma"] {
            if !before.properties.contains_key(key) {
                c.push(
                    &format!("properties.{key}"),
                    "radioactivity_required",
                    "lots for building materials in this region must state I_Ra and I_γ (GB 6566)",
                );
            }
        }
    }
    c.finish()?;
    let row = load_row(conn, id)?;
    move_to(conn, &row, ListingEvent::Submit, None)?;
    audit_change(conn, &user.id, "listing.submitted", id, None, Some(&before))
}

pub async fn withdraw(db: &Db, user: CurrentUser, id: String) -> Result<Listing, ApiError> {
    db.write(move |conn| {
        let before = load(conn, &id)?;
        if !user.belongs_to(&before.organization_id) {
            return Err(ApiError::not_found());
        }
        let row = load_row(conn, &id)?;
        move_to(conn, &row, ListingEvent::Withdraw, Some("withdrawn"))?;
        end_open_offers(conn, &id, OfferEvent::LotClosed, "listing_withdrawn")?;
        audit_change(
            conn,
            &user.id,
            "listing.withdrawn",
            &id,
            None,
            Some(&before),
        )
    })
    .await
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ListingDecision {
    Approve,
    Reject,
    Unpublish,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingDecisionRequest {
    pub decision: ListingDecision,
    #[schema(min_length = 3, max_length = 2000)]
    pub reason: String,
}

pub async fn decide(
    db: &Db,
    catalog: &Catalog,
    trade: &TradeSettings,
    user: CurrentUser,
    id: String,
    req: ListingDecisionRequest,
) -> Result<Listing, ApiError> {
    let (catalog, trade) = (catalog.clone(), trade.clone());
    db.write(move |conn| decide_in(conn, &catalog, &trade, &user, &id, &req))
        .await
}

/// A staff decision on a lot. Publication queues the lot for the digests of the demands it matches.
pub fn decide_in(
    conn: &mut DbConnection,
    catalog: &Catalog,
    trade: &TradeSettings,
    user: &CurrentUser,
    id: &str,
    req: &ListingDecisionRequest,
) -> Result<Listing, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    c.text("reason", &req.reason, 3, 2000);
    c.finish()?;
    let before = load(conn, id)?;
    let row = load_row(conn, id)?;
    let (event, action, kind, zh, en) = match req.decision {
        ListingDecision::Approve => (
            ListingEvent::Approve,
            "listing.approved",
            "listing_approved",
            "挂牌已发布",
            "Listing published",
        ),
        ListingDecision::Reject => (
            ListingEvent::Reject,
            "listing.rejected",
            "listing_rejected",
            "挂牌审核未通过",
            "Listing rejected",
        ),
        ListingDecision::Unpublish => (
            ListingEvent::Unpublish,
            "listing.unpublished",
            "listing_unpublished",
            "挂牌已下架",
            "Listing unpublished",
        ),
    };
    let reason = (req.decision != ListingDecision::Approve).then_some(req.reason.as_str());
    move_to(conn, &row, event, reason)?;
    if event == ListingEvent::Unpublish {
        end_open_offers(conn, id, OfferEvent::Invalidate, "listing_unpublished")?;
    }
    if event == ListingEvent::Approve {
        let params = Params {
            freight_fen_per_t_km: trade.freight_fen_per_t_km,
            now: now(),
        };
        crate::service::demands::queue_matches(conn, catalog, &params, id)?;
    }
    let after = load(conn, id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action,
            object_type: "listing",
            object_id: id,
            reason: Some(&req.reason),
        },
        Some(&before),
        Some(&after),
    )?;
    notify_owners(
        conn,
        &after.organization_id,
        &Notice {
            kind,
            title_zh: format!("{zh}：{}", after.title),
            title_en: format!("{en}: {}", after.title),
            body_zh: format!("联盟工作人员的说明：{}", req.reason),
            body_en: format!("Note from the alliance staff: {}", req.reason),
            object_type: Some("listing"),
            object_id: Some(id),
        },
    )?;
    Ok(after)
}

/// Closes published lots whose availability window has ended. Returns how many closed.
pub fn close_expired(conn: &mut DbConnection) -> QueryResult<usize> {
    let at = now();
    diesel::update(
        listings::table
            .filter(listings::status.eq(ListingStatus::Published.as_str()))
            .filter(listings::available_until.lt(at)),
    )
    .set((
        listings::status.eq(ListingStatus::Closed.as_str()),
        listings::status_reason.eq("availability_ended"),
        listings::version.eq(listings::version + 1),
        listings::updated_at.eq(at),
    ))
    .execute(conn)
}

/// Lots waiting for review, oldest first (staff).
pub async fn review_queue(
    db: &Db,
    user: CurrentUser,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<Listing>, ApiError> {
    user.require_staff()?;
    db.run(move |conn| {
        let mut q = listings::table
            .filter(listings::status.eq(ListingStatus::PendingReview.as_str()))
            .order(listings::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(listings::id.gt(after));
        }
        let rows: Vec<ListingRow> = q.load(conn)?;
        views(conn, rows)
    })
    .await
}
