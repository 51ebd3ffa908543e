//! Acceptance: an offer becomes a deal. The tonnage is taken from the lot with one conditional
//! update (`lots::take`), so a lot is never oversold; one deal per offer and the offer's own
//! guarded move keep one offer from being accepted twice; a sold-out lot closes and its other
//! open offers end.

use serde::Serialize;
use utoipa::ToSchema;

use crate::config::TradeSettings;
use crate::db::DbConnection;
use crate::domain::listing::ListingEvent;
use crate::domain::notification::NotificationKind;
use crate::domain::offer::{OfferEvent, transition};
use crate::domain::quantity::{amount_fen, format_tonnes, format_yuan};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes};
use crate::service::market::deals::{self, Agreement, Deal};
use crate::service::market::lots::{self, ListingRow, load_row as load_listing};
use crate::service::market::offers::{
    Offer, OfferRow, authorize, change_status, check_use, end_open_offers, load_row, not_open,
    record, tell_bidder,
};
use crate::service::notifications::{Notice, notify_owners};

#[derive(Debug, Serialize, ToSchema)]
pub struct Acceptance {
    pub deal: Deal,
    pub offer: Offer,
}

/// The producer accepts an offer (all of it or `quantity_kg` of it).
pub fn accept(
    conn: &mut DbConnection,
    trade: &TradeSettings,
    user: &CurrentUser,
    id: &str,
    quantity: Option<&Tonnes>,
) -> Result<Acceptance, ApiError> {
    let offer = load_row(conn, id)?;
    let listing = authorize(conn, user, &offer, OfferEvent::Accept)?;
    let kg = match quantity {
        None => offer.quantity_kg,
        Some(q) => {
            let mut c = Checks::default();
            let kg = c.tonnes("quantity_t", q);
            if kg.is_some_and(|k| k > offer.quantity_kg) {
                c.push(
                    "quantity_t",
                    "exceeds_offer",
                    "cannot accept more than was offered",
                );
            }
            c.finish()?;
            kg.unwrap_or_default()
        }
    };
    let price = offer.price_fen_per_t;
    conclude(
        conn,
        trade,
        user,
        offer,
        listing,
        OfferEvent::Accept,
        kg,
        price,
    )
}

/// The bidder accepts the producer's counter-offer.
pub fn accept_counter(
    conn: &mut DbConnection,
    trade: &TradeSettings,
    user: &CurrentUser,
    id: &str,
) -> Result<Acceptance, ApiError> {
    let offer = load_row(conn, id)?;
    let listing = authorize(conn, user, &offer, OfferEvent::AcceptCounter)?;
    let kg = offer.counter_quantity_kg.unwrap_or(offer.quantity_kg);
    let price = offer
        .counter_price_fen_per_t
        .unwrap_or(offer.price_fen_per_t);
    conclude(
        conn,
        trade,
        user,
        offer,
        listing,
        OfferEvent::AcceptCounter,
        kg,
        price,
    )
}

/// Turns an offer into a deal. The rows that are only added (the deal, its audit entry, the
/// notices) come first; the locks come last, the lot's before the offer's: the tonnage with one
/// conditional update backed by a CHECK, then the offer's own guarded state change (so one offer
/// is never accepted twice). Acceptances on one lot queue on its row, and each holds it for those
/// few statements and the commit only. Any refusal rolls the whole transaction back.
#[allow(clippy::too_many_arguments)]
fn conclude(
    conn: &mut DbConnection,
    trade: &TradeSettings,
    user: &CurrentUser,
    offer: OfferRow,
    listing: ListingRow,
    event: OfferEvent,
    kg: i64,
    price: i64,
) -> Result<Acceptance, ApiError> {
    if transition(offer.status, event).is_none() {
        return Err(not_open(&offer, event));
    }
    // The use table again, at the deal: the same refusal as when the offer was placed.
    check_use(
        conn,
        &listing,
        offer.intended_use,
        &offer.organization_id,
        offer.receiving_site_id.as_deref(),
    )?;
    // Small deals skip staff approval when the exchange is configured so.
    let auto = trade
        .auto_approve_fen
        .is_some_and(|limit| amount_fen(price, kg).abs() <= limit);
    // A second acceptance of this offer waits here for the first (one deal per offer) and is
    // refused once the first commits; it holds no lock another acceptance needs.
    let deal = deals::open(
        conn,
        &Agreement {
            offer_id: Some(&offer.id),
            listing_id: &listing.id,
            producer_organization_id: &listing.organization_id,
            receiver_organization_id: &offer.organization_id,
            intended_use: offer.intended_use,
            receiving_site_id: offer.receiving_site_id.as_deref(),
            kg,
            price_fen_per_t: price,
            approved_as: auto.then_some("auto_approved"),
        },
    )?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "deal.created",
            object_type: "deal",
            object_id: &deal.id,
            reason: None,
        },
        None::<&()>,
        Some(&deal),
    )?;
    let terms = format!(
        "{} t @ {} yuan/t = {} yuan",
        format_tonnes(kg),
        format_yuan(price),
        deal.amount_yuan
    );
    match event {
        OfferEvent::AcceptCounter => notify_owners(
            conn,
            &listing.organization_id,
            &Notice {
                kind: NotificationKind::OfferAccepted,
                title_zh: format!("还价已被接受：{}", listing.title),
                title_en: format!("Counter-offer accepted: {}", listing.title),
                body_zh: terms.clone(),
                body_en: terms,
                object_type: Some("deal"),
                object_id: Some(&deal.id),
            },
        )?,
        _ => tell_bidder(
            conn,
            &offer,
            NotificationKind::OfferAccepted,
            "报价已被接受",
            "Offer accepted",
            &terms,
        )?,
    }
    // The locks, the lot's row first: a sell-out or a withdrawal holding it ends the other
    // offers, and no acceptance waiting for the lot holds one of them.
    let remaining = lots::take(conn, &listing.id, kg)?;
    // Then the offer's guarded change: if the bidder withdrew it or it expired meanwhile, the
    // refusal rolls the tonnage back with the rest.
    let after = change_status(conn, &offer, event, None)?;
    if remaining == 0 {
        sell_out(conn, &listing)?;
    }
    record(conn, &user.id, "offer.accepted", &after, Some(&offer))?;
    Ok(Acceptance {
        deal,
        offer: after.view(),
    })
}

/// Nothing remains: the lot closes (the `SellOut` move), and the other open offers are rejected.
fn sell_out(conn: &mut DbConnection, listing: &ListingRow) -> Result<(), ApiError> {
    let row = load_listing(conn, &listing.id)?;
    lots::move_to(conn, &row, ListingEvent::SellOut, Some(lots::SOLD_OUT))?;
    end_open_offers(conn, &listing.id, OfferEvent::LotClosed, lots::SOLD_OUT)
}
