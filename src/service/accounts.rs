//! Accounts: registration (with a new organization or by invitation), email verification,
//! sign-in, refresh, sign-out, password reset and change, and the first admin.

use chrono::Duration;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::{invitations, user_tokens, users};
use crate::db::{Db, DbConnection, now, write_tx};
use crate::domain::organization::{Language, OrgKind, OrgRole, PlatformRole, VerificationStatus};
use crate::domain::uscc::{self, UsccCheck};
use crate::email::{outbox, templates::Email};
use crate::error::ApiError;
use crate::service::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::organizations::{self, SiteInput};
use crate::service::passwords;
use crate::service::sessions::{self, Keys, Rotation, TokenPair};
use crate::service::tokens::{self, new_id};

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
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    #[serde(default)]
    pub language: Option<Language>,
    /// A new organization, registered with this user as its owner…
    #[validate(nested)]
    pub organization: Option<NewOrganization>,
    /// …or the token of an invitation to an existing one (exactly one of the two).
    #[validate(length(min = 1, max = 200))]
    #[schema(max_length = 200)]
    pub invitation_token: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    #[validate(length(min = 2, max = 200))]
    #[schema(min_length = 2, max_length = 200)]
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

fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn link(public_url: &str, path: &str, token: &str) -> String {
    format!("{public_url}/{path}?token={token}")
}

pub async fn register(
    db: &Db,
    public_url: String,
    req: RegisterRequest,
) -> Result<Accepted, ApiError> {
    req.validate()?;
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
        let at = now();
        let (organization_id, role, verified) = match (uscc, &req.organization) {
            (Some((code, check)), Some(org)) => {
                let org_id = organizations::create(conn, org, &code, check)?;
                (org_id, OrgRole::Owner, false)
            }
            _ => {
                let token = req.invitation_token.as_deref().unwrap_or_default();
                let (org_id, role) = take_invitation(conn, token, &email)?;
                // The invitation link reached this mailbox: the address is proven.
                (org_id, role, true)
            }
        };
        diesel::insert_into(users::table)
            .values((
                users::id.eq(&user_id),
                users::email.eq(&email),
                users::display_name.eq(req.display_name.trim()),
                users::password_hash.eq(&hash),
                users::email_verified.eq(verified),
                users::language.eq(language.as_str()),
                users::organization_id.eq(&organization_id),
                users::org_role.eq(role.as_str()),
                users::created_at.eq(at),
                users::updated_at.eq(at),
            ))
            .execute(conn)?;
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
fn checked_org(org: &NewOrganization) -> Result<(String, UsccCheck), ApiError> {
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

fn take_invitation(
    conn: &mut DbConnection,
    token: &str,
    email: &str,
) -> Result<(String, OrgRole), ApiError> {
    let invalid = || {
        ApiError::field(
            "invitation_token",
            "invalid_token",
            "the invitation is invalid or has expired",
        )
    };
    let at = now();
    let (id, org_id, invited_email, role): (String, String, String, String) = invitations::table
        .filter(invitations::token_hash.eq(tokens::hash(token)))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(at))
        .select((
            invitations::id,
            invitations::organization_id,
            invitations::email,
            invitations::org_role,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(invalid)?;
    if invited_email != email {
        return Err(invalid());
    }
    let taken = diesel::update(
        invitations::table
            .filter(invitations::id.eq(&id))
            .filter(invitations::accepted_at.is_null()),
    )
    .set(invitations::accepted_at.eq(at))
    .execute(conn)?;
    if taken == 0 {
        return Err(invalid());
    }
    Ok((org_id, OrgRole::parse(&role).unwrap_or(OrgRole::Member)))
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

/// Spends a single-use token; returns its user.
fn spend_user_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: &str,
) -> Result<String, ApiError> {
    let at = now();
    let invalid = || {
        ApiError::field(
            "token",
            "invalid_token",
            "the link is invalid, used or expired",
        )
    };
    let (id, user_id): (String, String) = user_tokens::table
        .filter(user_tokens::token_hash.eq(tokens::hash(token)))
        .filter(user_tokens::purpose.eq(purpose))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(at))
        .select((user_tokens::id, user_tokens::user_id))
        .first(conn)
        .optional()?
        .ok_or_else(invalid)?;
    let spent = diesel::update(
        user_tokens::table
            .filter(user_tokens::id.eq(&id))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(at))
    .execute(conn)?;
    if spent == 0 {
        return Err(invalid());
    }
    Ok(user_id)
}

pub async fn verify_email(db: &Db, token: String) -> Result<(), ApiError> {
    db.write(move |conn| {
        let user_id = spend_user_token(conn, &token, "verify_email")?;
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
    })
    .await
}

/// Checks credentials. The password is verified on the blocking pool; an unknown email costs the
/// same time as a known one.
pub async fn login(
    db: &Db,
    keys: &Keys,
    email: String,
    password: String,
) -> Result<TokenPair, ApiError> {
    let email = normalize_email(&email);
    let found: Option<(String, String, bool)> = {
        let email = email.clone();
        db.run(move |conn| {
            Ok(users::table
                .filter(users::email.eq(&email))
                .select((users::id, users::password_hash, users::email_verified))
                .first(conn)
                .optional()?)
        })
        .await?
    };
    let stored = found.as_ref().map(|f| f.1.clone());
    let ok = passwords::off_workers(move || match stored {
        Some(stored) => passwords::verify(&password, &stored),
        None => {
            passwords::dummy_verify(&password);
            false
        }
    })
    .await?;
    let (user_id, _, email_verified) = match found {
        Some(f) if ok => f,
        _ => return Err(bad_credentials()),
    };
    if !email_verified {
        return Err(ApiError::forbidden(
            "email_not_verified",
            "Verify your email address first; the link was sent when you registered.",
        ));
    }
    let keys = keys.clone();
    db.write(move |conn| keys.start_session(conn, &user_id))
        .await
}

pub fn bad_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "The email or password is wrong.")
}

