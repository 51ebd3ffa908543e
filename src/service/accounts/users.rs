//! Users: registration (with a new organization or by invitation), email verification, password
//! reset and change, the profile, staff roles and the first admin. Sign-in is in `sessions`. The
//! only writer of `users` and `user_tokens`.

use chrono::Duration;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::db::new_id;
use crate::db::schema::{user_tokens, users};
use crate::db::{Db, DbConnection, now, write_tx};
use crate::domain::organization::{Language, OrgKind, OrgRole, PlatformRole, VerificationStatus};
use crate::domain::uscc::{self, UsccCheck};
use crate::email::{outbox, templates::Email};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::accounts::invitations;
use crate::service::accounts::organizations::{self, OrganizationInput};
use crate::service::accounts::passwords;
use crate::service::accounts::sessions::{self};
use crate::service::accounts::tokens;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, normalize_email};

const VERIFY_EMAIL_HOURS: i64 = 24;
const RESET_MINUTES: i64 = 30;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    #[validate(custom(function = "crate::service::input::single_line"))]
    pub display_name: String,
    #[serde(default)]
    pub language: Option<Language>,
    /// A new organization, registered with this user as its owner…
    #[validate(nested)]
    pub organization: Option<OrganizationInput>,
    /// …or the token of an invitation to an existing one (exactly one of the two).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub invitation_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ForgotRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// The same answer whether or not the email was known (no account enumeration).
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub status: &'static str,
    pub detail: &'static str,
}

pub fn accepted() -> Accepted {
    Accepted {
        status: "accepted",
        detail: "If the address can be used, a message has been sent to it.",
    }
}

fn link(public_url: &str, path: &str, token: &str) -> String {
    format!("{public_url}/{path}?token={token}")
}

pub async fn register(
    db: &Db,
    public_url: String,
    req: RegisterRequest,
) -> Result<Accepted, ApiError> {
    Checks::of(&req).finish()?;
    let email = normalize_email(&req.email);
    passwords::check_policy("password", &req.password, &[&email, &req.display_name])?;
    let uscc = match (&req.organization, &req.invitation_token) {
        (Some(org), None) => Some(checked_org(org)?),
        (None, Some(_)) => None,
        _ => {
            return Err(ApiError::field(
                "organization",
                "one_of",
                "give either organization or invitation_token",
            ));
        }
    };
    // The same body gets the same answer whether or not its email has an account: what the body
    // names (a USCC, an invitation) is checked first, and before any argon2 work is spent on it.
    {
        let (email, uscc) = (email.clone(), uscc.as_ref().map(|(code, _)| code.clone()));
        let token = req.invitation_token.clone();
        db.read(move |conn| match (uscc, token) {
            (Some(code), _) => organizations::check_uscc_free(conn, &code),
            (None, Some(token)) => invitations::find_invitation(conn, &token, &email).map(|_| ()),
            (None, None) => Ok(()),
        })
        .await?;
    }
    let password = req.password.clone();
    let hash = hash_blocking(password).await?;
    let language = req.language.unwrap_or(Language::Zh);
    db.write(move |conn| {
        let existing: Option<(String, String)> = users::table
            .filter(users::email.eq(&email))
            .select((users::id, users::language))
            .first(conn)
            .optional()?;
        if let Some((_, lang)) = existing {
            let lang = Language::parse(&lang).unwrap_or(language);
            let login = format!("{public_url}/login");
            outbox::enqueue(conn, &email, &Email::AccountExists { login_link: &login }.render(lang))?;
            return Ok(accepted());
        }
        let user_id = new_id();
        let (organization_id, role, verified) = match (uscc, &req.organization) {
            (Some((code, check)), Some(org)) => {
                let org_id = organizations::create(conn, org, &code, check)?;
                (org_id, OrgRole::Owner, false)
            }
            _ => {
                let token = req.invitation_token.as_deref().unwrap_or_default();
                let (org_id, role) = invitations::take_invitation(conn, token, &email)?;
                // The invitation link reached this mailbox: the address is proven.
                (org_id, role, true)
            }
        };
        insert(
            conn,
            &NewUser {
                id: &user_id,
                email: &email,
                display_name: req.display_name.trim(),
                password_hash: &hash,
                email_verified: verified,
                language,
                organization: Some((&organization_id, role)),
                platform_role: None,
            },
        )?;
        audit::record(
            conn,
            Entry {
                actor: Some(&user_id),
                action: "user.registered",
                object_type: "user",
                object_id: &user_id,
                reason: None,
            },
            None::<&()>,
            Some(&serde_json::json!({"email": email, "organization_id": organization_id, "role": role})),
        )?;
        if req.organization.is_some() {
            let org = organizations::load(conn, &organization_id)?;
            audit::record(
                conn,
                Entry {
                    actor: Some(&user_id),
                    action: "organization.created",
                    object_type: "organization",
                    object_id: &organization_id,
                    reason: None,
                },
                None::<&()>,
                Some(&org),
            )?;
        }
        if !verified {
            let token = issue_user_token(conn, &user_id, "verify_email", Duration::hours(VERIFY_EMAIL_HOURS))?;
            let link = link(&public_url, "verify-email", &token);
            outbox::enqueue(conn, &email, &Email::VerifyEmail { link: &link }.render(language))?;
        }
        Ok(accepted())
    })
    .await
}

