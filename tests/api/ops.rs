//! Health, metrics, request ids and the problem+json answers of the framework edges.

use crate::helpers::{assert_problem, spawn_app};

#[actix_web::test]
async fn live_and_ready_answer_ok() {
    let app = spawn_app().await;
    for path in ["/health/live", "/health/ready"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers().contains_key("x-request-id"),
            "{path} has a request id"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/health/live").await;
    app.get("/no/such/route").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"wufei_http_requests_total{method="GET",route="/health/live",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("wufei_db_pool_connections"));
    assert!(text.contains("wufei_http_request_duration_seconds_bucket"));
}

#[actix_web::test]
async fn unknown_route_is_404_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
}

#[actix_web::test]
async fn unknown_method_is_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app
        .client
        .delete(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let allow = res.headers().get("allow").cloned();
    assert_problem(res, 405, "method_not_allowed").await;
    assert_eq!(allow.unwrap(), "GET");
}

#[actix_web::test]
async fn request_ids_differ_per_request() {
    let app = spawn_app().await;
    let a = app.get("/health/live").await;
    let b = app.get("/health/live").await;
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}

#[actix_web::test]
async fn demo_seed_is_idempotent_and_its_users_can_sign_in() {
    let app = spawn_app().await;
    let first = wufei::service::demo::seed(&mut app.conn()).unwrap();
    assert_eq!(first, 12, "ten organizations of Baotou, two of Ordos");
    assert_eq!(wufei::service::demo::seed(&mut app.conn()).unwrap(), 0);
    let steel = app
        .login(
            "steel@demo.wufei.local",
            wufei::service::demo::DEMO_PASSWORD,
        )
        .await;
    let me: serde_json::Value = app
        .get_json("/api/v1/me", steel["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["organization"]["verification_status"], "verified");
    let staff = app
        .login(
            "staff@demo.wufei.local",
            wufei::service::demo::DEMO_PASSWORD,
        )
        .await;
    let res = app
        .get_as(
            "/api/v1/moderation/organizations",
            staff["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn answers_are_not_sniffed_and_sign_ins_are_not_stored() {
    let app = crate::helpers::spawn_app().await;
    let live = app.get("/health/live").await;
    assert_eq!(live.headers()["x-content-type-options"], "nosniff");
    assert!(live.headers().get("cache-control").is_none());
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": "nobody@x.test", "password": "not the password"}),
        )
        .await;
    assert_eq!(login.status(), 401);
    assert_eq!(login.headers()["cache-control"], "no-store");
    assert_eq!(login.headers()["x-content-type-options"], "nosniff");
    let me = app.get("/api/v1/me").await;
    assert_eq!(me.headers()["cache-control"], "no-store");
    let nul = app.get("/api/v1/catalog/categories?x=%00").await;
    assert_eq!(nul.headers()["x-content-type-options"], "nosniff");
}

#[cfg(unix)]
#[actix_web::test]
async fn what_the_service_keeps_on_disk_is_the_owner_s_only() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let settings = wufei::config::Settings::from_lookup(|k| match k {
        "WUFEI_DATA_DIR" => Some(data.display().to_string()),
        "WUFEI_BIND" => Some("127.0.0.1:0".into()),
        _ => None,
    })
    .unwrap();
    let _app = wufei::startup::Application::build(settings).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(mode(&data.join("mail")), 0o700, "the mail folder");
    assert_eq!(mode(&data.join("wufei.db")), 0o600, "the database file");
    assert_eq!(
        mode(&data.join("jwt.key")),
        0o600,
        "the generated signing key"
    );
}

#[actix_web::test]
async fn metrics_answer_only_their_token_when_one_is_set() {
    let app = crate::helpers::app()
        .env("WUFEI_METRICS_TOKEN", "scrape-me-9f3c1e7a")
        .start()
        .await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    assert_eq!(
        app.get_as("/metrics", "scrape-me-wrong").await.status(),
        401
    );
    let res = app.get_as("/metrics", "scrape-me-9f3c1e7a").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("wufei_http_requests_total")
    );
}
