//! Invitations: an owner invites a person by email to join the organization; the single-use link
//! proves the address when it is spent at registration. The only writer of `invitations`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::new_id;
use crate::db::schema::{invitations, users};
use crate::db::{DbConnection, now};
use crate::domain::organization::OrgRole;
use crate::email::{outbox, templates::Email};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::accounts::organizations::load;
use crate::service::accounts::tokens;
use crate::service::audit::{self, Entry};
use crate::service::input::Checks;

const INVITATION_DAYS: i64 = 7;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    pub role: OrgRole,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub role: OrgRole,
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    #[serde(with = "crate::domain::time")]
    pub expires_at: NaiveDateTime,
}

pub fn invite(
    conn: &mut DbConnection,
    public_url: &str,
    user: &CurrentUser,
    org_id: &str,
    req: &InvitationInput,
) -> Result<Invitation, ApiError> {
    user.require_owner_of(org_id)?;
    // An unverified organization could send mail in any name it chose: it invites once verified.
    if !user.is_staff() {
        user.require_verified_member()?;
    }
    Checks::of(req).finish()?;
    let email = req.email.trim().to_lowercase();
    let org = load(conn, org_id)?;
    let already: i64 = users::table
        .filter(users::email.eq(&email))
        .filter(users::organization_id.eq(&org_id))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Err(ApiError::conflict(
            "already_member",
            "This person is already a member.",
        ));
    }
    let token = tokens::generate();
    let at = now();
    let invitation = Invitation {
        id: new_id(),
        organization_id: org_id.to_string(),
        email: email.clone(),
        role: req.role,
        expires_at: at + Duration::days(INVITATION_DAYS),
    };
    diesel::insert_into(invitations::table)
        .values((
            invitations::id.eq(&invitation.id),
            invitations::organization_id.eq(&org_id),
            invitations::email.eq(&email),
            invitations::org_role.eq(req.role.as_str()),
            invitations::token_hash.eq(tokens::hash(&token)),
            invitations::invited_by.eq(&user.id),
            invitations::expires_at.eq(invitation.expires_at),
            invitations::created_at.eq(at),
        ))
        .execute(conn)?;
    let link = format!("{public_url}/accept-invitation?token={token}");
    let message = Email::Invitation {
        organization: &org.legal_name,
        link: &link,
    };
    outbox::enqueue(conn, &email, &message.render(user.language))?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "invitation.created",
            object_type: "organization",
            object_id: org_id,
            reason: None,
        },
        None::<&()>,
        Some(&invitation),
    )?;
    Ok(invitation)
}

/// A live invitation for `email`: its id, organization and role.
pub fn find_invitation(
    conn: &mut DbConnection,
    token: &str,
    email: &str,
) -> Result<(String, String, OrgRole), ApiError> {
    let invalid = || {
        ApiError::field(
            "invitation_token",
            "invalid_token",
            "the invitation is invalid or has expired",
        )
    };
    let (id, org_id, invited_email, role): (String, String, String, OrgRole) = invitations::table
        .filter(invitations::token_hash.eq(tokens::hash(token)))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(now()))
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
    Ok((id, org_id, role))
}

/// Spends an invitation for the email it was sent to: the organization and role it grants.
pub fn take_invitation(
    conn: &mut DbConnection,
    token: &str,
    email: &str,
) -> Result<(String, OrgRole), ApiError> {
    let (id, org_id, role) = find_invitation(conn, token, email)?;
    let at = now();
    let taken = diesel::update(
        invitations::table
            .filter(invitations::id.eq(&id))
            .filter(invitations::accepted_at.is_null()),
    )
    .set(invitations::accepted_at.eq(at))
    .execute(conn)?;
    if taken == 0 {
        return Err(ApiError::field(
            "invitation_token",
            "invalid_token",
            "the invitation is invalid or has expired",
        ));
    }
    Ok((org_id, role))
}

/// Housekeeping: invitations a month past their expiry that nobody accepted.
pub fn purge_expired_invitations(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(
        invitations::table
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::expires_at.lt(now() - Duration::days(30))),
    )
    .execute(conn)
}
