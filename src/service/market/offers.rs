//! Sealed offers: placing, the producer's and the bidder's actions, and their end when the lot
//! closes or they expire. Acceptance lives in `acceptance`. The only writer of `offers`.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::new_id;
use crate::db::schema::{listings, offers, organizations, sites};
use crate::db::{DbConnection, now};
use crate::domain::listing::{ListingStatus, PricingModel};
use crate::domain::notification::NotificationKind;
use crate::domain::offer::{IntendedUse, OPEN, OfferActor, OfferEvent, OfferStatus, transition};
use crate::domain::organization::OrgKind;
use crate::domain::quantity::{format_tonnes, format_yuan};
use crate::domain::uses;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes, Yuan};
use crate::service::market::catalog::use_refused;
use crate::service::market::lots::{ListingRow, grades_of, load_row as load_listing, visible};
use crate::service::notifications::{Notice, notify, notify_owners};
use crate::service::page::{Page, PageQuery};

const DEFAULT_EXPIRY_DAYS: i64 = 7;
const MAX_EXPIRY_DAYS: i64 = 90;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// Tonnes, at least the lot's minimum order (research trials may ask for less), at most what remains.
    pub quantity_t: Tonnes,
    /// Yuan per tonne; negative means the producer pays a gate fee.
    pub price_per_t: Yuan,
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    /// Checked against the use table (`GET /catalog/rules`): 422 `use_not_permitted` names the
    /// rule when the lot may not be put to this use.
    pub intended_use: IntendedUse,
    /// One of the bidder's sites, where the material goes: a lined site (GB 18599 class II) may
    /// take class II waste for restoration; manifests show it.
    #[schema(max_length = 40)]
    pub receiving_site_id: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 2000
    )]
    pub message: Option<String>,
    /// Defaults to 7 days from now; at most 90.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Counter {
    pub price_per_t: String,
    pub quantity_t: String,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Offer {
    pub id: String,
    pub listing_id: String,
    /// The bidding organization.
    pub organization_id: String,
    pub status: OfferStatus,
    pub status_reason: Option<String>,
    pub quantity_t: String,
    pub price_per_t: String,
    pub available_from: Option<DateTime<Utc>>,
    pub available_until: Option<DateTime<Utc>>,
    pub intended_use: IntendedUse,
    pub receiving_site_id: Option<String>,
    pub message: String,
    pub expires_at: DateTime<Utc>,
    /// The producer's counter-offer, while or after it was made.
    pub counter: Option<Counter>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Debug, Clone)]
pub struct OfferRow {
    pub id: String,
    pub listing_id: String,
    pub organization_id: String,
    pub user_id: String,
    pub quantity_kg: i64,
    pub price_fen_per_t: i64,
    pub window_from: Option<NaiveDateTime>,
    pub window_until: Option<NaiveDateTime>,
    pub intended_use: IntendedUse,
    pub message: String,
    pub expires_at: NaiveDateTime,
    pub status: OfferStatus,
    pub status_reason: Option<String>,
    pub counter_price_fen_per_t: Option<i64>,
    pub counter_quantity_kg: Option<i64>,
    pub counter_message: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub receiving_site_id: Option<String>,
}

impl OfferRow {
    /// Past its expiry an open offer reads as expired, even before the housekeeping job ends it.
    pub fn status(&self) -> OfferStatus {
        if OPEN.contains(&self.status) && self.expires_at <= now() {
            OfferStatus::Expired
        } else {
            self.status
        }
    }

