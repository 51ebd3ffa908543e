//! Organizations and their sites, submission for verification, and the staff's decision on it.
//! The only writer of `organizations` and `sites`; invitations are in `invitations`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::new_id;
use crate::db::schema::{organizations, sites};
use crate::db::{DbConnection, now};
use crate::domain::notification::NotificationKind;
use crate::domain::organization::{OrgKind, VerificationEvent, VerificationStatus, transition};
use crate::domain::uscc::{UsccCheck, registered_city};
use crate::error::ApiError;
use crate::service::accounts::access::{CurrentUser, city_among};
use crate::service::audit::{self, Entry};
use crate::service::input::Checks;
use crate::service::notifications::{Notice, notify_owners};
use crate::service::page::{Page, PageQuery};

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    #[validate(length(min = 1, max = 200))]
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    #[validate(custom(function = "crate::service::input::single_line"))]
    pub name: String,
    /// 6-digit administrative division code (GB/T 2260), e.g. 150203 昆都仑区.
    #[validate(length(equal = 6), custom(function = "digits_only"))]
    #[schema(pattern = "^[0-9]{6}$", example = "150203")]
    pub region_code: String,
    #[validate(length(min = 1, max = 500))]
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 500
    )]
    #[validate(custom(function = "crate::service::input::single_line"))]
    pub address: String,
    /// WGS-84 latitude.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    /// WGS-84 longitude.
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: f64,
    /// The site has an impermeable liner (a GB 18599-2020 class II site): it may take class II
    /// waste for backfill and restoration.
    #[serde(default)]
    pub lined: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    #[validate(length(min = 2, max = 200))]
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 2,
        max_length = 200
    )]
    #[validate(custom(function = "crate::service::input::single_line"))]
    pub legal_name: String,
    /// Unified Social Credit Code (统一社会信用代码), 18 characters, GB 32100-2015.
    #[schema(min_length = 18, max_length = 20)]
    pub uscc: String,
    #[validate(length(min = 1, max = 3))]
    #[schema(min_items = 1, max_items = 3)]
    pub kinds: Vec<OrgKind>,
    #[validate(nested)]
    pub site: SiteInput,
}

fn digits_only(code: &str) -> Result<(), validator::ValidationError> {
    if code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("digits_only").with_message("must be 6 digits".into()))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub legal_name: String,
    pub uscc: String,
    pub kinds: Vec<OrgKind>,
    pub verification_status: VerificationStatus,
    /// The USCC check character did not match; staff must override it explicitly to verify.
    pub uscc_check_failed: bool,
    pub suspended: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub version: i64,
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    #[serde(with = "crate::domain::time")]
    pub created_at: NaiveDateTime,
}

#[derive(Queryable)]
struct OrganizationRow {
    id: String,
    legal_name: String,
    uscc: String,
    kinds: String,
    verification_status: String,
    uscc_check_failed: bool,
    suspended: bool,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
}

impl From<OrganizationRow> for Organization {
    fn from(r: OrganizationRow) -> Self {
        Self {
            id: r.id,
            legal_name: r.legal_name,
            uscc: r.uscc,
            kinds: OrgKind::split(&r.kinds),
            verification_status: VerificationStatus::parse(&r.verification_status)
                .unwrap_or(VerificationStatus::Unverified),
            uscc_check_failed: r.uscc_check_failed,
            suspended: r.suspended,
            contact_name: r.contact_name,
            contact_phone: r.contact_phone,
            contact_email: r.contact_email,
            version: r.version,
            created_at: r.created_at,
        }
    }
}

type OrgColumns = (
    organizations::id,
    organizations::legal_name,
    organizations::uscc,
    organizations::kinds,
    organizations::verification_status,
    organizations::uscc_check_failed,
    organizations::suspended,
    organizations::contact_name,
    organizations::contact_phone,
    organizations::contact_email,
    organizations::version,
    organizations::created_at,
);

pub const ORG_COLUMNS: OrgColumns = (
    organizations::id,
    organizations::legal_name,
    organizations::uscc,
    organizations::kinds,
    organizations::verification_status,
    organizations::uscc_check_failed,
    organizations::suspended,
    organizations::contact_name,
    organizations::contact_phone,
    organizations::contact_email,
    organizations::version,
    organizations::created_at,
);

