//! The API conventions of docs/API.md, held the same on every resource: one cursor error, ETag
//! and If-Match wherever there is a version, status changes only along the state machines.

use serde_json::json;
use wufei::service::demo::seed;

use crate::helpers::{TestApp, app, assert_problem};

/// A demo demand of the cement plant, with its token.
async fn cement_demand(app: &TestApp) -> (String, String) {
    let token = app.demo_token("cement@demo.wufei.local").await;
    let demands = app.get_json("/api/v1/demands", &token).await;
    let id = demands["items"][0]["id"].as_str().unwrap().to_string();
    (token, id)
}

#[actix_web::test]
async fn every_list_refuses_a_foreign_cursor_alike() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let staff = app.demo_token("staff@demo.wufei.local").await;
    let (cement, demand) = cement_demand(&app).await;
    // A cursor that is not the list's key (not JSON; the number 123) is the same 422 on every
    // list, keyed by id, by score or by a sort key.
    for (path, token) in [
        ("/api/v1/listings", &staff),
        ("/api/v1/listings?sort=price_asc", &staff),
        ("/api/v1/deals", &staff),
        ("/api/v1/offers", &cement),
        ("/api/v1/demands", &cement),
        ("/api/v1/notifications", &cement),
        ("/api/v1/research-projects", &staff),
        ("/api/v1/moderation/listings", &staff),
        ("/api/v1/moderation/organizations", &staff),
        ("/api/v1/audit-log", &staff),
        (&format!("/api/v1/demands/{demand}/matches"), &cement),
    ] {
        for cursor in ["bm90LWEta2V5", "MTIz"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let res = app
                .get_as(&format!("{path}{sep}cursor={cursor}"), token)
                .await;
            assert_eq!(res.status(), 422, "{path} with {cursor}");
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["errors"][0]["field"], "cursor", "{path}");
            assert_eq!(body["errors"][0]["code"], "invalid_cursor", "{path}");
        }
    }
    // A list's own cursor goes on to the next page; a cursor of an id-keyed list is refused by
    // a list keyed by score.
    let first = app.get_json("/api/v1/deals?limit=1", &staff).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let next = app
        .get_json(&format!("/api/v1/deals?limit=1&cursor={cursor}"), &staff)
        .await;
    assert_ne!(first["items"][0]["id"], next["items"][0]["id"]);
    let res = app
        .get_as(
            &format!("/api/v1/demands/{demand}/matches?cursor={cursor}"),
            &cement,
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[actix_web::test]
async fn demands_and_organizations_carry_etags_and_refuse_stale_edits() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let (cement, demand) = cement_demand(&app).await;
    let res = app
        .get_as(&format!("/api/v1/demands/{demand}"), &cement)
        .await;
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(etag, format!("\"{}\"", body["version"]));

    // A stale If-Match is 412 and changes nothing; the current one goes through.
    let stale = app
        .client
        .patch(app.url(&format!("/api/v1/demands/{demand}")))
        .bearer_auth(&cement)
        .header("if-match", "\"999\"")
        .json(&json!({"title": "Fly ash, grade II, monthly"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_mismatch").await;
    let fresh = app
        .client
        .patch(app.url(&format!("/api/v1/demands/{demand}")))
        .bearer_auth(&cement)
        .header("if-match", &etag)
        .json(&json!({"title": "Fly ash, grade II, monthly"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    assert_ne!(fresh.headers()["etag"].to_str().unwrap(), etag);

    let me = app.get_json("/api/v1/me", &cement).await;
    let org = me["organization"]["id"].as_str().unwrap();
    let res = app
        .get_as(&format!("/api/v1/organizations/{org}"), &cement)
        .await;
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let stale = app
        .client
        .patch(app.url(&format!("/api/v1/organizations/{org}")))
        .bearer_auth(&cement)
        .header("if-match", "\"0\"")
        .json(&json!({"contact_name": "王工"}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 412, "version_mismatch").await;
    let after = app
        .get_json(&format!("/api/v1/organizations/{org}"), &cement)
        .await;
    assert_ne!(after["contact_name"], "王工");
    let fresh = app
        .client
        .patch(app.url(&format!("/api/v1/organizations/{org}")))
        .bearer_auth(&cement)
        .header("if-match", &etag)
        .json(&json!({"contact_name": "王工"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
}

#[actix_web::test]
async fn a_demand_moves_only_along_its_state_machine() {
    let app = app().start().await;
    seed(&mut app.conn()).unwrap();
    let (cement, demand) = cement_demand(&app).await;
    let path = format!("/api/v1/demands/{demand}");
    let moved = |to: &'static str| {
        let (app, path, cement) = (&app, &path, &cement);
        async move { app.patch(path, cement, &json!({"status": to})).await }
    };
    // open → paused → open (resume) → paused → fulfilled
    for to in ["paused", "open", "paused", "fulfilled"] {
        let res = moved(to).await;
        assert_eq!(res.status(), 200, "to {to}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], to);
    }
    // A move the table lacks is refused in words and changes nothing.
    let body = assert_problem(moved("paused").await, 409, "invalid_state").await;
    assert_eq!(
        body["detail"],
        "A demand that is fulfilled cannot become paused."
    );
    assert_eq!(app.get_json(&path, &cement).await["status"], "fulfilled");
    // fulfilled → open (reopen) → closed, and nothing after closed.
    for to in ["open", "closed"] {
        assert_eq!(moved(to).await.status(), 200, "to {to}");
    }
    assert_problem(moved("open").await, 409, "demand_closed").await;
}