/// Validates the organization part of a registration; a failing check character is allowed
/// through (flagged), a malformed code is not.
fn checked_org(org: &OrganizationInput) -> Result<(String, UsccCheck), ApiError> {
    let (code, check) = uscc::check(&org.uscc)
        .map_err(|e| ApiError::field("organization.uscc", "invalid_uscc", &e.to_string()))?;
    if org.kinds.contains(&OrgKind::Alliance) {
        return Err(ApiError::field(
            "organization.kinds",
            "not_allowed",
            "the alliance organization is created by an admin",
        ));
    }
    Ok((code, check))
}

pub fn issue_user_token(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: &str,
    valid_for: Duration,
) -> QueryResult<String> {
    let token = tokens::generate();
    let at = now();
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::id.eq(new_id()),
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose),
            user_tokens::token_hash.eq(tokens::hash(&token)),
            user_tokens::expires_at.eq(at + valid_for),
            user_tokens::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(token)
}

fn invalid_link() -> ApiError {
    ApiError::field(
        "token",
        "invalid_token",
        "the link is invalid, used or expired",
    )
}

/// The id and user of a live (unspent, unexpired) single-use token.
fn live_user_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: &str,
) -> Result<(String, String), ApiError> {
    user_tokens::table
        .filter(user_tokens::token_hash.eq(tokens::hash(token)))
        .filter(user_tokens::purpose.eq(purpose))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(now()))
        .select((user_tokens::id, user_tokens::user_id))
        .first(conn)
        .optional()?
        .ok_or_else(invalid_link)
}

/// Spends a single-use token (and its unspent siblings of the same purpose); returns its user.
fn spend_user_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: &str,
) -> Result<String, ApiError> {
    let at = now();
    let (id, user_id) = live_user_token(conn, token, purpose)?;
    let spent = diesel::update(
        user_tokens::table
            .filter(user_tokens::id.eq(&id))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(at))
    .execute(conn)?;
    if spent == 0 {
        return Err(invalid_link());
    }
    // One link used spends its siblings: an older reset link in the mailbox is dead too.
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(&user_id))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(at))
    .execute(conn)?;
    Ok(user_id)
}

pub fn verify_email(conn: &mut DbConnection, req: &TokenRequest) -> Result<(), ApiError> {
    Checks::of(req).finish()?;
    let user_id = spend_user_token(conn, &req.token, "verify_email")?;
    diesel::update(users::table.find(&user_id))
        .set((users::email_verified.eq(true), users::updated_at.eq(now())))
        .execute(conn)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user_id),
            action: "user.email_verified",
            object_type: "user",
            object_id: &user_id,
            reason: None,
        },
        None::<&()>,
        None::<&()>,
    )?;
    Ok(())
}

