//! Generation and storage declarations (产生、利用、处置、贮存申报): a producer declares per site,
//! category and month what it generated, used in-house, sent out, disposed of, kept in store and
//! took from earlier years' stock; "sent out" defaults to what the exchange's truckloads delivered.
//! Staff see who has not declared. The only writer of `declarations`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{deals, declarations, listings, organizations, sites, transfers};
use crate::db::{DbConnection, new_id, now};
use crate::domain::organization::{OrgKind, VerificationStatus};
use crate::domain::quantity::format_tonnes;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, TonnesOrZero};
use crate::service::market::catalog::Catalog;
use crate::service::page::{Page, PageQuery};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationInput {
    /// One of the organization's sites.
    #[schema(max_length = 40)]
    pub site_id: String,
    /// GB/T 39198 category code.
    #[schema(example = "SW02", max_length = 20)]
    pub category: String,
    /// The month declared, `YYYY-MM`.
    #[schema(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", example = "2026-10")]
    pub period: String,
    pub generated_t: TonnesOrZero,
    pub utilised_in_house_t: TonnesOrZero,
    /// Handed to others for utilisation; defaults to what the exchange's truckloads from this
    /// site and category delivered in the month. A different figure needs `sent_out_reason`.
    pub sent_out_t: Option<TonnesOrZero>,
    /// Why `sent_out_t` differs from the exchange's figure (flows off the exchange).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 500
    )]
    pub sent_out_reason: Option<String>,
    pub disposed_t: TonnesOrZero,
    /// In store at the end of the month.
    pub stored_end_t: TonnesOrZero,
    /// Stock from earlier years utilised this month.
    pub prior_stock_utilised_t: TonnesOrZero,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Declaration {
    pub id: String,
    pub organization_id: String,
    pub site_id: String,
    pub category: String,
    pub period: String,
    pub region_code: String,
    pub generated_t: String,
    pub utilised_in_house_t: String,
    pub sent_out_t: String,
    /// What the exchange's received truckloads came to when this was declared.
    pub sent_out_on_exchange_t: String,
    pub sent_out_reason: Option<String>,
    pub disposed_t: String,
    pub stored_end_t: String,
    pub prior_stock_utilised_t: String,
    pub version: i64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Queryable, Debug, Clone)]
