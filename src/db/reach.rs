//! Which open demands can reach a point, from each backend's spatial index over the demands'
//! reach boxes: SQLite's R*Tree (`demand_reaches`, kept to the open demands by triggers), a
//! PostgreSQL GiST index on the box (partial, open demands). Both answer "the box holds the
//! point"; the exact distance is the matching domain's to check.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text};

use super::{DbConnection, MultiBackend};
use crate::db::schema::demands;

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
