//! The alliance console: what waits for staff, and the append-only audit log.

use serde_json::{Value, json};

use crate::auth::uscc;
use crate::helpers::{app, assert_problem};
use crate::listings::{fly_ash, market};

#[actix_web::test]
async fn the_console_counts_what_waits() {
    let app = app().start().await;
    let m = market(&app).await;
    let pending = app
        .signup("wait@x.test", "Waiting Co.", &uscc(501), &["receiver"])
        .await;
    app.post(
        &format!(
            "/api/v1/organizations/{}/verification",
            pending.organization_id
        ),
        Some(&pending.access),
        &json!({}),
    )
    .await;
    let lot: Value = app
        .post(
            "/api/v1/listings",
            Some(&m.producer.access),
            &fly_ash(&m.site),
        )
        .await
        .json()
        .await
        .unwrap();
    app.post(
        &format!("/api/v1/listings/{}/submit", lot["id"].as_str().unwrap()),
        Some(&m.producer.access),
        &json!({}),
    )
    .await;
    let console: Value = app.get_json("/api/v1/moderation/summary", &m.admin).await;
    assert_eq!(console["organizations"]["count"], 1);
    assert!(console["organizations"]["oldest"].is_string());
    assert_eq!(console["listings"]["count"], 1);
    assert_eq!(console["deals"]["count"], 0);
    assert!(console["deals"]["oldest"].is_null());
    assert_eq!(console["dead_emails"]["count"], 0);
    assert_problem(
        app.get_as("/api/v1/moderation/summary", &m.producer.access)
            .await,
        403,
        "staff_only",
    )
    .await;
}

#[actix_web::test]
async fn the_audit_log_answers_by_object_actor_and_action_and_cannot_change() {
    let app = app().start().await;
    let m = market(&app).await;
    let org = &m.producer.organization_id;
    let path = format!("/api/v1/audit-log?object_type=organization&object_id={org}");
    let page: Value = app.get_json(&path, &m.admin).await;
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "organization.verified",
            "organization.submitted",
            "organization.created"
        ],
        "newest first"
    );
    let verified = &page["items"][0];
    assert_eq!(verified["reason"], "licence checked");
    let before: Value = serde_json::from_str(verified["before_state"].as_str().unwrap()).unwrap();
    let after: Value = serde_json::from_str(verified["after_state"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            before["verification_status"].as_str(),
            after["verification_status"].as_str()
        ),
        (Some("pending"), Some("verified"))
    );
    let admin_id = verified["actor_user_id"].as_str().unwrap();
    let by_admin: Value = app
        .get_json(
            &format!("/api/v1/audit-log?actor={admin_id}&action=organization.verified"),
            &m.admin,
        )
        .await;
    assert_eq!(
        by_admin["items"].as_array().unwrap().len(),
        2,
        "both organizations of the market"
    );
    let none: Value = app
        .get_json(&format!("{path}&from=2099-01-01T00:00:00Z"), &m.admin)
        .await;
    assert!(none["items"].as_array().unwrap().is_empty());
    let paged: Value = app.get_json(&format!("{path}&limit=1"), &m.admin).await;
    let next: Value = app
        .get_json(
            &format!(
                "{path}&limit=1&cursor={}",
                paged["next_cursor"].as_str().unwrap()
            ),
            &m.admin,
        )
        .await;
    assert_eq!(next["items"][0]["action"], "organization.submitted");

    // Members cannot read it; nobody can change it.
    assert_problem(
        app.get_as(&path, &m.producer.access).await,
        403,
        "staff_only",
    )
    .await;
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::POST,
    ] {
        let res = app
            .client
            .request(method.clone(), app.url("/api/v1/audit-log"))
            .bearer_auth(&m.admin)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method}");
    }
    let again: Value = app.get_json(&path, &m.admin).await;
    assert_eq!(again["items"], page["items"]);
}