pub fn forgot_password(
    conn: &mut DbConnection,
    public_url: &str,
    req: &ForgotRequest,
) -> Result<Accepted, ApiError> {
    Checks::of(req).finish()?;
    let email = normalize_email(&req.email);
    let user: Option<(String, String)> = users::table
        .filter(users::email.eq(&email))
        .select((users::id, users::language))
        .first(conn)
        .optional()?;
    if let Some((user_id, lang)) = user {
        let token = issue_user_token(
            conn,
            &user_id,
            "password_reset",
            Duration::minutes(RESET_MINUTES),
        )?;
        let link = link(public_url, "reset-password", &token);
        let lang = Language::parse(&lang).unwrap_or(Language::Zh);
        outbox::enqueue(
            conn,
            &email,
            &Email::PasswordReset { link: &link }.render(lang),
        )?;
    }
    Ok(accepted())
}

pub async fn reset_password(db: &Db, req: ResetRequest) -> Result<(), ApiError> {
    Checks::of(&req).finish()?;
    let ResetRequest {
        token,
        new_password,
    } = req;
    passwords::check_policy("new_password", &new_password, &[])?;
    // A link that is not live costs no argon2 work: it is looked up first (and spent below).
    {
        let token = token.clone();
        db.read(move |conn| live_user_token(conn, &token, "password_reset").map(|_| ()))
            .await?;
    }
    let hash = hash_blocking(new_password).await?;
    db.write(move |conn| {
        let user_id = spend_user_token(conn, &token, "password_reset")?;
        set_password(conn, &user_id, &hash, "user.password_reset")
    })
    .await
}

pub async fn change_password(
    db: &Db,
    user: &CurrentUser,
    req: ChangePasswordRequest,
) -> Result<(), ApiError> {
    Checks::of(&req).finish()?;
    let ChangePasswordRequest {
        current_password: current,
        new_password,
    } = req;
    passwords::check_policy(
        "new_password",
        &new_password,
        &[&user.email, &user.display_name],
    )?;
    let user_id = user.id.clone();
    let stored: String = {
        let user_id = user_id.clone();
        db.read(move |conn| {
            Ok(users::table
                .find(&user_id)
                .select(users::password_hash)
                .first(conn)?)
        })
        .await?
    };
    let ok = passwords::off_workers(move || passwords::verify(&current, &stored)).await?;
    if !ok {
        return Err(ApiError::field(
            "current_password",
            "wrong_password",
            "the current password is wrong",
        ));
    }
    let hash = hash_blocking(new_password).await?;
    db.write(move |conn| set_password(conn, &user_id, &hash, "user.password_changed"))
        .await
}

async fn hash_blocking(password: String) -> Result<String, ApiError> {
    passwords::off_workers(move || passwords::hash(&password)).await?
}

fn set_password(
    conn: &mut DbConnection,
    user_id: &str,
    hash: &str,
    action: &str,
) -> Result<(), ApiError> {
    let at = now();
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(hash),
            users::password_changed_at.eq(at),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    // Every session ends: refresh tokens now, access tokens issued before `at` at their next use.
    sessions::revoke_all(conn, user_id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(user_id),
            action,
            object_type: "user",
            object_id: user_id,
            reason: None,
        },
        None::<&()>,
        None::<&()>,
    )?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub language: Language,
    pub platform_role: Option<PlatformRole>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeOrganization {
    pub id: String,
    pub legal_name: String,
    pub uscc: String,
    pub kinds: Vec<OrgKind>,
    pub verification_status: VerificationStatus,
    pub suspended: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: MeUser,
    pub organization: Option<MeOrganization>,
    pub role: Option<OrgRole>,
}