pub fn load(conn: &mut DbConnection, id: &str) -> Result<Organization, ApiError> {
    let row: OrganizationRow = organizations::table
        .find(id)
        .select(ORG_COLUMNS)
        .first(conn)?;
    Ok(row.into())
}

pub fn load_many(
    conn: &mut DbConnection,
    status: VerificationStatus,
    cities: Option<&[String]>,
    page: &PageQuery,
) -> Result<Page<Organization>, ApiError> {
    let limit = page.limit()?;
    let mut q = organizations::table
        .filter(organizations::verification_status.eq(status.as_str()))
        .select(ORG_COLUMNS)
        .order(organizations::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(cities) = cities {
        // The city it is registered in, from its code (domain::uscc::registered_city).
        q = q.filter(city_among("substr(organizations.uscc, 3, 4)", cities));
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(organizations::id.gt(after));
    }
    let rows: Vec<OrganizationRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |o| o.id.clone()).map(Into::into))
}

/// Inserts a registering organization and its first site. A code that fails its check goes
/// straight to `pending` with the flag set: only staff can decide about it (docs/DESIGN.md, "Organizations").
/// The caller audits it once its owner exists.
pub fn create(
    conn: &mut DbConnection,
    org: &OrganizationInput,
    uscc: &str,
    check: UsccCheck,
) -> Result<String, ApiError> {
    check_uscc_free(conn, uscc)?;
    let id = new_id();
    let at = now();
    let failed = check == UsccCheck::CheckCharacterMismatch;
    let status = if failed {
        VerificationStatus::Pending
    } else {
        VerificationStatus::Unverified
    };
    diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(&id),
            organizations::legal_name.eq(org.legal_name.trim()),
            organizations::uscc.eq(uscc),
            organizations::kinds.eq(OrgKind::join(&org.kinds)),
            organizations::verification_status.eq(status.as_str()),
            organizations::uscc_check_failed.eq(failed),
            organizations::created_at.eq(at),
            organizations::updated_at.eq(at),
        ))
        .execute(conn)?;
    insert_site(conn, &id, &org.site)?;
    Ok(id)
}

#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct Site {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub region_code: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// A lined site (GB 18599-2020 class II).
    pub lined: bool,
}

const SITE_COLUMNS: (
    sites::id,
    sites::organization_id,
    sites::name,
    sites::region_code,
    sites::address,
    sites::lat,
    sites::lon,
    sites::lined,
) = (
    sites::id,
    sites::organization_id,
    sites::name,
    sites::region_code,
    sites::address,
    sites::lat,
    sites::lon,
    sites::lined,
);

fn insert_site(conn: &mut DbConnection, org_id: &str, site: &SiteInput) -> Result<Site, ApiError> {
    let id = new_id();
    let at = now();
    diesel::insert_into(sites::table)
        .values((
            sites::id.eq(&id),
            sites::organization_id.eq(org_id),
            sites::name.eq(site.name.trim()),
            sites::region_code.eq(&site.region_code),
            sites::address.eq(site.address.trim()),
            sites::lat.eq(site.lat),
            sites::lon.eq(site.lon),
            sites::lined.eq(site.lined),
            sites::created_at.eq(at),
            sites::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(sites::table.find(&id).select(SITE_COLUMNS).first(conn)?)
}

pub fn get(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<Organization, ApiError> {
    user.require_reader_of(id)?;
    load(conn, id)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// The legal name may change only before verification.
    #[validate(length(min = 2, max = 200))]
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 2,
        max_length = 200
    )]
    #[validate(custom(function = "crate::service::input::single_line"))]
    pub legal_name: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    #[validate(custom(function = "crate::service::input::single_line"))]
    pub contact_name: Option<String>,
    #[validate(length(min = 3, max = 40))]
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 40
    )]
    #[validate(custom(function = "crate::service::input::single_line"))]
    pub contact_phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub contact_email: Option<String>,
}