    pub fn view(&self) -> Offer {
        Offer {
            id: self.id.clone(),
            listing_id: self.listing_id.clone(),
            organization_id: self.organization_id.clone(),
            status: self.status(),
            status_reason: self.status_reason.clone(),
            quantity_t: format_tonnes(self.quantity_kg),
            price_per_t: format_yuan(self.price_fen_per_t),
            available_from: self.window_from.map(|t| t.and_utc()),
            available_until: self.window_until.map(|t| t.and_utc()),
            intended_use: self.intended_use,
            receiving_site_id: self.receiving_site_id.clone(),
            message: self.message.clone(),
            expires_at: self.expires_at.and_utc(),
            counter: self.counter_price_fen_per_t.map(|p| Counter {
                price_per_t: format_yuan(p),
                quantity_t: format_tonnes(self.counter_quantity_kg.unwrap_or(self.quantity_kg)),
                message: self.counter_message.clone(),
            }),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// The use table's verdict on putting this lot to `intended_use` at the receiver's site: the same
/// check when an offer is placed and when a deal is made (matching asks `uses::check` too).
pub fn check_use(
    conn: &mut DbConnection,
    listing: &ListingRow,
    intended_use: IntendedUse,
    receiver_org: &str,
    receiving_site_id: Option<&str>,
) -> Result<(), ApiError> {
    let lined = match receiving_site_id {
        None => false,
        Some(site) => sites::table
            .filter(sites::id.eq(site))
            .filter(sites::organization_id.eq(receiver_org))
            .select(sites::lined)
            .first::<bool>(conn)
            .optional()?
            .ok_or_else(|| {
                ApiError::field(
                    "receiving_site_id",
                    "unknown_site",
                    "is not a site of your organization",
                )
            })?,
    };
    let grades = grades_of(conn, &listing.id)?;
    uses::check(
        intended_use,
        &listing.category_code,
        listing.subtype.as_deref(),
        &grades,
        lined,
    )
    .map_err(use_refused)
}

pub fn load_row(conn: &mut DbConnection, id: &str) -> Result<OfferRow, ApiError> {
    Ok(offers::table.find(id).first(conn)?)
}

/// Offers are sealed: the bidder's organization, the lot's producer and staff see one; for anyone
/// else it does not exist.
fn sees(user: &CurrentUser, offer: &OfferRow, listing: &ListingRow) -> bool {
    user.is_staff()
        || user.belongs_to(&offer.organization_id)
        || user.belongs_to(&listing.organization_id)
}

pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> Result<Offer, ApiError> {
    let offer = load_row(conn, id)?;
    let listing = load_listing(conn, &offer.listing_id)?;
    if !sees(user, &offer, &listing) {
        return Err(ApiError::not_found());
    }
    Ok(offer.view())
}

/// The offers on a lot: all of them for its producer and staff, only their own for a bidder.
pub fn for_listing(
    conn: &mut DbConnection,
    user: &CurrentUser,
    listing_id: &str,
    page: &PageQuery,
) -> Result<Page<Offer>, ApiError> {
    let limit = page.limit()?;
    let listing = load_listing(conn, listing_id)?;
    if !visible(user, &listing) {
        return Err(ApiError::not_found());
    }
    let mut q = offers::table
        .filter(offers::listing_id.eq(listing_id))
        .order(offers::id.asc())
        .limit(limit)
        .into_boxed();
    if !(user.is_staff() || user.belongs_to(&listing.organization_id)) {
        q = q.filter(offers::organization_id.eq(user.organization_id.clone().unwrap_or_default()));
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(offers::id.gt(after));
    }
    let rows: Vec<OfferRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |o| o.id.clone()).map(|o| o.view()))
}

/// The caller organization's offers: made (`received = false`) or received on its lots.
pub fn mine(
    conn: &mut DbConnection,
    user: &CurrentUser,
    received: bool,
    status: Option<OfferStatus>,
    page: &PageQuery,
) -> Result<Page<Offer>, ApiError> {
    let limit = page.limit()?;
    let org = user.organization_id.clone().unwrap_or_default();
    let mut q = offers::table
        .order(offers::id.asc())
        .limit(limit)
        .into_boxed();
    q = if received {
        q.filter(
            offers::listing_id.eq_any(
                listings::table
                    .filter(listings::organization_id.eq(org))
                    .select(listings::id),
            ),
        )
    } else {
        q.filter(offers::organization_id.eq(org))
    };
    match status {
        // An open offer past its expiry reads as expired before the job has ended it.
        Some(OfferStatus::Expired) => {
            q = q.filter(
                offers::status.eq(OfferStatus::Expired).or(offers::status
                    .eq_any(OPEN)
                    .and(offers::expires_at.le(now()))),
            )
        }
        Some(s) if OPEN.contains(&s) => {
            q = q.filter(offers::status.eq(s).and(offers::expires_at.gt(now())))
        }
        Some(s) => q = q.filter(offers::status.eq(s)),
        None => {}
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(offers::id.gt(after));
    }
    let rows: Vec<OfferRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |o| o.id.clone()).map(|o| o.view()))
}

