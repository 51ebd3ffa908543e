//! The outbox under several workers, and emails that can never be delivered.

use std::time::Duration;

use serde_json::Value;
use wufei::config::Settings;
use wufei::db::Db;
use wufei::email::{outbox, templates::Rendered, worker::Worker};

use diesel::prelude::*;
use wufei::db::schema::outbox as outbox_rows;

use crate::helpers::{JWT_SECRET, app, registration, spawn_app};

#[actix_web::test]
async fn three_workers_on_one_database_send_every_message_once() {
    let app = spawn_app().await;
    let data_dir = app.db.dir.path().display().to_string();
    let url = app.db.url.clone();
    // Two more instances' workers on the same database and mail folder.
    for _ in 0..2 {
        let settings = Settings::from_lookup(|k| match k {
            "WUFEI_DATABASE_URL" => Some(url.clone()),
            "WUFEI_DATA_DIR" => Some(data_dir.clone()),
            "WUFEI_JWT_SECRET" => Some(JWT_SECRET.into()),
            "WUFEI_OUTBOX_POLL_MS" => Some("20".into()),
            _ => None,
        })
        .unwrap();
        let worker = Worker::new(Db::connect(&settings).unwrap(), &settings).unwrap();
        tokio::spawn(worker.run());
    }
    let mut conn = app.conn();
    let n = 60;
    for i in 0..n {
        let message = Rendered {
            subject: format!("Message {i}"),
            text: "body".into(),
            html: "<p>body</p>".into(),
        };
        outbox::enqueue(&mut conn, &format!("bulk{i}@x.test"), &message).unwrap();
    }
    for i in 0..n {
        app.wait_for_mail(&format!("bulk{i}@x.test"), 1).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..n {
        assert_eq!(
            app.mails_to(&format!("bulk{i}@x.test")).len(),
            1,
            "message {i} sent once"
        );
    }
}

#[actix_web::test]
async fn undeliverable_emails_end_dead_and_staff_see_them() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = app()
        .env("WUFEI_SMTP_URL", &format!("smtp://127.0.0.1:{closed_port}"))
        .env("WUFEI_OUTBOX_MAX_ATTEMPTS", "2")
        .env("WUFEI_OUTBOX_BACKOFF_SECS", "1")
        .start()
        .await;
    let admin = app.admin_token().await;
    outbox::enqueue(
        &mut app.conn(),
        "lost@x.test",
        &Rendered {
            subject: "Lost".into(),
            text: "t".into(),
            html: "h".into(),
        },
    )
    .unwrap();
    let mut dead = Value::Null;
    for _ in 0..100 {
        let page: Value = app.get_json("/api/v1/moderation/emails", &admin).await;
        if let Some(item) = page["items"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["recipient"] == "lost@x.test"))
        {
            dead = item.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!(dead["attempts"], 2);
    // Given up on, it will not be sent: its body (and any link in it) is gone.
    let bodies: Vec<(String, String)> = outbox_rows::table
        .filter(outbox_rows::recipient.eq("lost@x.test"))
        .select((outbox_rows::body_text, outbox_rows::body_html))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        bodies,
        vec![(outbox::REMOVED.to_string(), outbox::REMOVED.to_string())]
    );
    assert!(dead["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let pending: Value = app
        .get_json("/api/v1/moderation/emails?status=pending", &admin)
        .await;
    assert!(
        pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["recipient"] != "lost@x.test")
    );
}

#[actix_web::test]
async fn no_live_link_stays_readable_in_the_database_after_delivery() {
    let app = app().with_smtp().start().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            &registration(
                "linkholder@x.test",
                "Link Holder Cement Co.",
                "91350100M000100Y43",
                &["receiver"],
            ),
        )
        .await;
    assert_eq!(res.status(), 202);
    let mail = app.wait_for_mail("linkholder@x.test", 1).await;
    let token = mail
        .text
        .split("token=")
        .nth(1)
        .map(|t| {
            t.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        })
        .expect("the email carries a link");
    assert!(token.len() >= 16);
    // The row is marked sent in its own transaction after the SMTP answer: wait for it.
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for _ in 0..50 {
        rows = outbox_rows::table
            .filter(outbox_rows::recipient.eq("linkholder@x.test"))
            .select((
                outbox_rows::status,
                outbox_rows::body_text,
                outbox_rows::body_html,
            ))
            .load(&mut app.conn())
            .unwrap();
        if rows.iter().all(|(status, _, _)| status == "sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!rows.is_empty());
    for (status, text, html) in &rows {
        assert_eq!(status, "sent");
        assert!(
            !text.contains(&token) && !html.contains(&token),
            "a live token stays readable"
        );
    }
    // The link still works: only the stored copy is gone.
    let res = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            &serde_json::json!({"token": token}),
        )
        .await;
    assert_eq!(res.status(), 200);
}
