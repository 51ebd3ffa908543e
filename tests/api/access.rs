//! The access matrix: each role against organization, moderation, admin and notification routes,
//! including another organization's objects (404).

use serde_json::{Value, json};

use crate::auth::uscc;
use crate::helpers::{PASSWORD, assert_problem, spawn_app};

#[actix_web::test]
async fn every_role_against_every_route() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let owner_a = app
        .verified(
            "owner@a.test",
            "A Steel Co.",
            &uscc(101),
            &["producer"],
            &admin,
        )
        .await;
    let owner_b = app
        .verified(
            "owner@b.test",
            "B Cement Co.",
            &uscc(102),
            &["receiver"],
            &admin,
        )
        .await;
    let org_a = owner_a.organization_id.clone();

    // A member joins A by invitation; the invitation link proves the address.
    let res = app
        .post(
            &format!("/api/v1/organizations/{org_a}/invitations"),
            Some(&owner_a.access),
            &json!({"email": "member@a.test", "role": "member"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let invite = app.wait_for_mail("member@a.test", 1).await;
    assert!(invite.text.contains("accept-invitation?token="));
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "member@a.test", "password": PASSWORD, "display_name": "Li Na", "invitation_token": invite.token()}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let member_a = app.login("member@a.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let me: Value = app.get_json("/api/v1/me", &member_a).await;
    assert_eq!(me["organization"]["id"], org_a.as_str());
    assert_eq!(me["role"], "member");

    // Staff: granted by the admin.
    let staff_acct = app
        .signup(
            "staff@alliance.test",
            "Alliance Lab",
            &uscc(103),
            &["research"],
        )
        .await;
    let user: Value = app
        .get_json("/api/v1/admin/users?email=staff@alliance.test", &admin)
        .await;
    let res = app
        .post(
            &format!(
                "/api/v1/admin/users/{}/platform-role",
                user["id"].as_str().unwrap()
            ),
            Some(&admin),
            &json!({"platform_role": "staff"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let staff = staff_acct.access.clone();

    let site = json!({"name": "Slag yard 2", "region_code": "150207", "address": "Jiuyuan District", "lat": 40.6, "lon": 109.9});
    let org_path = format!("/api/v1/organizations/{org_a}");
    let sites_path = format!("{org_path}/sites");
    let invite_path = format!("{org_path}/invitations");
    let verification_path = format!("{org_path}/verification");
    let decision_path = format!("/api/v1/moderation/organizations/{org_a}/decision");
    let invitation = json!({"email": "x@a.test", "role": "member"});
    let patch = json!({"contact_phone": "0472-1234567"});
    let decision = json!({"decision": "suspend", "reason": "audit"});
    let role = json!({"platform_role": "staff"});
    let grant_path = format!("/api/v1/admin/users/{}/platform-role", owner_b.user_id);

    // (method, path, body, [anonymous, owner A, member A, owner B, staff, admin])
    let matrix: Vec<(&str, &str, &Value, [u16; 6])> = vec![
        (
            "GET",
            &org_path,
            &Value::Null,
            [401, 200, 200, 404, 200, 200],
        ),
        ("PATCH", &org_path, &patch, [401, 200, 403, 404, 404, 404]),
        (
            "GET",
            &sites_path,
            &Value::Null,
            [401, 200, 200, 404, 200, 200],
        ),
        ("POST", &sites_path, &site, [401, 201, 403, 404, 404, 404]),
        (
            "POST",
            &invite_path,
            &invitation,
            [401, 201, 403, 404, 404, 404],
        ),
        (
            "POST",
            &verification_path,
            &Value::Null,
            [401, 409, 403, 404, 404, 404],
        ),
        (
            "GET",
            "/api/v1/moderation/organizations",
            &Value::Null,
            [401, 403, 403, 403, 200, 200],
        ),
        (
            "POST",
            &decision_path,
            &decision,
            [401, 403, 403, 403, 200, 409],
        ),
        (
            "GET",
            "/api/v1/admin/users?email=owner@b.test",
            &Value::Null,
            [401, 403, 403, 403, 403, 200],
        ),
        ("POST", &grant_path, &role, [401, 403, 403, 403, 403, 200]),
        (
            "GET",
            "/api/v1/notifications",
            &Value::Null,
            [401, 200, 200, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/me",
            &Value::Null,
            [401, 200, 200, 200, 200, 200],
        ),
    ];
    let callers = [
        None,
        Some(owner_a.access.as_str()),
        Some(member_a.as_str()),
        Some(owner_b.access.as_str()),
        Some(staff.as_str()),
        Some(admin.as_str()),
    ];
    let names = [
        "anonymous",
        "owner A",
        "member A",
        "owner B",
        "staff",
        "admin",
    ];
    for (method, path, body, expected) in &matrix {
        for (i, caller) in callers.iter().enumerate() {
            let (got, _) = app.send(method, path, *caller, body).await;
            assert_eq!(got, expected[i], "{method} {path} as {}", names[i]);
        }
    }
}

#[actix_web::test]
async fn decisions_notify_owners_and_suspension_applies_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let owner = app
        .signup("o@n.test", "Notify Co.", &uscc(110), &["producer"])
        .await;
    let org = &owner.organization_id;
    app.post(
        &format!("/api/v1/organizations/{org}/verification"),
        Some(&owner.access),
        &json!({}),
    )
    .await;
    let queue: Value = app
        .get_json("/api/v1/moderation/organizations", &admin)
        .await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == org.as_str())
    );

    let decide = format!("/api/v1/moderation/organizations/{org}/decision");
    let res = app
        .post(
            &decide,
            Some(&admin),
            &json!({"decision": "reject", "reason": ""}),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post(
            &decide,
            Some(&admin),
            &json!({"decision": "reject", "reason": "licence photo unreadable"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let mail = app.wait_for_mail("o@n.test", 2).await;
    assert!(mail.subject.contains("rejected"), "{}", mail.subject);
    assert!(mail.text.contains("licence photo unreadable"));
    let notes: Value = app.get_json("/api/v1/notifications", &owner.access).await;
    let note = &notes["items"][0];
    assert_eq!(note["kind"], "organization_rejected");
    assert!(note["read_at"].is_null());
    let res = app
        .post(
            &format!(
                "/api/v1/notifications/{}/read",
                note["id"].as_str().unwrap()
            ),
            Some(&owner.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert!(read["read_at"].is_string());
    // Someone else's notification does not exist for the admin.
    let res = app
        .post(
            &format!(
                "/api/v1/notifications/{}/read",
                note["id"].as_str().unwrap()
            ),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_problem(res, 404, "not_found").await;

    // Resubmit, verify, then suspend.
    let res = app
        .post(
            &format!("/api/v1/organizations/{org}/verification"),
            Some(&owner.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            &decide,
            Some(&admin),
            &json!({"decision": "verify", "reason": "new photo ok"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            &decide,
            Some(&admin),
            &json!({"decision": "verify", "reason": "again"}),
        )
        .await;
    assert_problem(res, 409, "invalid_state").await;
    let res = app
        .post(
            &decide,
            Some(&admin),
            &json!({"decision": "suspend", "reason": "fraud report"}),
        )
        .await;
    let org_now: Value = res.json().await.unwrap();
    assert_eq!(org_now["suspended"], true);
    let me: Value = app.get_json("/api/v1/me", &owner.access).await;
    assert_eq!(me["organization"]["suspended"], true);
}