pub fn place(
    conn: &mut DbConnection,
    user: &CurrentUser,
    listing_id: &str,
    req: &OfferInput,
) -> Result<Offer, ApiError> {
    let org = user.require_verified_member()?.to_string();
    let kinds: String = organizations::table
        .find(&org)
        .select(organizations::kinds)
        .first(conn)?;
    let kinds = OrgKind::split(&kinds);
    let research = kinds.contains(&OrgKind::Research);
    if !kinds.contains(&OrgKind::Receiver) && !research {
        return Err(ApiError::forbidden(
            "receiver_only",
            "Only receiver and research organizations make offers.",
        ));
    }
    let listing = load_listing(conn, listing_id)?;
    if !visible(user, &listing) {
        return Err(ApiError::not_found());
    }
    if listing.organization_id == org {
        return Err(ApiError::forbidden(
            "own_listing",
            "You cannot bid on your own organization's lot.",
        ));
    }
    if listing.status_now() != ListingStatus::Published {
        return Err(ApiError::conflict(
            "listing_not_open",
            "The lot is not open for offers.",
        ));
    }
    let mut c = Checks::default();
    let quantity = c.tonnes("quantity_t", &req.quantity_t);
    let price = c.yuan("price_per_t", &req.price_per_t);
    if let Some(q) = quantity {
        if q > listing.remaining_kg {
            c.push(
                "quantity_t",
                "exceeds_remaining",
                format!("at most {} t remain", format_tonnes(listing.remaining_kg)),
            );
        }
        let trial = research && req.intended_use == IntendedUse::ResearchTrial;
        if q < listing.min_order_kg && !trial {
            c.push(
                "quantity_t",
                "below_min_order",
                format!(
                    "the minimum order is {} t",
                    format_tonnes(listing.min_order_kg)
                ),
            );
        }
    }
    if let (Some(p), Some(reserve)) = (price, listing.reserve_fen_per_t)
        && listing.pricing_model == PricingModel::Offers
        && p < reserve
    {
        c.push(
            "price_per_t",
            "below_reserve",
            "is below the lot's reserve price",
        );
    }
    let at = now();
    let expires_at = req
        .expires_at
        .map_or(at + Duration::days(DEFAULT_EXPIRY_DAYS), |t| t.naive_utc());
    if expires_at <= at + Duration::minutes(1) || expires_at > at + Duration::days(MAX_EXPIRY_DAYS)
    {
        c.push(
            "expires_at",
            "out_of_range",
            "must be between a minute and 90 days from now",
        );
    }
    if let (Some(from), Some(until)) = (req.available_from, req.available_until)
        && until <= from
    {
        c.push(
            "available_until",
            "before_start",
            "must be after available_from",
        );
    }
    if let Some(m) = &req.message {
        c.long_text("message", m, 0, 2000);
    }
    c.finish()?;
    check_use(
        conn,
        &listing,
        req.intended_use,
        &org,
        req.receiving_site_id.as_deref(),
    )?;
    let id = new_id();
    diesel::insert_into(offers::table)
        .values((
            offers::id.eq(&id),
            offers::listing_id.eq(listing_id),
            offers::organization_id.eq(&org),
            offers::user_id.eq(&user.id),
            offers::quantity_kg.eq(quantity.unwrap_or_default()),
            offers::price_fen_per_t.eq(price.unwrap_or_default()),
            offers::window_from.eq(req.available_from.map(|t| t.naive_utc())),
            offers::window_until.eq(req.available_until.map(|t| t.naive_utc())),
            offers::intended_use.eq(req.intended_use),
            offers::receiving_site_id.eq(req.receiving_site_id.as_deref()),
            offers::message.eq(req.message.as_deref().unwrap_or_default().trim()),
            offers::expires_at.eq(expires_at),
            offers::status.eq(OfferStatus::Pending),
            offers::created_at.eq(at),
            offers::updated_at.eq(at),
        ))
        .execute(conn)?;
    let offer = load_row(conn, &id)?;
    record(conn, &user.id, "offer.placed", &offer, None)?;
    notify_owners(
        conn,
        &listing.organization_id,
        &Notice {
            kind: NotificationKind::OfferReceived,
            title_zh: format!("收到新报价：{}", listing.title),
            title_en: format!("New offer on {}", listing.title),
            body_zh: format!(
                "{} 吨，每吨 {} 元。",
                format_tonnes(offer.quantity_kg),
                format_yuan(offer.price_fen_per_t)
            ),
            body_en: format!(
                "{} t at {} yuan/t.",
                format_tonnes(offer.quantity_kg),
                format_yuan(offer.price_fen_per_t)
            ),
            object_type: Some("offer"),
            object_id: Some(&id),
        },
    )?;
    Ok(offer.view())
}