pub fn update(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    expected_version: Option<i64>,
    req: &OrganizationPatch,
) -> Result<Organization, ApiError> {
    user.require_owner_of(id)?;
    Checks::of(req).finish()?;
    let before = load(conn, id)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(ApiError::stale("organization"));
    }
    if req.legal_name.is_some()
        && matches!(
            before.verification_status,
            VerificationStatus::Pending | VerificationStatus::Verified
        )
    {
        return Err(ApiError::conflict(
            "legal_name_locked",
            "The legal name cannot change while verification is pending or done.",
        ));
    }
    diesel::update(organizations::table.find(&id))
        .set((
            req.legal_name
                .as_deref()
                .map(|n| organizations::legal_name.eq(n.trim())),
            req.contact_name
                .as_deref()
                .map(|v| organizations::contact_name.eq(v)),
            req.contact_phone
                .as_deref()
                .map(|v| organizations::contact_phone.eq(v)),
            req.contact_email
                .as_deref()
                .map(|v| organizations::contact_email.eq(v)),
            organizations::version.eq(organizations::version + 1),
            organizations::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let after = load(conn, id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "organization.updated",
            object_type: "organization",
            object_id: id,
            reason: None,
        },
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

pub fn list_sites(
    conn: &mut DbConnection,
    user: &CurrentUser,
    org_id: &str,
) -> Result<Vec<Site>, ApiError> {
    user.require_reader_of(org_id)?;
    // 404 for an organization that does not exist (staff can name any id).
    load(conn, org_id)?;
    Ok(sites::table
        .filter(sites::organization_id.eq(&org_id))
        .select(SITE_COLUMNS)
        .order(sites::id.asc())
        .load(conn)?)
}

pub fn add_site(
    conn: &mut DbConnection,
    user: &CurrentUser,
    org_id: &str,
    site: &SiteInput,
) -> Result<Site, ApiError> {
    user.require_owner_of(org_id)?;
    Checks::of(site).finish()?;
    let created = insert_site(conn, org_id, site)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "site.created",
            object_type: "site",
            object_id: &created.id,
            reason: None,
        },
        None::<&()>,
        Some(&created),
    )?;
    Ok(created)
}

pub fn update_site(
    conn: &mut DbConnection,
    user: &CurrentUser,
    org_id: &str,
    site_id: &str,
    site: &SiteInput,
) -> Result<Site, ApiError> {
    user.require_owner_of(org_id)?;
    Checks::of(site).finish()?;
    let mine = sites::table
        .filter(sites::id.eq(&site_id))
        .filter(sites::organization_id.eq(&org_id));
    let before: Site = mine.select(SITE_COLUMNS).first(conn)?;
    diesel::update(mine)
        .set((
            sites::name.eq(site.name.trim()),
            sites::region_code.eq(&site.region_code),
            sites::address.eq(site.address.trim()),
            sites::lat.eq(site.lat),
            sites::lon.eq(site.lon),
            sites::lined.eq(site.lined),
            sites::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let after: Site = sites::table
        .find(&site_id)
        .select(SITE_COLUMNS)
        .first(conn)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "site.updated",
            object_type: "site",
            object_id: site_id,
            reason: None,
        },
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// A Unified Social Credit Code no organization has registered yet.
pub fn check_uscc_free(conn: &mut DbConnection, uscc: &str) -> Result<(), ApiError> {
    let taken: i64 = organizations::table
        .filter(organizations::uscc.eq(uscc))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(ApiError::conflict(
            "uscc_taken",
            "An organization with this Unified Social Credit Code is already registered; ask its owner for an invitation.",
        ));
    }
    Ok(())
}

/// One guarded move of the verification state machine, from the status it was read in.
pub fn move_verification(
    conn: &mut DbConnection,
    org_id: &str,
    from: VerificationStatus,
    event: VerificationEvent,
) -> Result<VerificationStatus, ApiError> {
    let to = transition(from, event).ok_or_else(|| {
        ApiError::conflict(
            "invalid_state",
            format!(
                "An organization that is {} cannot be {}.",
                from.label(),
                event.past_tense()
            ),
        )
    })?;
    let changed = diesel::update(
        organizations::table
            .find(org_id)
            .filter(organizations::verification_status.eq(from.as_str())),
    )
    .set((
        organizations::verification_status.eq(to.as_str()),
        organizations::version.eq(organizations::version + 1),
        organizations::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            "invalid_state",
            "The organization changed meanwhile.",
        ));
    }
    Ok(to)
}

