//! Matching's spatial questions, each answered from its backend's index. Which open demands can
//! reach a point: SQLite's R*Tree over the demands' reach boxes (`demand_reaches`, kept to the
//! open demands by triggers), a PostgreSQL GiST index on the box (partial, open demands). Which
//! published lots lie in a box: `listings_match_idx`, a B-tree on SQLite, a GiST index on the
//! lot's point on PostgreSQL (partial, published lots), both carrying the terms matching reads.
//! The exact distance is the matching domain's to check.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text};

use super::{DbConnection, MultiBackend};
use crate::db::schema::{demands, listings};
use crate::domain::listing::{BoundingBox, ListingStatus};

/// Open demands of `category` whose reach box holds (`lat`, `lon`), found through the index.
pub fn reaching(
    conn: &DbConnection,
    category: &str,
    lat: f64,
    lon: f64,
) -> Box<dyn BoxableExpression<demands::table, MultiBackend, SqlType = Bool>> {
    let category = format!("%{category}%");
    match conn {
        // The tree's hits are checked for the category on their narrow key rows, so only the
        // demands that take the lot's category are read.
        DbConnection::Sqlite(_) => Box::new(
            sql::<Bool>(
                "demands.id IN (SELECT k.demand_id FROM demand_reaches r \
                 JOIN demand_reach_keys k ON k.reach_id = r.reach_id WHERE k.categories LIKE ",
            )
            .bind::<Text, _>(category)
            .sql(" AND r.south <= ")
            .bind::<Double, _>(lat)
            .sql(" AND r.north >= ")
            .bind::<Double, _>(lat)
            .sql(" AND r.west <= ")
            .bind::<Double, _>(lon)
            .sql(" AND r.east >= ")
            .bind::<Double, _>(lon)
            .sql(")"),
        ),
        DbConnection::Postgresql(_) => Box::new(
            sql::<Bool>(
                "box(point(demands.reach_west, demands.reach_south), \
                 point(demands.reach_east, demands.reach_north)) && box(point(",
            )
            .bind::<Double, _>(lon)
            .sql(", ")
            .bind::<Double, _>(lat)
            .sql("), point(")
            .bind::<Double, _>(lon)
            .sql(", ")
            .bind::<Double, _>(lat)
            .sql(")) AND demands.status = 'open' AND demands.categories LIKE ")
            .bind::<Text, _>(category),
        ),
    }
}

/// Latitude span beyond which PostgreSQL reads a box by scanning: about 450 km either side.
const WIDE_BOX_DEGREES: f64 = 8.0;

/// Published lots inside `b`, found through `listings_match_idx`: on SQLite the latitude band
/// of the B-tree, the longitude checked in the index; on PostgreSQL the GiST index on the lot's
/// point, which no search states and so no search's plan can pick. A box wider than a few
/// provinces (a national buyer's) holds most of the market, and PostgreSQL costs every `<@ box`
/// at a fixed small share of the rows: it is stated as plain ranges, which the planner costs
/// right and reads with a parallel scan instead of walking the whole index.
pub fn lots_within(
    conn: &DbConnection,
    b: &BoundingBox,
) -> Box<dyn BoxableExpression<listings::table, MultiBackend, SqlType = Bool>> {
    let wide = b.max_lat - b.min_lat > WIDE_BOX_DEGREES;
    match conn {
        // The status as a literal: the index is partial, and a generic plan cannot prove that
        // a bound `status = $1` implies it.
        DbConnection::Postgresql(_) if !wide => Box::new(
            sql::<Bool>(
                "listings.status = 'published' AND point(listings.lon, listings.lat) <@ box(point(",
            )
            .bind::<Double, _>(b.min_lon)
            .sql(", ")
            .bind::<Double, _>(b.min_lat)
            .sql("), point(")
            .bind::<Double, _>(b.max_lon)
            .sql(", ")
            .bind::<Double, _>(b.max_lat)
            .sql("))"),
        ),
        _ => Box::new(
            listings::status
                .eq(ListingStatus::Published.as_str())
                .and(listings::lat.between(b.min_lat, b.max_lat))
                .and(listings::lon.between(b.min_lon, b.max_lon)),
        ),
    }
}
