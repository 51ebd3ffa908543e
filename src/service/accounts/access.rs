//! Who the caller is and what they may touch. Objects of another organization answer 404, so
//! their existence is not revealed; missing rights on a visible object answer 403.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::db::schema::{organizations, users};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::organization::{Language, OrgRole, PlatformRole, VerificationStatus};
use crate::error::ApiError;

/// The signed-in user, loaded fresh on every request so suspensions and role changes apply at once.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub language: Language,
    pub organization_id: Option<String>,
    pub org_role: Option<OrgRole>,
    pub platform_role: Option<PlatformRole>,
    pub org_status: Option<VerificationStatus>,
    pub org_suspended: bool,
    /// The cities a staff member works for (4-digit region codes); `None` for every city.
    pub staff_cities: Option<Vec<String>>,
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<String>,
);

impl CurrentUser {
    pub fn load(conn: &mut DbConnection, user_id: &str) -> Result<Option<Self>, ApiError> {
        let row: Option<Row> = users::table
            .left_join(organizations::table)
            .filter(users::id.eq(user_id))
            .select((
                users::id,
                users::email,
                users::display_name,
                users::language,
                users::organization_id,
                users::org_role,
                users::platform_role,
                organizations::verification_status.nullable(),
                organizations::suspended.nullable(),
                users::staff_cities,
            ))
            .first(conn)
            .optional()?;
        Ok(row.map(|r| Self {
            id: r.0,
            email: r.1,
            display_name: r.2,
            language: Language::parse(&r.3).unwrap_or(Language::Zh),
            organization_id: r.4,
            org_role: r.5.as_deref().and_then(OrgRole::parse),
            platform_role: r.6.as_deref().and_then(PlatformRole::parse),
            org_status: r.7.as_deref().and_then(VerificationStatus::parse),
            org_suspended: r.8.unwrap_or(false),
            staff_cities: stored_cities(r.9),
        }))
    }

    /// The user an access token issued at `issued_at` (Unix seconds) names, unless the password
    /// changed since: a token from before a change or reset is refused.
    pub fn signed_in(
        conn: &mut DbConnection,
        user_id: &str,
        issued_at: i64,
    ) -> Result<Option<Self>, ApiError> {
        let changed: Option<Option<chrono::NaiveDateTime>> = users::table
            .find(user_id)
            .select(users::password_changed_at)
            .first(conn)
            .optional()?;
        match changed {
            Some(Some(at)) if issued_at < at.and_utc().timestamp() => Ok(None),
            Some(_) => Self::load(conn, user_id),
            None => Ok(None),
        }
    }

    /// Staff or admin (an admin has every staff permission).
    pub fn is_staff(&self) -> bool {
        self.platform_role.is_some()
    }

    /// The cities whose organizations, lots, deals and declarations this staff member works on:
    /// `None` for every city (admins, and staff the platform as a whole employs).
    pub fn cities(&self) -> Option<&[String]> {
        if self.is_admin() {
            None
        } else {
            self.staff_cities.as_deref()
        }
    }

    /// The staff member works on `region_code` (a city's code or any code under it).
    pub fn covers(&self, region_code: &str) -> bool {
        self.cities()
            .is_none_or(|cities| cities.iter().any(|c| region_code.starts_with(c.as_str())))
    }

    /// `require_staff` for an object in `region_code`: staff of other cities are told it does not
    /// exist, as members of other organizations are.
    pub fn require_staff_for(&self, region_code: &str) -> Result<(), ApiError> {
        self.require_staff()?;
        if self.covers(region_code) {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }

    pub fn is_admin(&self) -> bool {
        self.platform_role == Some(PlatformRole::Admin)
    }

    pub fn require_staff(&self) -> Result<(), ApiError> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "staff_only",
                "Only alliance staff may do this.",
            ))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "admin_only",
                "Only an admin may do this.",
            ))
        }
    }

    /// Only members of verified, unsuspended organizations may list, bid or post demands.
    pub fn require_verified_member(&self) -> Result<&str, ApiError> {
        let org = self.organization_id.as_deref().ok_or_else(|| {
            ApiError::forbidden(
                "organization_required",
                "You do not belong to an organization.",
            )
        })?;
        if self.org_suspended {
            return Err(ApiError::forbidden(
                "organization_suspended",
                "Your organization is suspended.",
            ));
        }
        if self.org_status != Some(VerificationStatus::Verified) {
            return Err(ApiError::forbidden(
                "organization_not_verified",
                "Your organization must be verified by the alliance first.",
            ));
        }
        Ok(org)
    }

    pub fn belongs_to(&self, organization_id: &str) -> bool {
        self.organization_id.as_deref() == Some(organization_id)
    }

    /// Members of the organization and staff may read it; anyone else gets 404.
    pub fn require_reader_of(&self, organization_id: &str) -> Result<(), ApiError> {
        if self.belongs_to(organization_id) || self.is_staff() {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }

    /// Owners change their organization; members get 403, outsiders 404.
    pub fn require_owner_of(&self, organization_id: &str) -> Result<(), ApiError> {
        if !self.belongs_to(organization_id) {
            return Err(ApiError::not_found());
        }
        if self.org_role != Some(OrgRole::Owner) {
            return Err(ApiError::forbidden(
                "owner_required",
                "Only an owner of the organization may do this.",
            ));
        }
        Ok(())
    }
}

