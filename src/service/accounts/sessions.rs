//! Sessions: signing in, short-lived access JWTs and opaque refresh tokens that rotate on every
//! use. Reusing a spent refresh token revokes its whole family (someone has a copy). The only
//! writer of `refresh_tokens`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::config::Settings;
use crate::db::new_id;
use crate::db::schema::{refresh_tokens, users};
use crate::db::{Db, DbConnection, now};
use crate::error::ApiError;
use crate::service::accounts::passwords;
use crate::service::accounts::tokens;
use crate::service::input::{Checks, normalize_email};

const ISSUER: &str = "wufei";
const AUDIENCE: &str = "wufei-api";
const ACCESS: &str = "access";
/// One algorithm only: a token claiming any other (including `none`) is refused.
const ALGORITHM: Algorithm = Algorithm::HS256;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: String,
}

#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl_secs: i64,
    refresh_ttl_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

impl Keys {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let secret = settings.jwt_secret.expose_secret().as_bytes();
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            access_ttl_secs: settings.access_token_ttl_secs,
            refresh_ttl_days: settings.refresh_token_ttl_days,
        })
    }

    pub fn access_token(&self, user_id: &str) -> Result<String, ApiError> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat,
            exp: iat + self.access_ttl_secs,
            typ: ACCESS.into(),
        };
        jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("signing token: {e}")))
    }

    /// The user id of a valid access token and when it was issued; every other token is 401, and
    /// so is one issued in the future or for longer than access tokens live.
    pub fn verify_access(&self, token: &str) -> Result<(String, i64), ApiError> {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 30;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| invalid_token())?;
        let claims = data.claims;
        let leeway = validation.leeway as i64;
        let issued_ahead = claims.iat > chrono::Utc::now().timestamp() + leeway;
        let too_long = claims.exp - claims.iat > self.access_ttl_secs;
        if claims.typ != ACCESS || issued_ahead || too_long {
            return Err(invalid_token());
        }
        Ok((claims.sub, claims.iat))
    }

    /// Starts a new refresh-token family for a sign-in.
    pub fn start_session(
        &self,
        conn: &mut DbConnection,
        user_id: &str,
    ) -> Result<TokenPair, ApiError> {
        self.issue(conn, user_id, &new_id())
    }

    fn issue(
        &self,
        conn: &mut DbConnection,
        user_id: &str,
        family: &str,
    ) -> Result<TokenPair, ApiError> {
        let refresh = tokens::generate();
        let at = now();
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::id.eq(new_id()),
                refresh_tokens::user_id.eq(user_id),
                refresh_tokens::family_id.eq(family),
                refresh_tokens::token_hash.eq(tokens::hash(&refresh)),
                refresh_tokens::expires_at.eq(at + Duration::days(self.refresh_ttl_days)),
                refresh_tokens::created_at.eq(at),
            ))
            .execute(conn)?;
        Ok(TokenPair {
            access_token: self.access_token(user_id)?,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: self.access_ttl_secs,
        })
    }

    /// Rotates a refresh token. Returns `Err(reused)` after revoking the family when the token
    /// was already spent, so the caller can commit that revocation and still answer 401.
    pub fn rotate(&self, conn: &mut DbConnection, presented: &str) -> Result<Rotation, ApiError> {
        let row: Option<StoredToken> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(tokens::hash(presented)))
            .select((
                refresh_tokens::id,
                refresh_tokens::user_id,
                refresh_tokens::family_id,
                refresh_tokens::expires_at,
                refresh_tokens::rotated_at,
                refresh_tokens::revoked_at,
            ))
            .first(conn)
            .optional()?;
        let Some((id, user_id, family, expires_at, rotated_at, revoked_at)) = row else {
            return Ok(Rotation::Refused);
        };
        let at = now();
        if revoked_at.is_some() || expires_at <= at {
            return Ok(Rotation::Refused);
        }
        // The conditional update makes two concurrent uses of one token count as a reuse.
        let spent = rotated_at.is_some()
            || diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::id.eq(&id))
                    .filter(refresh_tokens::rotated_at.is_null()),
            )
            .set(refresh_tokens::rotated_at.eq(at))
            .execute(conn)?
                == 0;
        if spent {
            revoke_family(conn, &family)?;
            return Ok(Rotation::Reused);
        }
        Ok(Rotation::Rotated(
            user_id.clone(),
            self.issue(conn, &user_id, &family)?,
        ))
    }
}

/// id, user, family, expiry, rotated, revoked
type StoredToken = (
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

pub enum Rotation {
    Rotated(String, TokenPair),
    Reused,
    Refused,
}

pub fn invalid_token() -> ApiError {
    ApiError::unauthorized(
        "invalid_token",
        "The access token is missing, invalid or expired.",
    )
}

pub fn revoke_family(conn: &mut DbConnection, family: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(conn)
}

/// Signs a user out everywhere (password reset or change).
pub fn revoke_all(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now()))
    .execute(conn)
}

/// The family of a presented refresh token, if it exists (for logout).
pub fn family_of(conn: &mut DbConnection, presented: &str) -> QueryResult<Option<String>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::hash(presented)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()
}

/// Housekeeping: refresh tokens a day past their expiry. Until then a spent one still tells reuse
/// apart from a forgery; after it, no token of the family can be presented anyway.
pub fn purge_expired(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(
        refresh_tokens::table.filter(refresh_tokens::expires_at.lt(now() - Duration::days(1))),
    )
    .execute(conn)
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

/// Checks credentials. The password is verified on the blocking pool; an unknown email costs the
/// same time as a known one.
pub async fn login(db: &Db, keys: &Keys, req: LoginRequest) -> Result<TokenPair, ApiError> {
    Checks::of(&req).finish()?;
    let LoginRequest { email, password } = req;
    let email = normalize_email(&email);
    let found: Option<(String, String, bool)> = {
        let email = email.clone();
        db.read(move |conn| {
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

/// Rotates a refresh token. The revocation of a reused family must commit, so a refusal comes
/// back inside `Ok` (the transaction commits) and the caller answers it after the commit.
pub fn refresh(
    conn: &mut DbConnection,
    keys: &Keys,
    req: &RefreshRequest,
) -> Result<Result<TokenPair, ApiError>, ApiError> {
    Checks::of(req).finish()?;
    Ok(match keys.rotate(conn, &req.refresh_token)? {
        Rotation::Rotated(_, pair) => Ok(pair),
        Rotation::Reused => Err(ApiError::unauthorized(
            "refresh_token_reused",
            "This refresh token was already used; every session of its family is revoked.",
        )),
        Rotation::Refused => Err(ApiError::unauthorized(
            "invalid_refresh_token",
            "The refresh token is invalid, revoked or expired.",
        )),
    })
}

pub fn logout(conn: &mut DbConnection, req: &RefreshRequest) -> Result<(), ApiError> {
    Checks::of(req).finish()?;
    if let Some(family) = family_of(conn, &req.refresh_token)? {
        revoke_family(conn, &family)?;
    }
    Ok(())
}
