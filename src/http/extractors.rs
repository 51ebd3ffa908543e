//! What a handler needs from the caller is a parameter type: `AuthUser` for any signed-in user.
//! Finer rules (staff, admin, owner of this organization, verified member) are checked on the
//! `CurrentUser` it carries, where the object in question is known.

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::accounts::sessions::invalid_token;
use crate::startup::AppState;

pub struct AuthUser(pub CurrentUser);

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
            let (user_id, issued_at) = state
                .keys
                .verify_access(&token.ok_or_else(invalid_token)?)?;
            let user = state
                .db
                .read(move |conn| CurrentUser::signed_in(conn, &user_id, issued_at))
                .await?
                .ok_or_else(invalid_token)?;
            Ok(AuthUser(user))
        })
    }
}
