//! Offers, deals and truckloads over HTTP: exact money, no oversell under concurrency,
//! idempotency keys, sealed bids, and the whole journey with emails over SMTP.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::auth::uscc;
use crate::helpers::{Account, TestApp, app, assert_problem};
use crate::listings::{Market, fly_ash, market, publish};

pub fn offer(quantity: &str, price: &str) -> Value {
    json!({"quantity_t": quantity, "price_per_t": price, "intended_use": "concrete", "message": "We can collect next week"})
}

pub async fn place(app: &TestApp, bidder: &Account, listing: &str, body: &Value) -> Value {
    let res = app
        .post(
            &format!("/api/v1/listings/{listing}/offers"),
            Some(&bidder.access),
            body,
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

fn lot(site: &str, quantity: &str, min_order: &str) -> Value {
    let mut body = fly_ash(site);
    body["quantity_t"] = json!(quantity);
    body["min_order_t"] = json!(min_order);
    body["pricing"] = json!({"model": "offers"});
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn deal_amounts_are_exact() {
    let app = app().start().await;
    let m = market(&app).await;
    let l = publish(&app, &m, &lot(&m.site, "100", "0.001")).await;
    for (quantity, price, amount) in [("3.200", "-12.50", "-40.00"), ("0.003", "33.33", "0.10")] {
        let o = place(&app, &m.receiver, &id(&l), &offer(quantity, price)).await;
        let res = app
            .post(
                &format!("/api/v1/offers/{}/accept", id(&o)),
                Some(&m.producer.access),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body["deal"]["amount_yuan"], amount,
            "{quantity} t × {price}"
        );
        assert_eq!(body["deal"]["status"], "pending_approval");
        assert_eq!(body["offer"]["status"], "accepted");
    }
    let lot_now: Value = app
        .get_json(&format!("/api/v1/listings/{}", id(&l)), &m.producer.access)
        .await;
    assert_eq!(lot_now["remaining_t"], "96.797");
}

#[actix_web::test]
async fn concurrent_accepts_never_oversell() {
    // A generous pool wait: 200 simultaneous writers queue for the database.
    let app = app().env("WUFEI_DB_TIMEOUT_SECS", "60").start().await;
    let m = market(&app).await;
    for round in 0..3 {
        let l = publish(&app, &m, &lot(&m.site, "100", "1")).await;
        let mut offers = Vec::new();
        for _ in 0..200 {
            offers.push(id(
                &place(&app, &m.receiver, &id(&l), &offer("1", "10.00")).await
            ));
        }
        let results = join_all(offers.iter().map(|o| {
            app.client
                .post(app.url(&format!("/api/v1/offers/{o}/accept")))
                .bearer_auth(&m.producer.access)
                .send()
        }))
        .await;
        let statuses: Vec<u16> = results
            .into_iter()
            .map(|r| r.unwrap().status().as_u16())
            .collect();
        let accepted = statuses.iter().filter(|s| **s == 201).count();
        let refused = statuses.iter().filter(|s| **s == 409).count();
        assert_eq!(
            (accepted, refused),
            (100, 100),
            "round {round}: {statuses:?}"
        );
        let after: Value = app
            .get_json(&format!("/api/v1/listings/{}", id(&l)), &m.producer.access)
            .await;
        assert_eq!(after["remaining_t"], "0");
        assert_eq!(after["status"], "closed");
        assert_eq!(after["status_reason"], "sold_out");
        let deals: Value = app
            .get_json("/api/v1/deals?limit=100&status=pending_approval", &m.admin)
            .await;
        let on_this: usize = deals["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["listing_id"] == after["id"])
            .count();
        let mut total = on_this;
        let mut cursor = deals["next_cursor"].as_str().map(str::to_string);
        while let Some(c) = cursor {
            let page: Value = app
                .get_json(
                    &format!("/api/v1/deals?limit=100&status=pending_approval&cursor={c}"),
                    &m.admin,
                )
                .await;
            total += page["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["listing_id"] == after["id"])
                .count();
            cursor = page["next_cursor"].as_str().map(str::to_string);
        }
        assert_eq!(total, 100, "round {round}: one deal per accepted offer");
        // The sell-out ended every offer it did not sell, those whose acceptance was under way
        // included: none is left open on a closed lot.
        let received = "/api/v1/offers?received=true&limit=100&status=";
        let open = app
            .all_pages(&format!("{received}pending"), &m.producer.access)
            .await;
        assert!(
            open.is_empty(),
            "round {round}: {} offers left open",
            open.len()
        );
        let accepted = app
            .all_pages(&format!("{received}accepted"), &m.producer.access)
            .await;
        assert_eq!(accepted.len(), 100 * (round + 1), "round {round}");
    }

    // Fifty producers' clicks on one offer make one deal.
    let l = publish(&app, &m, &lot(&m.site, "10", "1")).await;
    let o = id(&place(&app, &m.receiver, &id(&l), &offer("2", "10.00")).await);
    let results = join_all((0..50).map(|_| {
        app.client
            .post(app.url(&format!("/api/v1/offers/{o}/accept")))
            .bearer_auth(&m.producer.access)
            .send()
    }))
    .await;
    let statuses: Vec<u16> = results
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        49,
        "{statuses:?}"
    );
    let after: Value = app
        .get_json(&format!("/api/v1/listings/{}", id(&l)), &m.producer.access)
        .await;
    assert_eq!(after["remaining_t"], "8");
}

#[actix_web::test]
async fn a_withdrawal_amid_acceptances_ends_every_offer_it_does_not_sell() {
    // The withdrawal holds the lot and ends its offers while acceptances queue for the lot: no
    // deadlock, no failure on our side, and no offer left open on the withdrawn lot.
    let app = app().env("WUFEI_DB_TIMEOUT_SECS", "60").start().await;
    let m = market(&app).await;
    let l = id(&publish(&app, &m, &lot(&m.site, "100", "1")).await);
    let mut offers = Vec::new();
    for _ in 0..60 {
        offers.push(id(&place(&app, &m.receiver, &l, &offer("1", "10.00")).await));
    }
    let accepts = join_all(offers.iter().map(|o| {
        app.client
            .post(app.url(&format!("/api/v1/offers/{o}/accept")))
            .bearer_auth(&m.producer.access)
            .send()
    }));
    let withdrawal = async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        app.post(
            &format!("/api/v1/listings/{l}/withdraw"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await
    };
    let (results, withdrawn) = tokio::join!(accepts, withdrawal);
    assert_eq!(
        withdrawn.status(),
        200,
        "{}",
        withdrawn.text().await.unwrap()
    );
    let statuses: Vec<u16> = results
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let sold = statuses.iter().filter(|s| **s == 201).count();
    let after: Value = app
        .get_json(&format!("/api/v1/listings/{l}"), &m.producer.access)
        .await;
    assert_eq!(after["status_reason"], "withdrawn");
    assert_eq!(after["remaining_t"], (100 - sold).to_string());
    let received = "/api/v1/offers?received=true&limit=100&status=";
    let open = app
        .all_pages(&format!("{received}pending"), &m.producer.access)
        .await;
    assert!(open.is_empty(), "{} offers left open", open.len());
    let accepted = app
        .all_pages(&format!("{received}accepted"), &m.producer.access)
        .await;
    assert_eq!(accepted.len(), sold);
}

#[actix_web::test]
async fn idempotency_keys_make_offers_once() {
    let app = app().start().await;
    let m = market(&app).await;
    let l = id(&publish(&app, &m, &lot(&m.site, "100", "1")).await);
    let path = format!("/api/v1/listings/{l}/offers");
    let body = offer("5", "12.00");
    let send = |body: Value| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&m.receiver.access)
            .header("idempotency-key", "order-2026-11-29-001")
            .json(&body)
            .send()
    };
    let results = join_all((0..10).map(|_| send(body.clone()))).await;
    let mut ids = Vec::new();
    for r in results {
        let r = r.unwrap();
        let status = r.status().as_u16();
        assert!(status == 201 || status == 409, "{status}");
        if status == 201 {
            ids.push(id(&r.json::<Value>().await.unwrap()));
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every 201 is the same offer");
    let mine: Value = app.get_json("/api/v1/offers", &m.receiver.access).await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        1,
        "one offer exists"
    );
    let replay = send(body.clone()).await.unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(id(&replay.json::<Value>().await.unwrap()), ids[0]);
    let other = send(offer("6", "12.00")).await.unwrap();
    assert_problem(other, 422, "idempotency_key_reused").await;
    // Keys are per user: the same key from another bidder is a new request.
    let admin = &m.admin;
    let rival = app
        .verified(
            "rival@bricks.test",
            "Rival Bricks Co.",
            &uscc(301),
            &["receiver"],
            admin,
        )
        .await;
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&rival.access)
        .header("idempotency-key", "order-2026-11-29-001")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[actix_web::test]
async fn sealed_bids_stay_sealed() {
    let app = app().start().await;
    let m = market(&app).await;
    let rival = app
        .verified(
            "rival@bricks.test",
            "Rival Bricks Co.",
            &uscc(302),
            &["receiver"],
            &m.admin,
        )
        .await;
    let l = id(&publish(&app, &m, &lot(&m.site, "100", "1")).await);
    let mine = id(&place(&app, &m.receiver, &l, &offer("5", "12.00")).await);
    let theirs = id(&place(&app, &rival, &l, &offer("7", "14.00")).await);
    assert_problem(
        app.get_as(&format!("/api/v1/offers/{mine}"), &rival.access)
            .await,
        404,
        "not_found",
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/offers/{mine}/withdraw"),
            Some(&rival.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 404);
    let seen: Value = app
        .get_json(&format!("/api/v1/listings/{l}/offers"), &rival.access)
        .await;
    let seen: Vec<String> = seen["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(seen, vec![theirs.clone()]);
    let all: Value = app
        .get_json(&format!("/api/v1/listings/{l}/offers"), &m.producer.access)
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let staff: Value = app
        .get_json(&format!("/api/v1/listings/{l}/offers"), &m.admin)
        .await;
    assert_eq!(staff["items"].as_array().unwrap().len(), 2);
    let made: Value = app.get_json("/api/v1/offers", &rival.access).await;
    assert_eq!(made["items"].as_array().unwrap().len(), 1);
    let received: Value = app
        .get_json("/api/v1/offers?received=true", &m.producer.access)
        .await;
    assert_eq!(received["items"].as_array().unwrap().len(), 2);
    // Nothing of the rival's offer shows in the search results or in the bidder's notifications.
    let search = app
        .get_as("/api/v1/listings", &m.receiver.access)
        .await
        .text()
        .await
        .unwrap();
    assert!(!search.contains(&theirs) && !search.contains("14.00"));
    let notes = app
        .get_as("/api/v1/notifications", &m.receiver.access)
        .await
        .text()
        .await
        .unwrap();
    assert!(!notes.contains(&theirs));
    // A bidder cannot accept its own offer; a producer cannot bid on its own lot.
    let res = app
        .post(
            &format!("/api/v1/offers/{mine}/accept"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await;
    assert_problem(res, 403, "not_your_move").await;
    let res = app
        .post(
            &format!("/api/v1/listings/{l}/offers"),
            Some(&m.producer.access),
            &offer("5", "1.00"),
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[actix_web::test]
async fn offer_rules_and_endings() {
    let app = app().start().await;
    let m = market(&app).await;
    let mut reserve_lot = lot(&m.site, "100", "10");
    reserve_lot["pricing"] = json!({"model": "offers", "reserve_per_t": "-20.00"});
    let l = id(&publish(&app, &m, &reserve_lot).await);
    let path = format!("/api/v1/listings/{l}/offers");
    for (body, field, code) in [
        (offer("5", "0"), "quantity_t", "below_min_order"),
        (offer("101", "0"), "quantity_t", "exceeds_remaining"),
        (offer("10", "-25.00"), "price_per_t", "below_reserve"),
        (offer("10.0001", "0"), "quantity_t", "too_precise"),
    ] {
        let problem = assert_problem(
            app.post(&path, Some(&m.receiver.access), &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{problem}"
        );
    }
    let mut past = offer("10", "0");
    past["expires_at"] = json!("2020-01-01T00:00:00Z");
    assert_problem(
        app.post(&path, Some(&m.receiver.access), &past).await,
        422,
        "validation_failed",
    )
    .await;
    // A research lab may ask for a trial quantity below the minimum order.
    let lab = app
        .verified(
            "lab@imust.test",
            "IMUST Lab",
            &uscc(303),
            &["research"],
            &m.admin,
        )
        .await;
    let mut trial = offer("0.5", "0");
    trial["intended_use"] = json!("research_trial");
    place(&app, &lab, &l, &trial).await;

    // Changing the lot's material terms invalidates open offers; the bidder is told.
    let o = id(&place(&app, &m.receiver, &l, &offer("10", "5.00")).await);
    let res = app
        .patch(
            &format!("/api/v1/listings/{l}"),
            &m.producer.access,
            &json!({"quantity_t": "90"}),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["status"],
        "pending_review"
    );
    let after: Value = app
        .get_json(&format!("/api/v1/offers/{o}"), &m.receiver.access)
        .await;
    assert_eq!(after["status"], "invalidated");
    let notes: Value = app
        .get_json("/api/v1/notifications", &m.receiver.access)
        .await;
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "offer_invalidated")
    );
    let res = app
        .post(
            &format!("/api/v1/offers/{o}/accept"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    assert_problem(res, 409, "offer_not_open").await;

    // Sold out: the remaining open offers are rejected and the lot closes.
    let l2 = id(&publish(&app, &m, &lot(&m.site, "20", "1")).await);
    let big = id(&place(&app, &m.receiver, &l2, &offer("20", "3.00")).await);
    let other = id(&place(&app, &lab, &l2, &offer("5", "4.00")).await);
    let res = app
        .post(
            &format!("/api/v1/offers/{big}/accept"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    let accepted: Value = res.json().await.unwrap();
    let deal = id(&accepted["deal"]);
    let lost: Value = app
        .get_json(&format!("/api/v1/offers/{other}"), &lab.access)
        .await;
    assert_eq!(
        (lost["status"].as_str(), lost["status_reason"].as_str()),
        (Some("rejected"), Some("sold_out"))
    );
    // Cancelling the deal gives the tonnage back and reopens the sold-out lot.
    let res = app
        .post(
            &format!("/api/v1/moderation/deals/{deal}/decision"),
            Some(&m.admin),
            &json!({"decision": "cancel", "reason": "receiver's permit expired"}),
        )
        .await;
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    // Nothing was delivered: it settles on nothing, and keeps what was agreed.
    assert_eq!(cancelled["settled_amount_yuan"], "0.00");
    assert_ne!(cancelled["amount_yuan"], "0.00");
    let reopened: Value = app
        .get_json(&format!("/api/v1/listings/{l2}"), &m.producer.access)
        .await;
    assert_eq!(
        (
            reopened["status"].as_str(),
            reopened["remaining_t"].as_str()
        ),
        (Some("published"), Some("20"))
    );
}

#[actix_web::test]
async fn the_whole_journey_with_emails_over_smtp() {
    let app = app().with_smtp().start().await;
    let m: Market = market(&app).await;
    let l = id(&publish(&app, &m, &lot(&m.site, "100", "10")).await);
    let o = id(&place(&app, &m.receiver, &l, &offer("60", "8.00")).await);
    let received = app.wait_for_mail("slag@steel.test", 4).await;
    assert!(
        received.subject.contains("New offer"),
        "{}",
        received.subject
    );

    let res = app
        .post(
            &format!("/api/v1/offers/{o}/counter"),
            Some(&m.producer.access),
            &json!({"price_per_t": "9.50", "quantity_t": "50", "message": "50 t at 9.50"}),
        )
        .await;
    let countered: Value = res.json().await.unwrap();
    assert_eq!(countered["status"], "countered");
    assert_eq!(countered["counter"]["price_per_t"], "9.50");
    let mail = app.wait_for_mail("buyer@cement.test", 3).await;
    assert!(mail.subject.contains("Counter-offer"), "{}", mail.subject);
    // The producer cannot accept its own counter; the bidder does.
    let res = app
        .post(
            &format!("/api/v1/offers/{o}/accept-counter"),
            Some(&m.producer.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .post(
            &format!("/api/v1/offers/{o}/accept-counter"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let acceptance: Value = res.json().await.unwrap();
    let deal = id(&acceptance["deal"]);
    assert_eq!(acceptance["deal"]["quantity_t"], "50");
    assert_eq!(acceptance["deal"]["amount_yuan"], "475.00");
    app.wait_for_mail("slag@steel.test", 5).await;

    // Trucks cannot leave before the alliance approves.
    let truck = |plate: &str, gross: i64, tare: i64| {
        json!({"carrier": "Baotou Logistics", "vehicle_plate": plate, "driver": "Wang Gang",
        "ticket_no": format!("WB-{plate}"), "gross_kg": gross, "tare_kg": tare, "dispatched_at": "2026-11-20T08:00:00Z"})
    };
    let transfers = format!("/api/v1/deals/{deal}/transfers");
    assert_problem(
        app.post(
            &transfers,
            Some(&m.producer.access),
            &truck("蒙B12345", 45_000, 15_000),
        )
        .await,
        409,
        "invalid_state",
    )
    .await;
    let queue: Value = app.get_json("/api/v1/moderation/deals", &m.admin).await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == deal.as_str())
    );
    let res = app
        .post(
            &format!("/api/v1/moderation/deals/{deal}/decision"),
            Some(&m.admin),
            &json!({"decision": "approve", "reason": "both parties licensed"}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "approved");
    let approved_mail = app.wait_for_mail("buyer@cement.test", 4).await;
    assert!(
        approved_mail.subject.contains("approved"),
        "{}",
        approved_mail.subject
    );

    // Net must be gross − tare; the receiver cannot dispatch.
    let mut bad = truck("蒙B00001", 30_000, 10_000);
    bad["net_kg"] = json!(19_000);
    assert_problem(
        app.post(&transfers, Some(&m.producer.access), &bad).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        app.post(
            &transfers,
            Some(&m.receiver.access),
            &truck("蒙B00002", 30_000, 10_000)
        )
        .await
        .status(),
        403
    );

    let first: Value = app
        .post(
            &transfers,
            Some(&m.producer.access),
            &truck("蒙B12345", 45_000, 15_000),
        )
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .post(
            &transfers,
            Some(&m.producer.access),
            &truck("蒙B67890", 35_000, 15_000),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["net_kg"], 30_000);
    assert!(first["manifest_no"].as_str().unwrap().starts_with("WF-"));
    assert_ne!(first["manifest_no"], second["manifest_no"]);
    let dispatched = app.wait_for_mail("buyer@cement.test", 6).await;
    assert!(
        dispatched.subject.contains("dispatched"),
        "{}",
        dispatched.subject
    );

    // Completion waits for every receipt.
    assert_problem(
        app.post(
            &format!("/api/v1/deals/{deal}/complete"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await,
        409,
        "transfers_not_received",
    )
    .await;
    let receipt = |kg: i64| json!({"received_net_kg": kg, "received_at": "2026-11-20T11:00:00Z"});
    let r1: Value = app
        .post(
            &format!("{transfers}/{}/receipt", id(&first)),
            Some(&m.receiver.access),
            &receipt(29_900),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r1["difference_flagged"], false);
    // 20 000 kg dispatched, 19 000 received: 5 % off, beyond the 2 % tolerance.
    let r2: Value = app
        .post(
            &format!("{transfers}/{}/receipt", id(&second)),
            Some(&m.receiver.access),
            &receipt(19_000),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r2["difference_flagged"], true);
    let flagged = app.wait_for_mail("admin@alliance.test", 1).await;
    assert!(
        flagged.subject.contains("过磅差异超限"),
        "the admin reads Chinese: {}",
        flagged.subject
    );
    assert_problem(
        app.post(
            &format!("{transfers}/{}/receipt", id(&second)),
            Some(&m.receiver.access),
            &receipt(19_000),
        )
        .await,
        409,
        "already_received",
    )
    .await;

    let res = app
        .post(
            &format!("/api/v1/deals/{deal}/complete"),
            Some(&m.receiver.access),
            &json!({}),
        )
        .await;
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["status"], "completed");
    assert_eq!(done["delivered_t"], "48.9");
    // Agreed on 50 t, settled on what arrived: 48.9 t × 9.50 yuan/t.
    assert_eq!(done["amount_yuan"], "475.00");
    assert_eq!(done["settled_amount_yuan"], "464.55");
    let detail: Value = app
        .get_json(&format!("/api/v1/deals/{deal}"), &m.producer.access)
        .await;
    assert_eq!(detail["transfers"].as_array().unwrap().len(), 2);
    // Outsiders do not see the deal.
    let outsider = app
        .verified(
            "x@other.test",
            "Other Co.",
            &uscc(304),
            &["receiver"],
            &m.admin,
        )
        .await;
    assert_problem(
        app.get_as(&format!("/api/v1/deals/{deal}"), &outsider.access)
            .await,
        404,
        "not_found",
    )
    .await;
    let completed_mail = app.wait_for_mail("slag@steel.test", 8).await;
    assert!(
        completed_mail.subject.contains("completed")
            || app
                .mails_to("slag@steel.test")
                .iter()
                .any(|m| m.subject.contains("completed"))
    );
}
