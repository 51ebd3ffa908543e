//! Accounts and sessions over HTTP: the journey with a real SMTP server, token rotation and
//! revocation, refused tokens, enumeration safety, throttling, and the edges of bad input.

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, PASSWORD, app, assert_problem, registration, spawn_app};

pub fn uscc(n: u32) -> String {
    wufei::domain::uscc::with_check_character(&format!("91150200MA0{n:06}")).unwrap()
}

#[actix_web::test]
async fn full_journey_with_email_over_smtp() {
    let app = app().with_smtp().start().await;
    let email = "owner@baogang-steel.test";
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &registration(email, "Baotou Steel Slag Co.", &uscc(1), &["producer"]),
        )
        .await;
    assert_eq!(res.status(), 202);

    let mail = app.wait_for_mail(email, 1).await;
    assert!(
        mail.text.contains("http://wufei.test/verify-email?token="),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("verify-email?token="));

    // Not verified yet: no session.
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_problem(res, 403, "email_not_verified").await;

    let res = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            &json!({"token": mail.token()}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Single use.
    let res = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            &json!({"token": mail.token()}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;

    let tokens = app.login("OWNER@baogang-steel.test", PASSWORD).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_i64().unwrap() <= 900);
    let access = tokens["access_token"].as_str().unwrap();
    let me: Value = app.get_json("/api/v1/me", access).await;
    assert_eq!(me["user"]["email"], email);
    assert_eq!(me["role"], "owner");
    assert_eq!(me["organization"]["verification_status"], "unverified");
    assert_eq!(me["organization"]["kinds"], json!(["producer"]));
    assert!(me["user"]["platform_role"].is_null());

    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);

    let res = app
        .post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": rotated["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": rotated["refresh_token"]}),
        )
        .await;
    assert_problem(res, 401, "invalid_refresh_token").await;
}

#[actix_web::test]
async fn reusing_a_spent_refresh_token_revokes_the_family() {
    let app = spawn_app().await;
    let acct = app
        .signup("a@x.test", "Fly Ash Co.", &uscc(2), &["producer"])
        .await;
    let first: Value = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": acct.refresh}),
        )
        .await
        .json()
        .await
        .unwrap();
    // An attacker replays the spent token: 401, and the family dies.
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": acct.refresh}),
        )
        .await;
    assert_problem(res, 401, "refresh_token_reused").await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_problem(res, 401, "invalid_refresh_token").await;
}