pub struct DeclarationRow {
    pub id: String,
    pub organization_id: String,
    pub site_id: String,
    pub category_code: String,
    pub period: String,
    pub region_code: String,
    pub generated_kg: i64,
    pub utilised_in_house_kg: i64,
    pub sent_out_kg: i64,
    pub sent_out_on_exchange_kg: i64,
    pub sent_out_reason: Option<String>,
    pub disposed_kg: i64,
    pub stored_end_kg: i64,
    pub prior_stock_utilised_kg: i64,
    pub declared_by: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl DeclarationRow {
    pub fn view(&self) -> Declaration {
        Declaration {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            site_id: self.site_id.clone(),
            category: self.category_code.clone(),
            period: self.period.clone(),
            region_code: self.region_code.clone(),
            generated_t: format_tonnes(self.generated_kg),
            utilised_in_house_t: format_tonnes(self.utilised_in_house_kg),
            sent_out_t: format_tonnes(self.sent_out_kg),
            sent_out_on_exchange_t: format_tonnes(self.sent_out_on_exchange_kg),
            sent_out_reason: self.sent_out_reason.clone(),
            disposed_t: format_tonnes(self.disposed_kg),
            stored_end_t: format_tonnes(self.stored_end_kg),
            prior_stock_utilised_t: format_tonnes(self.prior_stock_utilised_kg),
            version: self.version,
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// The first day of a `YYYY-MM` month and of the next.
pub fn month_bounds(period: &str) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let first = NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first.and_hms_opt(0, 0, 0)?, next.and_hms_opt(0, 0, 0)?))
}

/// A month as the schemas' pattern states it, `^20[0-9]{2}-(0[1-9]|1[0-2])$`.
fn valid_period(period: &str) -> Result<(), ApiError> {
    let b = period.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped =
        b.len() == 7 && b.starts_with(b"20") && b[4] == b'-' && digits(2..4) && digits(5..7);
    if shaped && month_bounds(period).is_some() {
        Ok(())
    } else {
        Err(ApiError::field(
            "period",
            "invalid_period",
            "must be a month, YYYY-MM",
        ))
    }
}

/// What the exchange delivered from a site's lots of a category in a month: the receivers'
/// weighed net of truckloads received in it.
pub fn sent_out_on_exchange(
    conn: &mut DbConnection,
    site_id: &str,
    category: &str,
    period: &str,
) -> QueryResult<i64> {
    let Some((from, until)) = month_bounds(period) else {
        return Ok(0);
    };
    // SUM over BIGINT is NUMERIC on PostgreSQL; a month's truckloads are few, so add them here.
    Ok(transfers::table
        .inner_join(deals::table.inner_join(listings::table))
        .filter(listings::site_id.eq(site_id))
        .filter(listings::category_code.eq(category))
        .filter(transfers::received_at.ge(from))
        .filter(transfers::received_at.lt(until))
        .select(transfers::received_net_kg)
        .load::<Option<i64>>(conn)?
        .into_iter()
        .flatten()
        .sum())
}

/// Declares (or corrects) a site's month for a category: members of the producer organization.
pub fn declare(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    organization_id: &str,
    req: &DeclarationInput,
) -> Result<Declaration, ApiError> {
    user.require_reader_of(organization_id)?;
    if user.organization_id.as_deref() != Some(organization_id) {
        return Err(ApiError::forbidden(
            "member_only",
            "An organization declares its own figures.",
        ));
    }
    let mut c = Checks::default();
    let region: Option<String> = sites::table
        .filter(sites::id.eq(&req.site_id))
        .filter(sites::organization_id.eq(organization_id))
        .select(sites::region_code)
        .first(conn)
        .optional()?;
    if region.is_none() {
        c.push(
            "site_id",
            "unknown_site",
            "is not a site of the organization",
        );
    }
    if catalog.category(&req.category).is_none() {
        c.push(
            "category",
            "unknown_category",
            "is not a GB/T 39198 category of the catalog",
        );
    }
    let bounds = month_bounds(&req.period).filter(|_| req.period.len() == 7);
    match bounds {
        None => c.push("period", "invalid_period", "must be a month, YYYY-MM"),
        Some((from, _)) if from > now() => c.push(
            "period",
            "in_future",
            "a month not yet begun cannot be declared",
        ),
        Some(_) => {}
    }
    let generated = c.tonnes_or_zero("generated_t", &req.generated_t);
    let in_house = c.tonnes_or_zero("utilised_in_house_t", &req.utilised_in_house_t);
    let sent = req
        .sent_out_t
        .as_ref()
        .and_then(|t| c.tonnes_or_zero("sent_out_t", t));
    let disposed = c.tonnes_or_zero("disposed_t", &req.disposed_t);
    let stored = c.tonnes_or_zero("stored_end_t", &req.stored_end_t);
    let prior = c.tonnes_or_zero("prior_stock_utilised_t", &req.prior_stock_utilised_t);
    if let Some(r) = &req.sent_out_reason {
        c.text("sent_out_reason", r, 1, 500);
    }
    c.finish()?;
    let exchange = sent_out_on_exchange(conn, &req.site_id, &req.category, &req.period)?;
    let sent_out = sent.unwrap_or(exchange);
    if sent_out != exchange && req.sent_out_reason.is_none() {
        return Err(ApiError::field(
            "sent_out_reason",
            "required",
            &format!(
                "sent_out_t differs from the {} t the exchange delivered: say why (off-exchange flows)",
                format_tonnes(exchange)
            ),
        ));
    }
    let at = now();
    let existing: Option<DeclarationRow> = declarations::table
        .filter(declarations::site_id.eq(&req.site_id))
        .filter(declarations::category_code.eq(&req.category))
        .filter(declarations::period.eq(&req.period))
        .first(conn)
        .optional()?;
    let values = (
        declarations::generated_kg.eq(generated.unwrap_or_default()),
        declarations::utilised_in_house_kg.eq(in_house.unwrap_or_default()),
        declarations::sent_out_kg.eq(sent_out),
        declarations::sent_out_on_exchange_kg.eq(exchange),
        declarations::sent_out_reason.eq(req.sent_out_reason.as_deref().map(str::trim)),
        declarations::disposed_kg.eq(disposed.unwrap_or_default()),
        declarations::stored_end_kg.eq(stored.unwrap_or_default()),
        declarations::prior_stock_utilised_kg.eq(prior.unwrap_or_default()),
        declarations::declared_by.eq(&user.id),
        declarations::updated_at.eq(at),
    );
    let id = match &existing {
        Some(row) => {
            diesel::update(declarations::table.find(&row.id))
                .set((values, declarations::version.eq(row.version + 1)))
                .execute(conn)?;
            row.id.clone()
        }
        None => {
            let id = new_id();
            diesel::insert_into(declarations::table)
                .values((
                    declarations::id.eq(&id),
                    declarations::organization_id.eq(organization_id),
                    declarations::site_id.eq(&req.site_id),
                    declarations::category_code.eq(&req.category),
                    declarations::period.eq(&req.period),
                    declarations::region_code.eq(region.unwrap_or_default()),
                    declarations::created_at.eq(at),
                    values,
                ))
                .execute(conn)?;
            id
        }
    };
    let after: DeclarationRow = declarations::table.find(&id).first(conn)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: if existing.is_some() {
                "declaration.corrected"
            } else {
                "declaration.made"
            },
            object_type: "declaration",
            object_id: &id,
            reason: req.sent_out_reason.as_deref(),
        },
        existing.as_ref().map(DeclarationRow::view).as_ref(),
        Some(&after.view()),
    )?;
    Ok(after.view())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeclarationQuery {
    /// Only this month, `YYYY-MM`.
    #[param(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
}