pub fn record(
    conn: &mut DbConnection,
    actor: &str,
    action: &str,
    after: &OfferRow,
    before: Option<&OfferRow>,
) -> QueryResult<()> {
    audit::record(
        conn,
        Entry {
            actor: Some(actor),
            action,
            object_type: "offer",
            object_id: &after.id,
            reason: after.status_reason.as_deref(),
        },
        before.map(OfferRow::view).as_ref(),
        Some(&after.view()),
    )
}

/// Checks that `user` may cause `event` on this offer: the producer's organization for producer
/// actions, the bidder's for bidder actions. Anyone who cannot see the offer gets 404.
pub fn authorize(
    conn: &mut DbConnection,
    user: &CurrentUser,
    offer: &OfferRow,
    event: OfferEvent,
) -> Result<ListingRow, ApiError> {
    let listing = load_listing(conn, &offer.listing_id)?;
    if !(user.belongs_to(&offer.organization_id) || user.belongs_to(&listing.organization_id)) {
        return Err(ApiError::not_found());
    }
    let allowed = match event.actor() {
        OfferActor::Producer => user.belongs_to(&listing.organization_id),
        OfferActor::Bidder => user.belongs_to(&offer.organization_id),
        OfferActor::System => false,
    };
    if !allowed {
        return Err(ApiError::forbidden(
            "not_your_move",
            "The other party makes this move.",
        ));
    }
    user.require_verified_member()?;
    Ok(listing)
}

pub fn not_open(offer: &OfferRow, event: OfferEvent) -> ApiError {
    ApiError::conflict(
        "offer_not_open",
        format!(
            "The offer is {}; it cannot be {} now.",
            offer.status().label(),
            event.past_tense()
        ),
    )
}

/// One guarded state change: only from the status the offer was read in, and never after expiry.
/// Returns the offer as changed.
pub fn change_status(
    conn: &mut DbConnection,
    offer: &OfferRow,
    event: OfferEvent,
    reason: Option<&str>,
) -> Result<OfferRow, ApiError> {
    let to = transition(offer.status, event).ok_or_else(|| not_open(offer, event))?;
    let at = now();
    let values = (
        offers::status.eq(to),
        offers::status_reason.eq(reason),
        offers::version.eq(offers::version + 1),
        offers::updated_at.eq(at),
    );
    let target = offers::table
        .filter(offers::id.eq(&offer.id))
        .filter(offers::status.eq(offer.status));
    let changed: Option<OfferRow> = if event.actor() == OfferActor::System {
        diesel::update(target)
            .set(values)
            .get_result(conn)
            .optional()?
    } else {
        // People act only on live offers; expiry is checked in the same statement.
        diesel::update(target.filter(offers::expires_at.gt(at)))
            .set(values)
            .get_result(conn)
            .optional()?
    };
    match changed {
        Some(after) => Ok(after),
        None => {
            let now_row = load_row(conn, &offer.id)?;
            Err(if now_row.status == offer.status {
                ApiError::conflict("offer_expired", "The offer has expired.")
            } else {
                not_open(&now_row, event)
            })
        }
    }
}

