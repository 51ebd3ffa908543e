//! Listings (lots): the producer's use cases (create, edit with optimistic concurrency, submit,
//! withdraw) and the staff's review queue. The staff's decision, which starts matching, is
//! `moderation::decide_listing`. The rows themselves are written by `lots`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::new_id;
use crate::db::schema::{listings, organizations, sites};
use crate::db::{DbConnection, now};
use crate::domain::grading::{GradeResult, Properties};
use crate::domain::listing::{
    DeliveryTerms, Generation, HAZARDOUS_CHARACTERISTICS, ListingEvent, ListingStatus,
    PricingModel, hazardous_reason, national_code,
};
use crate::domain::offer::OfferEvent;
use crate::domain::organization::OrgKind;
use crate::domain::quantity::format_tonnes;
use crate::error::ApiError;
use crate::service::accounts::access::{CurrentUser, city_among};
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes, Yuan};
use crate::service::market::catalog::{Catalog, hazardous};
use crate::service::market::lots::{
    self, Attachment, Details, IdentificationConclusion, IdentificationReport, LabReport, Listing,
    Supply, Terms, load, load_row, views, visible,
};
use crate::service::market::offers::end_open_offers;
use crate::service::page::{Page, PageQuery};

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    pub model: PricingModel,
    /// Yuan per tonne, 2 decimals; negative = a gate fee the producer pays. Required for `fixed`.
    pub price_per_t: Option<Yuan>,
    /// Lowest acceptable price for `offers` (may be negative).
    pub reserve_per_t: Option<Yuan>,
}

/// Everything a producer says about a lot (create, and the full state an edit is checked as).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingInput {
    #[schema(example = "SW02", max_length = 20)]
    pub category: String,
    #[schema(max_length = 40)]
    pub subtype: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 200
    )]
    pub title: String,
    #[serde(default)]
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 5000
    )]
    pub description: String,
    /// Tonnes, up to 3 decimals, as a string or number.
    pub quantity_t: Tonnes,
    pub min_order_t: Tonnes,
    pub supply: Supply,
    pub generation: Generation,
    pub site_id: String,
    /// Defaults to now.
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    pub delivery_terms: DeliveryTerms,
    pub pricing: Pricing,
    /// Lab values by property key (the category's properties in the catalog), at most 40.
    #[serde(default)]
    #[schema(schema_with = crate::service::input::properties_schema)]
    pub properties: Properties,
    pub lab_report: Option<LabReport>,
    /// The hazardous-waste identification report (鉴别报告), needed for sludge, chemical-industry
    /// waste and some smelting residues before publication.
    pub identification_report: Option<IdentificationReport>,
    /// The national solid-waste code (固体废物分类与代码目录), `NNN-NNN-SNN`; its class must be
    /// the category's (`S02` for `SW02`). Shown on ledgers and manifests.
    #[schema(example = "441-001-S02", min_length = 9, max_length = 20)]
    pub national_code: Option<String>,
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
    national_code: Option<String>,
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
    c.long_text("description", &input.description, 0, 5000);
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
    let monthly = input.supply.monthly(&mut c, "supply");
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
    if let Some(r) = &input.identification_report {
        if r.conclusion == IdentificationConclusion::Hazardous {
            return Err(hazardous(format!(
                "Identification report {} concludes the waste is hazardous. Hazardous waste is out \
                 of scope here: it must move under the hazardous-waste transfer manifest system \
                 and only to licensed receivers.",
                r.report_no.chars().take(100).collect::<String>()
            )));
        }
        c.text("identification_report.issuer", &r.issuer, 1, 200);
        c.text("identification_report.report_no", &r.report_no, 1, 100);
        match r.issued_on {
            Some(d) if d > Utc::now().date_naive() => c.push(
                "identification_report.issued_on",
                "in_future",
                "must not be in the future",
            ),
            Some(_) => {}
            None => c.push(
                "identification_report.issued_on",
                "required",
                "the date the report was issued",
            ),
        }
    }
    let national_code = match input
        .national_code
        .as_deref()
        .map(|n| national_code(n, &category.code))
    {
        Some(Err(reason)) => {
            c.push("national_code", "invalid_national_code", reason);
            None
        }
        Some(Ok(code)) => Some(code),
        None => None,
    };
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
        national_code,
    })
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

/// A producer drafts a lot.
pub fn create(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    input: &ListingInput,
) -> Result<Listing, ApiError> {
    let checked = check(catalog, input)?;
    let org = require_producer(conn, user)?;
    let (region, lat, lon) = site_of(conn, &org, &input.site_id)?;
    let id = new_id();
    lots::insert(
        conn,
        &id,
        &org,
        &terms(input, &checked, &region, lat, lon),
        &details(input, &checked),
    )?;
    audit_change(conn, &user.id, "listing.created", &id, None, None)
}

fn details<'a>(input: &'a ListingInput, checked: &'a Checked) -> Details<'a> {
    Details {
        properties: &input.properties,
        grades: &checked.grades,
        attachments: &input.attachments,
    }
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
        supply_pattern: input.supply.pattern,
        monthly_kg: checked.monthly_kg,
        generation: input.generation,
        available_from: checked.available_from,
        available_until: checked.available_until,
        delivery_terms: input.delivery_terms,
        pricing_model: input.pricing.model,
        price_fen_per_t: checked.price_fen,
        reserve_fen_per_t: checked.reserve_fen,
        search_price_fen: search_price(input, checked),
        lab_report: lab_json(input),
        identification_report: input
            .identification_report
            .as_ref()
            .and_then(|r| serde_json::to_string(r).ok()),
        national_code: checked.national_code.as_deref(),
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

/// One lot, as far as the caller may see it.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> Result<Listing, ApiError> {
    let row = load_row(conn, id)?;
    if !visible(user, &row) {
        return Err(ApiError::not_found());
    }
    Ok(views(conn, vec![row])?.remove(0))
}