pub async fn refresh(db: &Db, keys: &Keys, presented: String) -> Result<TokenPair, ApiError> {
    let keys = keys.clone();
    // The revocation of a reused family must commit, so the outcome is inspected after the
    // transaction rather than turned into an error inside it.
    let rotation = db.write(move |conn| keys.rotate(conn, &presented)).await?;
    match rotation {
        Rotation::Rotated(_, pair) => Ok(pair),
        Rotation::Reused => Err(ApiError::unauthorized(
            "refresh_token_reused",
            "This refresh token was already used; every session of its family is revoked.",
        )),
        Rotation::Refused => Err(ApiError::unauthorized(
            "invalid_refresh_token",
            "The refresh token is invalid, revoked or expired.",
        )),
    }
}

pub async fn logout(db: &Db, presented: String) -> Result<(), ApiError> {
    db.write(move |conn| {
        if let Some(family) = sessions::family_of(conn, &presented)? {
            sessions::revoke_family(conn, &family)?;
        }
        Ok(())
    })
    .await
}

pub async fn forgot_password(
    db: &Db,
    public_url: String,
    email: String,
) -> Result<Accepted, ApiError> {
    let email = normalize_email(&email);
    db.write(move |conn| {
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
            let link = link(&public_url, "reset-password", &token);
            let lang = Language::parse(&lang).unwrap_or(Language::Zh);
            outbox::enqueue(
                conn,
                &email,
                &Email::PasswordReset { link: &link }.render(lang),
            )?;
        }
        Ok(accepted())
    })
    .await
}

pub async fn reset_password(db: &Db, token: String, new_password: String) -> Result<(), ApiError> {
    passwords::check_policy("new_password", &new_password, &[])?;
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
    current: String,
    new_password: String,
) -> Result<(), ApiError> {
    passwords::check_policy(
        "new_password",
        &new_password,
        &[&user.email, &user.display_name],
    )?;
    let user_id = user.id.clone();
    let stored: String = {
        let user_id = user_id.clone();
        db.run(move |conn| {
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
    diesel::update(users::table.find(user_id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
        .execute(conn)?;
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

pub async fn me(db: &Db, user: CurrentUser) -> Result<Me, ApiError> {
    let org_id = user.organization_id.clone();
    let organization = match org_id {
        None => None,
        Some(id) => {
            db.run(move |conn| {
                let org = organizations::load(conn, &id)?;
                Ok(Some(MeOrganization {
                    id: org.id,
                    legal_name: org.legal_name,
                    uscc: org.uscc,
                    kinds: org.kinds,
                    verification_status: org.verification_status,
                    suspended: org.suspended,
                }))
            })
            .await?
        }
    };
    Ok(Me {
        user: MeUser {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            language: user.language,
            platform_role: user.platform_role,
        },
        organization,
        role: user.org_role,
    })
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
                diesel::insert_into(users::table)
                    .values((
                        users::id.eq(&id),
                        users::email.eq(&email),
                        users::display_name.eq("Administrator"),
                        users::password_hash.eq(&hash),
                        users::email_verified.eq(true),
                        users::language.eq("zh"),
                        users::platform_role.eq("admin"),
                        users::created_at.eq(at),
                        users::updated_at.eq(at),
                    ))
                    .execute(conn)?;
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