pub fn tell_bidder(
    conn: &mut DbConnection,
    offer: &OfferRow,
    kind: NotificationKind,
    zh: &str,
    en: &str,
    note: &str,
) -> QueryResult<()> {
    notify(
        conn,
        &offer.user_id,
        &Notice::with_note(kind, zh, en, note, "offer", &offer.id),
    )
}

pub fn reject(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    reason: &str,
) -> Result<Offer, ApiError> {
    let mut c = Checks::default();
    c.reason("reason", reason);
    c.finish()?;
    let before = load_row(conn, id)?;
    authorize(conn, user, &before, OfferEvent::Reject)?;
    let after = change_status(conn, &before, OfferEvent::Reject, Some(reason))?;
    record(conn, &user.id, "offer.rejected", &after, Some(&before))?;
    tell_bidder(
        conn,
        &after,
        NotificationKind::OfferRejected,
        "报价被拒绝",
        "Offer rejected",
        reason,
    )?;
    Ok(after.view())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterRequest {
    pub price_per_t: Option<Yuan>,
    pub quantity_t: Option<Tonnes>,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 2000
    )]
    pub message: Option<String>,
}

pub fn counter(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &CounterRequest,
) -> Result<Offer, ApiError> {
    let before = load_row(conn, id)?;
    let listing = authorize(conn, user, &before, OfferEvent::Counter)?;
    let mut c = Checks::default();
    let price = req
        .price_per_t
        .as_ref()
        .and_then(|p| c.yuan("price_per_t", p));
    let quantity = req
        .quantity_t
        .as_ref()
        .and_then(|q| c.tonnes("quantity_t", q));
    if req.price_per_t.is_none() && req.quantity_t.is_none() {
        c.push(
            "price_per_t",
            "required",
            "a counter-offer changes the price, the quantity or both",
        );
    }
    if quantity.is_some_and(|q| q > listing.remaining_kg) {
        c.push(
            "quantity_t",
            "exceeds_remaining",
            format!("at most {} t remain", format_tonnes(listing.remaining_kg)),
        );
    }
    if let Some(m) = &req.message {
        c.long_text("message", m, 0, 2000);
    }
    c.finish()?;
    change_status(conn, &before, OfferEvent::Counter, None)?;
    diesel::update(offers::table.find(id))
        .set((
            offers::counter_price_fen_per_t.eq(price.unwrap_or(before.price_fen_per_t)),
            offers::counter_quantity_kg.eq(quantity.unwrap_or(before.quantity_kg)),
            offers::counter_message.eq(req.message.as_deref().map(str::trim)),
        ))
        .execute(conn)?;
    let after = load_row(conn, id)?;
    record(conn, &user.id, "offer.countered", &after, Some(&before))?;
    let terms = format!(
        "{} t @ {} yuan/t",
        format_tonnes(after.counter_quantity_kg.unwrap_or(after.quantity_kg)),
        format_yuan(
            after
                .counter_price_fen_per_t
                .unwrap_or(after.price_fen_per_t)
        )
    );
    tell_bidder(
        conn,
        &after,
        NotificationKind::OfferCountered,
        "卖方提出还价",
        "Counter-offer received",
        &terms,
    )?;
    Ok(after.view())
}

pub fn withdraw(conn: &mut DbConnection, user: &CurrentUser, id: &str) -> Result<Offer, ApiError> {
    bidder_ends(
        conn,
        user,
        id,
        OfferEvent::Withdraw,
        "offer.withdrawn",
        "withdrawn",
    )
}