pub fn me(conn: &mut DbConnection, user: &CurrentUser) -> Result<Me, ApiError> {
    let org_id = user.organization_id.clone();
    let organization = match org_id {
        None => None,
        Some(id) => {
            let org = organizations::load(conn, &id)?;
            Some(MeOrganization {
                id: org.id,
                legal_name: org.legal_name,
                uscc: org.uscc,
                kinds: org.kinds,
                verification_status: org.verification_status,
                suspended: org.suspended,
            })
        }
    };
    Ok(Me {
        user: MeUser {
            id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            language: user.language,
            platform_role: user.platform_role,
        },
        organization,
        role: user.org_role,
    })
}

/// A user as first stored.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub email_verified: bool,
    pub language: Language,
    pub organization: Option<(&'a str, OrgRole)>,
    pub platform_role: Option<PlatformRole>,
}

pub fn insert(conn: &mut DbConnection, user: &NewUser<'_>) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(user.id),
            users::email.eq(user.email),
            users::display_name.eq(user.display_name),
            users::password_hash.eq(user.password_hash),
            users::email_verified.eq(user.email_verified),
            users::language.eq(user.language.as_str()),
            users::organization_id.eq(user.organization.map(|(o, _)| o)),
            users::org_role.eq(user.organization.map(|(_, r)| r.as_str())),
            users::platform_role.eq(user.platform_role.map(PlatformRole::as_str)),
            users::created_at.eq(at),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Creates (or promotes) the first admin from the command line. Not reachable over HTTP.
pub fn create_admin(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
) -> Result<String, ApiError> {
    let email = normalize_email(email);
    if !validator::ValidateEmail::validate_email(&email) {
        return Err(ApiError::field(
            "email",
            "email",
            "must be an email address",
        ));
    }
    passwords::check_policy("password", password, &[&email])?;
    let hash = passwords::hash(password)?;
    write_tx(conn, |conn| {
        let at = now();
        let existing: Option<String> = users::table
            .filter(users::email.eq(&email))
            .select(users::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => {
                diesel::update(users::table.find(&id))
                    .set((
                        users::platform_role.eq("admin"),
                        users::password_hash.eq(&hash),
                        users::email_verified.eq(true),
                        users::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                id
            }
            None => {
                let id = new_id();
                insert(
                    conn,
                    &NewUser {
                        id: &id,
                        email: &email,
                        display_name: "Administrator",
                        password_hash: &hash,
                        email_verified: true,
                        language: Language::Zh,
                        organization: None,
                        platform_role: Some(PlatformRole::Admin),
                    },
                )?;
                id
            }
        };
        audit::record(
            conn,
            Entry {
                actor: None,
                action: "user.admin_created",
                object_type: "user",
                object_id: &id,
                reason: Some("created from the command line"),
            },
            None::<&()>,
            Some(&serde_json::json!({"email": email, "platform_role": "admin"})),
        )?;
        Ok::<_, ApiError>(id)
    })
}

// Admins manage the alliance staff: find users, grant and revoke the `staff` role.

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UserLookup {
    /// Exact email address (case-insensitive).
    #[param(max_length = 254)]
    #[validate(length(max = 254))]
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub organization_id: Option<String>,
    pub platform_role: Option<String>,
    /// The cities (4-digit region codes) a staff member works for: their queues and decisions.
    /// `null` for the whole platform.
    #[schema(value_type = Option<Vec<String>>)]
    pub staff_cities: Option<Vec<String>>,
}

type SummaryRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl From<SummaryRow> for UserSummary {
    fn from(r: SummaryRow) -> Self {
        Self {
            id: r.0,
            email: r.1,
            display_name: r.2,
            organization_id: r.3,
            platform_role: r.4,
            staff_cities: crate::service::accounts::access::stored_cities(r.5),
        }
    }
}

const COLUMNS: (
    users::id,
    users::email,
    users::display_name,
    users::organization_id,
    users::platform_role,
    users::staff_cities,
) = (
    users::id,
    users::email,
    users::display_name,
    users::organization_id,
    users::platform_role,
    users::staff_cities,
);

fn summary(conn: &mut DbConnection, user_id: &str) -> QueryResult<UserSummary> {
    users::table
        .find(user_id)
        .select(COLUMNS)
        .first::<SummaryRow>(conn)
        .map(Into::into)
}

pub fn find_user(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    lookup: &UserLookup,
) -> Result<UserSummary, ApiError> {
    admin.require_admin()?;
    Checks::of(lookup).finish()?;
    let email = lookup.email.trim().to_lowercase();
    Ok(users::table
        .filter(users::email.eq(&email))
        .select(COLUMNS)
        .first::<SummaryRow>(conn)?
        .into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformRoleRequest {
    /// `staff` to grant, `null` to revoke. Admins are made from the command line only.
    pub platform_role: Option<PlatformRole>,
    /// With `staff`: the prefecture-level cities (4-digit region codes, e.g. `1502` for Baotou)
    /// whose organizations, lots, deals and declarations they work on; absent or `null` for the
    /// whole platform.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 50)]
    pub cities: Option<Vec<CityCode>>,
}

/// A prefecture-level city: the first four digits of its region codes (`1502` Baotou).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(value_type = String, pattern = "^(1[1-9]|[2-7][0-9]|8[0-2])(0[1-9]|[1-9][0-9])$", example = "1502")]
pub struct CityCode(pub String);

pub fn set_platform_role(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    user_id: &str,
    req: &PlatformRoleRequest,
) -> Result<UserSummary, ApiError> {
    admin.require_admin()?;
    if req.platform_role == Some(PlatformRole::Admin) {
        return Err(ApiError::field(
            "platform_role",
            "not_allowed",
            "admins are created with `wufei create-admin`",
        ));
    }
    let cities = match (&req.cities, req.platform_role) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(ApiError::field(
                "cities",
                "not_allowed",
                "only staff work for cities: grant `staff` with them",
            ));
        }
        (Some(list), Some(_)) => {
            let mut c = Checks::default();
            if list.is_empty() || list.len() > 50 {
                c.push("cities", "length", "name 1 to 50 cities, or null for all");
            }
            for (i, city) in list.iter().enumerate() {
                if !is_city(&city.0) {
                    c.push(
                        &format!("cities/{i}"),
                        "invalid_city",
                        "must be a prefecture-level city's 4-digit code, e.g. 1502",
                    );
                }
            }
            c.finish()?;
            let mut codes: Vec<&str> = list.iter().map(|c| c.0.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            Some(codes.join(","))
        }
    };
    let before = summary(conn, user_id)?;
    if before.platform_role.as_deref() == Some("admin") {
        return Err(ApiError::conflict(
            "admin_role_fixed",
            "An admin's role is not changed here.",
        ));
    }
    diesel::update(users::table.find(&user_id))
        .set((
            users::platform_role.eq(req.platform_role.map(|r| r.as_str())),
            users::staff_cities.eq(cities),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let after = summary(conn, user_id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&admin.id),
            action: if req.platform_role.is_some() {
                "user.staff_granted"
            } else {
                "user.staff_revoked"
            },
            object_type: "user",
            object_id: user_id,
            reason: None,
        },
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Two digits of a province (11–82) and two of a city in it (01–99).
fn is_city(code: &str) -> bool {
    code.len() == 4
        && code.bytes().all(|b| b.is_ascii_digit())
        && ("11".."83").contains(&&code[..2])
        && &code[2..] != "00"
}

/// Housekeeping: single-use tokens (email verification, password reset) a day past their expiry.
pub fn purge_expired_tokens(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(user_tokens::table.filter(user_tokens::expires_at.lt(now() - Duration::days(1))))
        .execute(conn)
}