#[actix_web::test]
async fn reset_and_change_revoke_every_session() {
    let app = spawn_app().await;
    let email = "b@x.test";
    let acct = app
        .signup(email, "Gypsum Co.", &uscc(3), &["producer"])
        .await;
    let second = app.login(email, PASSWORD).await;

    let res = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            &json!({"email": email}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let mail = app.wait_for_mail(email, 2).await;
    assert!(mail.text.contains("reset-password?token="));
    let new_password = "Tailings-Ore-Birch-93-canal";
    let res = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            &json!({"token": mail.token(), "new_password": new_password}),
        )
        .await;
    assert_eq!(res.status(), 204);
    for refresh in [&acct.refresh, second["refresh_token"].as_str().unwrap()] {
        let res = app
            .post(
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": refresh}),
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    // The token is single-use and the old password is gone.
    let res = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            &json!({"token": mail.token(), "new_password": "Another-Long-Phrase-55-x"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_problem(res, 401, "invalid_credentials").await;

    let session = app.login(email, new_password).await;
    let access = session["access_token"].as_str().unwrap();
    let res = app
        .post(
            "/api/v1/auth/password/change",
            Some(access),
            &json!({"current_password": "wrong one", "new_password": PASSWORD}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post(
            "/api/v1/auth/password/change",
            Some(access),
            &json!({"current_password": new_password, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 401);
    app.login(email, PASSWORD).await;
}

fn claims(sub: &str, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({"sub": sub, "iss": "wufei", "aud": "wufei-api", "iat": now, "exp": now + 600, "typ": "access"});
    for (k, v) in overrides.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[actix_web::test]
async fn bad_access_tokens_are_refused() {
    let app = spawn_app().await;
    let acct = app
        .signup("c@x.test", "Gangue Co.", &uscc(4), &["producer"])
        .await;
    let sub = acct.user_id.as_str();
    // Sanity: a well-formed token we sign ourselves works, so the refusals below are meaningful.
    let good = sign(&claims(sub, json!({})), JWT_SECRET);
    assert_eq!(app.get_as("/api/v1/me", &good).await.status(), 200);

    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(sub, json!({})))
    );
    let now = chrono::Utc::now().timestamp();
    let cases = [
        ("alg none", alg_none),
        (
            "wrong key",
            sign(
                &claims(sub, json!({})),
                "another-secret-that-is-long-enough-000000000",
            ),
        ),
        (
            "expired",
            sign(
                &claims(sub, json!({"iat": now - 1000, "exp": now - 120})),
                JWT_SECRET,
            ),
        ),
        (
            "wrong aud",
            sign(&claims(sub, json!({"aud": "other"})), JWT_SECRET),
        ),
        (
            "wrong iss",
            sign(&claims(sub, json!({"iss": "other"})), JWT_SECRET),
        ),
        (
            "exp as string",
            sign(
                &claims(sub, json!({"exp": (now + 600).to_string()})),
                JWT_SECRET,
            ),
        ),
        (
            "wrong typ",
            sign(&claims(sub, json!({"typ": "refresh"})), JWT_SECRET),
        ),
        ("refresh token", acct.refresh.clone()),
        ("garbage", "not-a-token".into()),
        (
            "issued in the future",
            sign(
                &claims(sub, json!({"iat": now + 3600, "exp": now + 3900})),
                JWT_SECRET,
            ),
        ),
        (
            "lives longer than access tokens do",
            sign(
                &claims(sub, json!({"iat": now - 10, "exp": now + 30 * 86_400})),
                JWT_SECRET,
            ),
        ),
    ];
    for (name, token) in cases {
        let res = app.get_as("/api/v1/me", &token).await;
        assert_eq!(res.status(), 401, "{name}");
        assert_problem(res, 401, "invalid_token").await;
    }
    assert_problem(app.get("/api/v1/me").await, 401, "invalid_token").await;
}

#[actix_web::test]
async fn uscc_vectors() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (i, code) in [
        "91110000600037341L",
        "91350100M000100Y43",
        "91512081MA62K0260E",
    ]
    .iter()
    .enumerate()
    {
        let acct = app
            .signup(&format!("v{i}@x.test"), "Valid Co.", code, &["receiver"])
            .await;
        let org: Value = app
            .get_json(
                &format!("/api/v1/organizations/{}", acct.organization_id),
                &acct.access,
            )
            .await;
        assert_eq!(org["uscc_check_failed"], false, "{code}");
        assert_eq!(org["verification_status"], "unverified");
    }
    // A failing check character is accepted as pending, flagged, and needs an explicit override.
    let flagged = app
        .signup(
            "f@x.test",
            "Old Licence Co.",
            "91350100M000100Y4Z",
            &["receiver"],
        )
        .await;
    let path = format!("/api/v1/organizations/{}", flagged.organization_id);
    let org: Value = app.get_json(&path, &flagged.access).await;
    assert_eq!(org["uscc_check_failed"], true);
    assert_eq!(org["verification_status"], "pending");
    let decision = format!(
        "/api/v1/moderation/organizations/{}/decision",
        flagged.organization_id
    );
    let res = app
        .post(
            &decision,
            Some(&admin),
            &json!({"decision": "verify", "reason": "looks fine"}),
        )
        .await;
    assert_problem(res, 422, "uscc_override_required").await;
    let res = app.post(&decision, Some(&admin), &json!({"decision": "verify", "reason": "paper licence checked", "override_uscc_check": true})).await;
    assert_eq!(res.status(), 200);
    let org: Value = res.json().await.unwrap();
    assert_eq!(org["verification_status"], "verified");

    for bad in [
        "9111000060003734",
        "91110000600037341LL",
        "9111000060003734IL",
        "B1110000600037341L",
        "",
    ] {
        let res = app
            .post(
                "/api/v1/auth/register",
                None,
                &registration("m@x.test", "Bad Code Co.", bad, &["receiver"]),
            )
            .await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "organization.uscc", "{bad}");
    }
    // One code, one organization.
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &registration(
                "dup@x.test",
                "Copy Co.",
                "91110000600037341L",
                &["receiver"],
            ),
        )
        .await;
    assert_problem(res, 409, "uscc_taken").await;
}

#[actix_web::test]
async fn register_and_forgot_do_not_reveal_accounts() {
    let app = spawn_app().await;
    app.signup("known@x.test", "Known Co.", &uscc(5), &["producer"])
        .await;
    let known = app
        .post(
            "/api/v1/auth/register",
            None,
            &registration("known@x.test", "Other Co.", &uscc(6), &["producer"]),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/register",
            None,
            &registration("new@x.test", "New Co.", &uscc(7), &["producer"]),
        )
        .await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    // The owner of the known address is told someone tried.
    let notice = app.wait_for_mail("known@x.test", 2).await;
    assert!(notice.subject.contains("already have"));
    // What the body names is judged first: a taken USCC or a dead invitation gets the same answer
    // for a known and an unknown address.
    for email in ["known@x.test", "stranger@x.test"] {
        let res = app
            .post(
                "/api/v1/auth/register",
                None,
                &registration(email, "Copy Co.", &uscc(5), &["producer"]),
            )
            .await;
        assert_problem(res, 409, "uscc_taken").await;
        let mut body = registration(email, "Invited", &uscc(8), &["producer"]);
        body.as_object_mut().unwrap().remove("organization");
        body["invitation_token"] = json!("never-issued-token");
        let res = app.post("/api/v1/auth/register", None, &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["code"], "invalid_token", "{email}");
    }

    let known = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            &json!({"email": "known@x.test"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/password/forgot",
            None,
            &json!({"email": "nobody@x.test"}),
        )
        .await;
    assert_eq!(known.status(), 202);
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(app.mails_to("nobody@x.test").is_empty());
}

#[actix_web::test]
async fn weak_passwords_are_refused() {
    let app = spawn_app().await;
    for (password, code) in [
        ("short-one", "too_short"),
        ("passwordpassword", "too_weak"),
        ("123456789012", "too_weak"),
    ] {
        let mut body = registration("w@x.test", "Weak Co.", &uscc(8), &["producer"]);
        body["password"] = json!(password);
        let res = app.post("/api/v1/auth/register", None, &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "password");
        assert_eq!(problem["errors"][0]["code"], code, "{password}");
    }
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_account_and_address() {
    let app = app().env("WUFEI_LOGIN_MAX_FAILURES", "5").start().await;
    app.signup("t@x.test", "Throttle Co.", &uscc(9), &["producer"])
        .await;
    for _ in 0..5 {
        let res = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": "t@x.test", "password": "wrong password"}),
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "t@x.test", "password": PASSWORD}),
        )
        .await;
    let retry = res.headers().get("retry-after").cloned();
    assert_problem(res, 429, "too_many_requests").await;
    assert!(retry.unwrap().to_str().unwrap().parse::<u64>().unwrap() > 0);
    // The address is throttled too, whatever account it tries.
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "other@x.test", "password": "x"}),
        )
        .await;
    assert_eq!(res.status(), 429);
}

#[actix_web::test]
async fn successful_logins_do_not_count_against_the_limit() {
    let app = app().env("WUFEI_LOGIN_MAX_FAILURES", "3").start().await;
    app.signup("ok@x.test", "Fine Co.", &uscc(10), &["producer"])
        .await;
    for _ in 0..6 {
        app.login("ok@x.test", PASSWORD).await;
    }
}

#[actix_web::test]
async fn bad_bodies_get_the_right_problem() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/auth/login");
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "malformed_json").await;
    let res = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
    let big = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(70 * 1024)
    );
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "payload_too_large").await;
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "a@x.test", "password": "x", "admin": true}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field")
    );
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": 5, "password": "x"}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app.client.get(&url).send().await.unwrap();
    assert_problem(res, 405, "method_not_allowed").await;
}