/// The full input a stored lot corresponds to, so an edit is checked as a whole.
fn as_input(l: &Listing) -> ListingInput {
    ListingInput {
        category: l.category.clone(),
        subtype: l.subtype.clone(),
        title: l.title.clone(),
        description: l.description.clone(),
        quantity_t: Tonnes::of(l.quantity_t.clone()),
        min_order_t: Tonnes::of(l.min_order_t.clone()),
        supply: Supply {
            pattern: l.supply.pattern,
            monthly_t: l.supply.monthly_t.clone().map(Tonnes::of),
        },
        generation: l.generation,
        site_id: l.site_id.clone(),
        available_from: Some(l.available_from),
        available_until: l.available_until,
        delivery_terms: l.delivery_terms,
        pricing: Pricing {
            model: l.pricing.model,
            price_per_t: l.pricing.price_per_t.clone().map(Yuan::of),
            reserve_per_t: l.pricing.reserve_per_t.clone().map(Yuan::of),
        },
        properties: l.properties.clone(),
        lab_report: Some(l.lab_report.clone()),
        identification_report: l.identification_report.clone(),
        national_code: l.national_code.clone(),
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
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 200
    )]
    pub title: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 5000
    )]
    pub description: Option<String>,
    pub quantity_t: Option<Tonnes>,
    pub min_order_t: Option<Tonnes>,
    pub supply: Option<Supply>,
    pub generation: Option<Generation>,
    pub site_id: Option<String>,
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    pub delivery_terms: Option<DeliveryTerms>,
    pub pricing: Option<Pricing>,
    #[schema(schema_with = crate::service::input::properties_schema)]
    pub properties: Option<Properties>,
    pub lab_report: Option<LabReport>,
    pub identification_report: Option<IdentificationReport>,
    #[schema(example = "441-001-S02", min_length = 9, max_length = 20)]
    pub national_code: Option<String>,
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
            identification_report,
            national_code,
            hazardous_waste_code
        );
        to
    }
}

/// Edits a lot. `expected_version` (If-Match) guards against lost updates: 412 when stale.
/// Changing the material terms of a published lot sends it back to review.
pub fn update(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
    expected_version: Option<i64>,
    patch: ListingPatch,
) -> Result<Listing, ApiError> {
    let before = load(conn, id)?;
    if !user.belongs_to(&before.organization_id) {
        return Err(ApiError::not_found());
    }
    require_producer(conn, user)?;
    if before.status == ListingStatus::Closed {
        return Err(ApiError::conflict(
            "listing_closed",
            "A closed lot cannot be edited.",
        ));
    }
    // A bad edit is told as such (422) whatever version it names.
    let input = patch.apply(as_input(&before));
    let checked = check(catalog, &input)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(ApiError::stale("lot"));
    }
    let (region, lat, lon) = site_of(conn, &before.organization_id, &input.site_id)?;
    let row = load_row(conn, id)?;
    // What was sold stays sold: the new quantity must cover it.
    if checked.quantity_kg < row.quantity_kg - row.remaining_kg {
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
    let written = lots::rewrite(
        conn,
        &row,
        &terms(&input, &checked, &region, lat, lon),
        &details(&input, &checked),
        material,
    )?;
    if !written {
        return Err(ApiError::stale("lot"));
    }
    let back_to_review = material && before.status == ListingStatus::Published;
    let action = if back_to_review {
        // Bidders offered on other terms: they must offer again (as public tenders do).
        end_open_offers(conn, id, OfferEvent::Invalidate, "listing_terms_changed")?;
        "listing.edited_back_to_review"
    } else {
        "listing.edited"
    };
    audit_change(conn, &user.id, action, id, None, Some(&before))
}

/// Regions where building-material lots must state both radioactivity indices (GB 6566): Baotou's
/// Bayan Obo ore carries thorium.
pub const RADIOACTIVITY_REGIONS: &[&str] = &["1502"];

/// The producer sends a draft to review; publication gates are checked here.
pub fn submit(
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
        && before.identification_report.is_none()
    {
        c.push(
            "identification_report",
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
    lots::move_to(conn, &row, ListingEvent::Submit, None)?;
    audit_change(conn, &user.id, "listing.submitted", id, None, Some(&before))
}

/// The producer takes a lot off the market; open offers on it end.
pub fn withdraw(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<Listing, ApiError> {
    let before = load(conn, id)?;
    if !user.belongs_to(&before.organization_id) {
        return Err(ApiError::not_found());
    }
    let row = load_row(conn, id)?;
    lots::move_to(conn, &row, ListingEvent::Withdraw, Some("withdrawn"))?;
    end_open_offers(conn, id, OfferEvent::LotClosed, "listing_withdrawn")?;
    audit_change(conn, &user.id, "listing.withdrawn", id, None, Some(&before))
}

/// Lots waiting for review, oldest first (staff).
pub fn review_queue(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: &PageQuery,
) -> Result<Page<Listing>, ApiError> {
    user.require_staff()?;
    let limit = page.limit()?;
    let mut q = listings::table
        .filter(listings::status.eq(ListingStatus::PendingReview))
        .order(listings::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(cities) = user.cities() {
        q = q.filter(city_among("listings.region_code", cities));
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(listings::id.gt(after));
    }
    let rows = q.load(conn)?;
    Ok(Page::new(views(conn, rows)?, limit, |l| l.id.clone()))
}
