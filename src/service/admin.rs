//! Admins manage the alliance staff: find users, grant and revoke the `staff` role.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::users;
use crate::db::{Db, now};
use crate::domain::organization::PlatformRole;
use crate::error::ApiError;
use crate::service::access::CurrentUser;
use crate::service::audit::{self, Entry};

#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub organization_id: Option<String>,
    pub platform_role: Option<String>,
}

const COLUMNS: (
    users::id,
    users::email,
    users::display_name,
    users::organization_id,
    users::platform_role,
) = (
    users::id,
    users::email,
    users::display_name,
    users::organization_id,
    users::platform_role,
);

pub async fn find_user(
    db: &Db,
    admin: CurrentUser,
    email: String,
) -> Result<UserSummary, ApiError> {
    admin.require_admin()?;
    let email = email.trim().to_lowercase();
    db.run(move |conn| {
        Ok(users::table
            .filter(users::email.eq(&email))
            .select(COLUMNS)
            .first(conn)?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformRoleRequest {
    /// `staff` to grant, `null` to revoke. Admins are made from the command line only.
    pub platform_role: Option<PlatformRole>,
}

pub async fn set_platform_role(
    db: &Db,
    admin: CurrentUser,
    user_id: String,
    req: PlatformRoleRequest,
) -> Result<UserSummary, ApiError> {
    admin.require_admin()?;
    if req.platform_role == Some(PlatformRole::Admin) {
        return Err(ApiError::field(
            "platform_role",
            "not_allowed",
            "admins are created with `wufei create-admin`",
        ));
    }
    db.write(move |conn| {
        let before: UserSummary = users::table.find(&user_id).select(COLUMNS).first(conn)?;
        if before.platform_role.as_deref() == Some("admin") {
            return Err(ApiError::conflict(
                "admin_role_fixed",
                "An admin's role is not changed here.",
            ));
        }
        diesel::update(users::table.find(&user_id))
            .set((
                users::platform_role.eq(req.platform_role.map(|r| r.as_str())),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let after: UserSummary = users::table.find(&user_id).select(COLUMNS).first(conn)?;
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
                object_id: &user_id,
                reason: None,
            },
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
    .await
}
