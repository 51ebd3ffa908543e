//! Which open demands can reach a point, from each backend's spatial index over the demands'
//! reach boxes: SQLite's R*Tree (`demand_reaches`, kept to the open demands by triggers), a
//! PostgreSQL GiST index on the box (partial, open demands). Both answer "the box holds the
//! point"; the exact distance is the matching domain's to check.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double};

use super::{DbConnection, MultiBackend};
use crate::db::schema::demands;

/// Demands whose reach box holds (`lat`, `lon`); with `status = 'open'` the index answers it.
pub fn reaching(
    conn: &DbConnection,
    lat: f64,
    lon: f64,
) -> Box<dyn BoxableExpression<demands::table, MultiBackend, SqlType = Bool>> {
    match conn {
        DbConnection::Sqlite(_) => Box::new(
            sql::<Bool>(
                "demands.id IN (SELECT k.demand_id FROM demand_reaches r \
                 JOIN demand_reach_keys k ON k.reach_id = r.reach_id WHERE r.south <= ",
            )
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
            .sql("))"),
        ),
    }
}