/// The owner asks the alliance to verify the organization (again, after a rejection).
/// Asking while already pending answers the organization unchanged.
pub fn submit_for_verification(
    conn: &mut DbConnection,
    user: &CurrentUser,
    org_id: &str,
) -> Result<Organization, ApiError> {
    user.require_owner_of(org_id)?;
    let before = load(conn, org_id)?;
    if before.verification_status == VerificationStatus::Pending {
        return Ok(before);
    }
    move_verification(
        conn,
        org_id,
        before.verification_status,
        VerificationEvent::Submit,
    )?;
    let after = load(conn, org_id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "organization.submitted",
            object_type: "organization",
            object_id: org_id,
            reason: None,
        },
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationDecision {
    Verify,
    Reject,
    Suspend,
    /// Lifts a suspension.
    Reinstate,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationDecisionRequest {
    pub decision: OrganizationDecision,
    /// Why; shown to the organization and kept in the audit log.
    #[validate(length(min = 3, max = 2000))]
    #[schema(schema_with = crate::service::input::reason_schema)]
    #[validate(custom(function = "crate::service::input::long_text"))]
    pub reason: String,
    /// Required to verify an organization whose USCC check character failed.
    #[serde(default)]
    pub override_uscc_check: bool,
}

/// A staff decision on an organization. Every decision carries a reason, is audited and is told
/// to the organization's owners.
pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    org_id: &str,
    req: &OrganizationDecisionRequest,
) -> Result<Organization, ApiError> {
    user.require_staff()?;
    Checks::of(req).finish()?;
    let before = load(conn, org_id)?;
    user.require_staff_for(registered_city(&before.uscc))?;
    let target = organizations::table.find(&org_id);
    let (action, kind, zh, en) = match req.decision {
        OrganizationDecision::Verify | OrganizationDecision::Reject => {
            let event = if req.decision == OrganizationDecision::Verify {
                VerificationEvent::Verify
            } else {
                VerificationEvent::Reject
            };
            // The override is asked for only where verifying is a move the table allows.
            if event == VerificationEvent::Verify
                && transition(before.verification_status, event).is_some()
                && before.uscc_check_failed
                && !req.override_uscc_check
            {
                return Err(ApiError::unprocessable(
                    "uscc_override_required",
                    "The USCC check character failed; set override_uscc_check after checking the business licence.",
                ));
            }
            move_verification(conn, org_id, before.verification_status, event)?;
            if event == VerificationEvent::Verify {
                (
                    "organization.verified",
                    NotificationKind::OrganizationVerified,
                    "单位已通过认证",
                    "Organization verified",
                )
            } else {
                (
                    "organization.rejected",
                    NotificationKind::OrganizationRejected,
                    "单位认证未通过",
                    "Organization verification rejected",
                )
            }
        }
        OrganizationDecision::Suspend | OrganizationDecision::Reinstate => {
            let suspend = req.decision == OrganizationDecision::Suspend;
            if before.suspended == suspend {
                return Err(ApiError::conflict(
                    "invalid_state",
                    if suspend {
                        "Already suspended."
                    } else {
                        "Not suspended."
                    },
                ));
            }
            diesel::update(target)
                .set((
                    organizations::suspended.eq(suspend),
                    organizations::version.eq(organizations::version + 1),
                    organizations::updated_at.eq(now()),
                ))
                .execute(conn)?;
            if suspend {
                (
                    "organization.suspended",
                    NotificationKind::OrganizationSuspended,
                    "单位已被暂停",
                    "Organization suspended",
                )
            } else {
                (
                    "organization.reinstated",
                    NotificationKind::OrganizationReinstated,
                    "单位已恢复",
                    "Organization reinstated",
                )
            }
        }
    };
    let after = load(conn, org_id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action,
            object_type: "organization",
            object_id: org_id,
            reason: Some(&req.reason),
        },
        Some(&before),
        Some(&after),
    )?;
    notify_owners(
        conn,
        org_id,
        &Notice {
            kind,
            title_zh: format!("{zh}：{}", after.legal_name),
            title_en: format!("{en}: {}", after.legal_name),
            body_zh: format!("联盟工作人员的说明：{}", req.reason),
            body_en: format!("Note from the alliance staff: {}", req.reason),
            object_type: Some("organization"),
            object_id: Some(org_id),
        },
    )?;
    Ok(after)
}
