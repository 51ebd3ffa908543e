//! /auth and /me: registration, email verification, sessions and passwords.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems, client_ip, read, throttle_mail, write};
use crate::service::accounts::sessions::{self, LoginRequest, RefreshRequest, TokenPair};
use crate::service::accounts::throttle;
use crate::service::accounts::users::{
    self as accounts, Accepted, ChangePasswordRequest, ForgotRequest, Me, RegisterRequest,
    ResetRequest, TokenRequest,
};
use crate::startup::AppState;

/// Registers a user with a new organization, or into an existing one by invitation. Answers the
/// same for a new and a known email; the verification link arrives by email.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 202, body = Accepted),
        WriteProblems,
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    throttle_mail(&state, &req, &body.email).await?;
    let accepted = accounts::register(
        &state.db,
        state.settings.public_url.clone(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

/// Confirms an email address with the single-use token from the verification link.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, body = crate::http::ops::Health),
        WriteProblems,
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> ApiResult<HttpResponse> {
    write(&state, move |conn, _| accounts::verify_email(conn, &body)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ok"})))
}

/// Signs in. Failed attempts are throttled per account and per client address.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        WriteProblems,
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    let body = body.into_inner();
    let ip = client_ip(&state, &req)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let keys = [
        format!("login:ip:{ip}"),
        format!("login:account:{}", body.email.trim().to_lowercase()),
    ];
    let limit = state.settings.login_throttle.clone();
    // Counted in the database, so every instance (and a restart) sees the same failures.
    let counted = write(&state, move |conn, _| {
        throttle::hit(conn, &keys, limit.max_failures, limit.window_secs)
    })
    .await?;
    let pair = sessions::login(&state.db, &state.keys, body).await?;
    // Only failures count against the limits.
    write(&state, move |conn, _| {
        Ok(throttle::forgive(conn, &counted)?)
    })
    .await?;
    Ok(web::Json(pair))
}

/// Trades a refresh token for a new pair; the old one is spent. Reusing a spent token revokes
/// every token of its family.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        WriteProblems,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_session(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    // A reused token's refusal is answered after its family's revocation committed.
    let rotated = write(&state, move |conn, app| {
        sessions::refresh(conn, &app.keys, &body)
    })
    .await?;
    Ok(web::Json(rotated?))
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out"),
        WriteProblems,
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    write(&state, move |conn, _| sessions::logout(conn, &body)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a reset link (valid 30 minutes) if the address has an account; answers the same either way.
#[utoipa::path(
    tag = "auth",
    request_body = ForgotRequest,
    responses(
        (status = 202, body = Accepted),
        WriteProblems,
    )
)]
#[post("/auth/password/forgot")]
pub async fn forgot_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ForgotRequest>,
) -> ApiResult<HttpResponse> {
    throttle_mail(&state, &req, &body.email).await?;
    let accepted = write(&state, move |conn, app| {
        accounts::forgot_password(conn, &app.settings.public_url, &body)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(accepted))
}

/// Sets a new password with a reset token; signs the user out everywhere.
#[utoipa::path(
    tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 204, description = "Password changed"),
        WriteProblems,
    )
)]
#[post("/auth/password/reset")]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: web::Json<ResetRequest>,
) -> ApiResult<HttpResponse> {
    accounts::reset_password(&state.db, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Changes the caller's password; signs them out everywhere.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Password changed"),
        WriteProblems,
    )
)]
#[post("/auth/password/change")]
pub async fn change_password(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    accounts::change_password(&state.db, &user, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller, their organization and role.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        ReadProblems,
    )
)]
#[get("/me")]
pub async fn get_me(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
) -> ApiResult<web::Json<Me>> {
    Ok(web::Json(
        read(&state, move |conn, _| accounts::me(conn, &user)).await?,
    ))
}