pub fn reject_counter(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<Offer, ApiError> {
    bidder_ends(
        conn,
        user,
        id,
        OfferEvent::RejectCounter,
        "offer.counter_rejected",
        "counter_rejected",
    )
}

fn bidder_ends(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    event: OfferEvent,
    action: &str,
    reason: &str,
) -> Result<Offer, ApiError> {
    let before = load_row(conn, id)?;
    let listing = authorize(conn, user, &before, event)?;
    let after = change_status(conn, &before, event, Some(reason))?;
    record(conn, &user.id, action, &after, Some(&before))?;
    notify_owners(
        conn,
        &listing.organization_id,
        &Notice {
            kind: if event == OfferEvent::Withdraw {
                NotificationKind::OfferWithdrawn
            } else {
                NotificationKind::CounterRejected
            },
            title_zh: format!("报价已撤回或还价被拒：{}", listing.title),
            title_en: format!("Offer {reason}: {}", listing.title),
            body_zh: format!("{} 吨", format_tonnes(after.quantity_kg)),
            body_en: format!("{} t", format_tonnes(after.quantity_kg)),
            object_type: Some("offer"),
            object_id: Some(id),
        },
    )?;
    Ok(after.view())
}

/// Ends every open offer of a lot (sold out, withdrawn, or changed terms) and tells the bidders.
pub fn end_open_offers(
    conn: &mut DbConnection,
    listing_id: &str,
    event: OfferEvent,
    reason: &str,
) -> Result<(), ApiError> {
    let open: Vec<OfferRow> = offers::table
        .filter(offers::listing_id.eq(listing_id))
        .filter(offers::status.eq_any(OPEN))
        // Offers past their expiry already read as expired; the expiry job ends them.
        .filter(offers::expires_at.gt(now()))
        .load(conn)?;
    for offer in open {
        let after = change_status(conn, &offer, event, Some(reason))?;
        audit::record(
            conn,
            Entry {
                actor: None,
                action: "offer.ended",
                object_type: "offer",
                object_id: &offer.id,
                reason: Some(reason),
            },
            Some(&offer.view()),
            Some(&after.view()),
        )?;
        let (kind, zh, en) = match event {
            OfferEvent::Invalidate => (
                NotificationKind::OfferInvalidated,
                "挂牌条件已变更，请重新报价",
                "The lot's terms changed: please offer again",
            ),
            _ => (
                NotificationKind::OfferRejected,
                "报价未成交",
                "Offer not accepted",
            ),
        };
        tell_bidder(conn, &after, kind, zh, en, reason)?;
    }
    Ok(())
}

/// Housekeeping: open offers past their expiry end as expired, and their bidders are told, as at
/// any other end of an offer. Each offer moves by its own guarded update, so of several instances
/// running this at once exactly one ends (and tells) each offer.
pub fn expire(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let due: Vec<OfferRow> = offers::table
        .filter(offers::status.eq_any(OPEN))
        .filter(offers::expires_at.le(now()))
        .order(offers::expires_at.asc())
        .limit(500)
        .load(conn)?;
    let mut ended = 0;
    for offer in due {
        let after = match change_status(conn, &offer, OfferEvent::Expire, Some("expired")) {
            Ok(after) => after,
            // Another instance (or the bidder) got there first.
            Err(e) if e.status == actix_web::http::StatusCode::CONFLICT => continue,
            Err(e) => return Err(e),
        };
        audit::record(
            conn,
            Entry {
                actor: None,
                action: "offer.expired",
                object_type: "offer",
                object_id: &offer.id,
                reason: Some("expired"),
            },
            Some(&offer.view()),
            Some(&after.view()),
        )?;
        let listing = load_listing(conn, &offer.listing_id)?;
        tell_bidder(
            conn,
            &after,
            NotificationKind::OfferExpired,
            &format!("报价已过期：{}", listing.title),
            &format!("Offer expired: {}", listing.title),
            &format!("{} t", format_tonnes(after.quantity_kg)),
        )?;
        ended += 1;
    }
    Ok(ended)
}