#[actix_web::test]
async fn emails_wait_in_the_outbox_while_smtp_is_down() {
    let mut app = app()
        .with_smtp()
        .env("WUFEI_OUTBOX_BACKOFF_SECS", "1")
        .start()
        .await;
    app.smtp.as_mut().unwrap().stop();
    let addresses: Vec<String> = (0..3).map(|i| format!("down{i}@x.test")).collect();
    for (i, email) in addresses.iter().enumerate() {
        let res = app
            .post(
                "/api/v1/auth/register",
                None,
                &registration(email, "Down Co.", &uscc(20 + i as u32), &["producer"]),
            )
            .await;
        assert_eq!(res.status(), 202);
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(addresses.iter().all(|a| app.mails_to(a).is_empty()));
    app.smtp.as_mut().unwrap().resume();
    for email in &addresses {
        let mail = app.wait_for_mail(email, 1).await;
        assert!(mail.text.contains("verify-email?token="));
    }
    // Each exactly once.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(addresses.iter().all(|a| app.mails_to(a).len() == 1));
}

#[actix_web::test]
async fn one_reset_link_spends_them_all_and_old_access_tokens_end_with_the_password() {
    let app = spawn_app().await;
    let email = "spent@x.test";
    app.signup(email, "Red Mud Co.", &uscc(7), &["producer"])
        .await;
    let before = app.login(email, PASSWORD).await;
    let old_access = before["access_token"].as_str().unwrap().to_string();
    assert_eq!(app.get_as("/api/v1/me", &old_access).await.status(), 200);
    for _ in 0..2 {
        let res = app
            .post(
                "/api/v1/auth/password/forgot",
                None,
                &json!({"email": email}),
            )
            .await;
        assert_eq!(res.status(), 202);
    }
    let first = app.wait_for_mail(email, 2).await.token();
    let second = app.wait_for_mail(email, 3).await.token();
    assert_ne!(first, second);
    // Tokens carry their issue time in seconds: let the password change be later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let new_password = "Slag-Heap-Lantern-42-orchid";
    let res = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            &json!({"token": second, "new_password": new_password}),
        )
        .await;
    assert_eq!(res.status(), 204);
    // The older link died with the one used.
    let res = app
        .post(
            "/api/v1/auth/password/reset",
            None,
            &json!({"token": first, "new_password": "Yet-Another-Phrase-77-moss"}),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "invalid_token");
    // An access token from before the reset is refused; a new sign-in works.
    assert_problem(
        app.get_as("/api/v1/me", &old_access).await,
        401,
        "invalid_token",
    )
    .await;
    let after = app.login(email, new_password).await;
    let access = after["access_token"].as_str().unwrap();
    assert_eq!(app.get_as("/api/v1/me", access).await.status(), 200);
}