/// Staff cities as `users.staff_cities` stores them: comma-separated codes, NULL for all.
pub fn stored_cities(stored: Option<String>) -> Option<Vec<String>> {
    stored.map(|c| c.split(',').map(str::to_string).collect())
}

/// SQL: the city of `code_sql` (an SQL expression giving a region code) is one of `cities`, as
/// one bound list: the same statement whatever the number of cities, on both backends.
pub fn city_among<QS>(
    code_sql: &str,
    cities: &[String],
) -> Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool>> {
    Box::new(
        sql::<Bool>("(',' || ")
            .bind::<Text, _>(cities.join(","))
            .sql(&format!(
                " || ',') LIKE ('%,' || substr({code_sql}, 1, 4) || ',%')"
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(status: Option<VerificationStatus>, suspended: bool, role: OrgRole) -> CurrentUser {
        CurrentUser {
            id: "u".into(),
            email: "u@x.test".into(),
            display_name: "U".into(),
            language: Language::En,
            organization_id: status.map(|_| "org".into()),
            org_role: status.map(|_| role),
            platform_role: None,
            org_status: status,
            org_suspended: suspended,
            staff_cities: None,
        }
    }

    #[test]
    fn staff_of_a_city_cover_its_districts_only() {
        let mut staff = user(None, false, OrgRole::Owner);
        staff.platform_role = Some(PlatformRole::Staff);
        assert!(staff.covers("150602"), "platform staff cover every city");
        staff.staff_cities = Some(vec!["1502".into(), "1503".into()]);
        assert!(staff.covers("150203") && staff.covers("1503") && !staff.covers("150602"));
        assert_eq!(staff.require_staff_for("150602").unwrap_err().status, 404);
        staff.platform_role = Some(PlatformRole::Admin);
        assert!(staff.covers("150602"), "admins cover every city");
    }

    #[test]
    fn only_verified_unsuspended_members_may_trade() {
        let code = |u: CurrentUser| {
            u.require_verified_member()
                .err()
                .map(|e| (e.status.as_u16(), e.code))
        };
        assert_eq!(
            code(user(
                Some(VerificationStatus::Verified),
                false,
                OrgRole::Member
            )),
            None
        );
        for s in [
            VerificationStatus::Unverified,
            VerificationStatus::Pending,
            VerificationStatus::Rejected,
        ] {
            assert_eq!(
                code(user(Some(s), false, OrgRole::Owner)),
                Some((403, "organization_not_verified"))
            );
        }
        assert_eq!(
            code(user(
                Some(VerificationStatus::Verified),
                true,
                OrgRole::Owner
            )),
            Some((403, "organization_suspended"))
        );
        assert_eq!(
            code(user(None, false, OrgRole::Owner)),
            Some((403, "organization_required"))
        );
    }

    #[test]
    fn owners_edit_members_403_outsiders_404() {
        let member = user(Some(VerificationStatus::Verified), false, OrgRole::Member);
        let owner = user(Some(VerificationStatus::Verified), false, OrgRole::Owner);
        assert!(owner.require_owner_of("org").is_ok());
        assert_eq!(
            member.require_owner_of("org").unwrap_err().status.as_u16(),
            403
        );
        assert_eq!(
            owner.require_owner_of("other").unwrap_err().status.as_u16(),
            404
        );
        assert_eq!(
            owner
                .require_reader_of("other")
                .unwrap_err()
                .status
                .as_u16(),
            404
        );
    }
}
