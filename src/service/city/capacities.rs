//! The capacity registry: receivers (and treatment and restoration sites) declare per site and
//! category the tonnes a year they can take, with their permits; staff verify. A demand asking
//! for more than its site's declared capacity carries a warning. The only writer of `capacities`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{capacities, sites};
use crate::db::{DbConnection, new_id, now};
use crate::domain::quantity::format_tonnes;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes};
use crate::service::market::catalog::Catalog;
use crate::service::page::{Page, PageQuery};

text_enum! {
    pub enum CapacityStatus {
        /// Declared by the organization, not yet checked.
        Declared => "declared",
        /// Staff checked the permits.
        Verified => "verified",
        /// Staff found the permits wanting, with a reason.
        Rejected => "rejected",
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityInput {
    #[schema(max_length = 40)]
    pub site_id: String,
    #[schema(example = "SW02", max_length = 20)]
    pub category: String,
    #[schema(max_length = 40)]
    pub subtype: Option<String>,
    /// Tonnes a year the site can take.
    pub tonnes_per_year: Tonnes,
    /// Pollutant discharge permit number (排污许可证编号).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 60
    )]
    pub discharge_permit_no: String,
    /// EIA approval reference (环评批复文号).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub eia_approval_ref: String,
    /// The permit's validity; not in the past.
    pub valid_until: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Capacity {
    pub id: String,
    pub organization_id: String,
    pub site_id: String,
    pub category: String,
    pub subtype: Option<String>,
    pub tonnes_per_year: String,
    pub discharge_permit_no: String,
    pub eia_approval_ref: String,
    pub valid_until: NaiveDate,
    pub status: CapacityStatus,
    pub status_reason: Option<String>,
}

#[derive(Queryable, Debug, Clone)]
pub struct CapacityRow {
    pub id: String,
    pub organization_id: String,
    pub site_id: String,
    pub category_code: String,
    pub subtype: Option<String>,
    pub kg_per_year: i64,
    pub discharge_permit_no: String,
    pub eia_approval_ref: String,
    pub valid_until: NaiveDate,
    pub status: CapacityStatus,
    pub status_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CapacityRow {
    pub fn view(&self) -> Capacity {
        Capacity {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            site_id: self.site_id.clone(),
            category: self.category_code.clone(),
            subtype: self.subtype.clone(),
            tonnes_per_year: format_tonnes(self.kg_per_year),
            discharge_permit_no: self.discharge_permit_no.clone(),
            eia_approval_ref: self.eia_approval_ref.clone(),
            valid_until: self.valid_until,
            status: self.status,
            status_reason: self.status_reason.clone(),
        }
    }
}

/// Declares a site's capacity for a category (members of the organization).
pub fn declare(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    organization_id: &str,
    req: &CapacityInput,
) -> Result<Capacity, ApiError> {
    user.require_reader_of(organization_id)?;
    if user.organization_id.as_deref() != Some(organization_id) {
        return Err(ApiError::forbidden(
            "member_only",
            "An organization declares its own capacity.",
        ));
    }
    let (category, subtype) = catalog.resolve(&req.category, req.subtype.as_deref())?;
    let mut c = Checks::default();
    let own_site = sites::table
        .filter(sites::id.eq(&req.site_id))
        .filter(sites::organization_id.eq(organization_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !own_site {
        c.push(
            "site_id",
            "unknown_site",
            "is not a site of the organization",
        );
    }
    let kg = c.tonnes("tonnes_per_year", &req.tonnes_per_year);
    c.text("discharge_permit_no", &req.discharge_permit_no, 1, 60);
    c.text("eia_approval_ref", &req.eia_approval_ref, 1, 100);
    if req.valid_until < now().date() {
        c.push("valid_until", "in_past", "the permit must still be valid");
    }
    c.finish()?;
    let id = new_id();
    let at = now();
    diesel::insert_into(capacities::table)
        .values((
            capacities::id.eq(&id),
            capacities::organization_id.eq(organization_id),
            capacities::site_id.eq(&req.site_id),
            capacities::category_code.eq(&category.code),
            capacities::subtype.eq(subtype.map(|s| s.code.as_str())),
            capacities::kg_per_year.eq(kg.unwrap_or_default()),
            capacities::discharge_permit_no.eq(req.discharge_permit_no.trim()),
            capacities::eia_approval_ref.eq(req.eia_approval_ref.trim()),
            capacities::valid_until.eq(req.valid_until),
            capacities::status.eq(CapacityStatus::Declared),
            capacities::created_at.eq(at),
            capacities::updated_at.eq(at),
        ))
        .execute(conn)?;
    let row: CapacityRow = capacities::table.find(&id).first(conn)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "capacity.declared",
            object_type: "capacity",
            object_id: &id,
            reason: None,
        },
        None::<&()>,
        Some(&row.view()),
    )?;
    Ok(row.view())
}

/// An organization's capacities: its members and staff.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    organization_id: &str,
    page: &PageQuery,
) -> Result<Page<Capacity>, ApiError> {
    if !(user.is_staff() || user.belongs_to(organization_id)) {
        return Err(ApiError::not_found());
    }
    let limit = page.limit()?;
    let mut q = capacities::table
        .filter(capacities::organization_id.eq(organization_id))
        .order(capacities::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = page.after::<String>()? {
        q = q.filter(capacities::id.gt(after));
    }
    let rows: Vec<CapacityRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |r| r.id.clone()).map(|r| r.view()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityDecision {
    pub decision: CapacityVerdict,
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

text_enum! {
    pub enum CapacityVerdict {
        Verify => "verify",
        Reject => "reject",
    }
}

/// Staff verify or reject a declared capacity, with a reason.
pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &CapacityDecision,
) -> Result<Capacity, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    c.reason("reason", &req.reason);
    c.finish()?;
    let before: CapacityRow = capacities::table.find(id).first(conn)?;
    let to = match req.decision {
        CapacityVerdict::Verify => CapacityStatus::Verified,
        CapacityVerdict::Reject => CapacityStatus::Rejected,
    };
    let changed = diesel::update(
        capacities::table
            .find(id)
            .filter(capacities::status.eq(CapacityStatus::Declared)),
    )
    .set((
        capacities::status.eq(to),
        capacities::status_reason.eq(req.reason.trim()),
        capacities::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("The capacity is already {}.", before.status),
        ));
    }
    let after: CapacityRow = capacities::table.find(id).first(conn)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: if to == CapacityStatus::Verified {
                "capacity.verified"
            } else {
                "capacity.rejected"
            },
            object_type: "capacity",
            object_id: id,
            reason: Some(req.reason.trim()),
        },
        Some(&before.view()),
        Some(&after.view()),
    )?;
    Ok(after.view())
}

/// A warning when a demand asks for more a year than its site declared it can take of the
/// categories (declared or verified capacity, not rejected, still valid).
pub fn warning(
    conn: &mut DbConnection,
    site_id: &str,
    categories: &[String],
    kg_per_year: i64,
) -> QueryResult<Option<String>> {
    let declared: Vec<i64> = capacities::table
        .filter(capacities::site_id.eq(site_id))
        .filter(capacities::category_code.eq_any(categories))
        .filter(capacities::status.ne(CapacityStatus::Rejected))
        .filter(capacities::valid_until.ge(now().date()))
        .select(capacities::kg_per_year)
        .load(conn)?;
    let total: i64 = declared.iter().sum();
    Ok(if declared.is_empty() {
        Some("the receiving site has declared no capacity for these categories".into())
    } else if kg_per_year > total {
        Some(format!(
            "asks for {} t a year; the site declared a capacity of {} t a year",
            format_tonnes(kg_per_year),
            format_tonnes(total)
        ))
    } else {
        None
    })
}
