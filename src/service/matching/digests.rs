//! Match digests: a published lot is queued for every open demand it matches, and each demand's
//! organization is told at most once an hour. The only writer of `demand_digest_items`.

use diesel::prelude::*;

use crate::db::schema::{demand_digest_items, listings};
use crate::db::{DbConnection, now};
use crate::domain::matching::Params;
use crate::domain::notification::NotificationKind;
use crate::error::ApiError;
use crate::service::market::catalog::Catalog;
use crate::service::market::lots::load_row as load_listing;
use crate::service::matching::demands::{self, load_row};
use crate::service::matching::matches::rank_demands;
use crate::service::notifications::{Notice, notify_owners};

pub fn queue_matches(
    conn: &mut DbConnection,
    catalog: &Catalog,
    params: &Params,
    listing_id: &str,
) -> Result<(), ApiError> {
    let listing = load_listing(conn, listing_id)?;
    let at = now();
    for (_, _, demand) in rank_demands(conn, catalog, params, &listing)? {
        let queued: i64 = demand_digest_items::table
            .filter(demand_digest_items::demand_id.eq(&demand.id))
            .filter(demand_digest_items::listing_id.eq(listing_id))
            .count()
            .get_result(conn)?;
        if queued == 0 {
            diesel::insert_into(demand_digest_items::table)
                .values((
                    demand_digest_items::demand_id.eq(&demand.id),
                    demand_digest_items::listing_id.eq(listing_id),
                    demand_digest_items::created_at.eq(at),
                ))
                .execute(conn)?;
        }
        send_digest_if_due(conn, &demand.id)?;
    }
    Ok(())
}

/// Sends one digest for a demand if it has queued matches and was not told within the hour. The
/// conditional update on `last_digest_at` makes two instances racing send it once.
pub fn send_digest_if_due(conn: &mut DbConnection, demand_id: &str) -> Result<bool, ApiError> {
    let items: Vec<String> = demand_digest_items::table
        .filter(demand_digest_items::demand_id.eq(demand_id))
        .select(demand_digest_items::listing_id)
        .order(demand_digest_items::listing_id.asc())
        .load(conn)?;
    if items.is_empty() {
        return Ok(false);
    }
    if !demands::claim_digest(conn, demand_id)? {
        return Ok(false);
    }
    let demand = load_row(conn, demand_id)?;
    let titles: Vec<String> = listings::table
        .filter(listings::id.eq_any(&items))
        .select(listings::title)
        .order(listings::id.asc())
        .load(conn)?;
    diesel::delete(demand_digest_items::table.filter(demand_digest_items::demand_id.eq(demand_id)))
        .execute(conn)?;
    let list = titles
        .iter()
        .map(|t| format!("• {t}"))
        .collect::<Vec<_>>()
        .join("\n");
    notify_owners(
        conn,
        &demand.organization_id,
        &Notice {
            kind: NotificationKind::MatchFound,
            title_zh: format!("有 {} 个挂牌符合您的需求：{}", titles.len(), demand.title),
            title_en: format!(
                "{} new lot(s) match your demand: {}",
                titles.len(),
                demand.title
            ),
            body_zh: list.clone(),
            body_en: list,
            object_type: Some("demand"),
            object_id: Some(demand_id),
        },
    )?;
    Ok(true)
}

/// Housekeeping: digests whose hour has passed.
pub fn send_due_digests(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let waiting: Vec<String> = demand_digest_items::table
        .select(demand_digest_items::demand_id)
        .distinct()
        .load(conn)?;
    let mut sent = 0;
    for id in waiting {
        if send_digest_if_due(conn, &id)? {
            sent += 1;
        }
    }
    Ok(sent)
}