/// An organization's declarations, newest month first: its members and staff; 404 for others.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    organization_id: &str,
    query: &DeclarationQuery,
    page: &PageQuery,
) -> Result<Page<Declaration>, ApiError> {
    if !(user.is_staff() || user.belongs_to(organization_id)) {
        return Err(ApiError::not_found());
    }
    if let Some(p) = &query.period {
        valid_period(p)?;
    }
    let limit = page.limit()?;
    let mut q = declarations::table
        .filter(declarations::organization_id.eq(organization_id))
        .order(declarations::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(p) = &query.period {
        q = q.filter(declarations::period.eq(p));
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(declarations::id.gt(after));
    }
    let rows: Vec<DeclarationRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |r| r.id.clone()).map(|r| r.view()))
}

/// A verified producer that has not declared a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct Missing {
    pub organization_id: String,
    pub legal_name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MissingQuery {
    /// The month, `YYYY-MM`.
    #[param(pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub period: String,
}

/// Verified producers without any declaration for the month (staff).
pub fn missing(
    conn: &mut DbConnection,
    user: &CurrentUser,
    query: &MissingQuery,
    page: &PageQuery,
) -> Result<Page<Missing>, ApiError> {
    user.require_staff()?;
    valid_period(&query.period)?;
    let limit = page.limit()?;
    let declared = declarations::table
        .filter(declarations::period.eq(&query.period))
        .select(declarations::organization_id);
    let mut q = organizations::table
        .filter(organizations::verification_status.eq(VerificationStatus::Verified))
        .filter(organizations::kinds.like(format!("%{}%", OrgKind::Producer.as_str())))
        .filter(organizations::id.ne_all(declared))
        .order(organizations::id.asc())
        .select((organizations::id, organizations::legal_name))
        .limit(limit)
        .into_boxed();
    if let Some(after) = page.after::<String>()? {
        q = q.filter(organizations::id.gt(after));
    }
    let rows: Vec<(String, String)> = q.load(conn)?;
    Ok(
        Page::new(rows, limit, |r| r.0.clone()).map(|(organization_id, legal_name)| Missing {
            organization_id,
            legal_name,
        }),
    )
}
