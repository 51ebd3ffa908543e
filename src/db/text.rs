//! Free-text lookups in each backend's trigram index: FTS5's trigram tokenizer on SQLite, pg_trgm
//! on PostgreSQL. Both read `listing_texts`, the folded title and description the service writes.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::{DbConnection, MultiBackend};
use crate::db::schema::listings;

/// `word` as a LIKE pattern matching it anywhere (`\` escapes).
fn anywhere(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    listing_id: String,
}

/// Up to `cap` lots (any state) whose text holds `word`, found through the index, so a rare word
/// costs what it matches. A word under three characters gives the index nothing to look up; it
/// is checked on each text until `cap` are found.
pub fn lots_containing(conn: &mut DbConnection, word: &str, cap: i64) -> QueryResult<Vec<String>> {
    let query = match conn {
        // The FTS table answers LIKE from its trigrams, but knows no ESCAPE: there `%`, `_` and
        // `\` of the word are wildcards (a wider net), and the join checks the exact pattern on
        // the text it points at.
        DbConnection::Sqlite(_) => diesel::sql_query(format!(
            "SELECT t.listing_id FROM listing_texts_fts f \
             JOIN listing_texts t ON t.fts_rowid = f.rowid \
             WHERE f.search_text LIKE $1 AND t.search_text LIKE $2 ESCAPE '\\' LIMIT {cap}"
        ))
        .into_boxed::<MultiBackend>()
        .bind::<Text, _>(format!("%{}%", word.replace(['%', '_', '\\'], "%"))),
        DbConnection::Postgresql(_) => diesel::sql_query(format!(
            "SELECT t.listing_id FROM listing_texts t \
             WHERE t.search_text LIKE $1 ESCAPE '\\' LIMIT {cap}"
        ))
        .into_boxed::<MultiBackend>(),
    };
    Ok(query
        .bind::<Text, _>(anywhere(word))
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.listing_id)
        .collect())
}

/// The lot's text holds `word`: checked on the lot's own row, for walking another index.
pub fn lot_contains(
    word: &str,
) -> Box<dyn BoxableExpression<listings::table, MultiBackend, SqlType = Bool>> {
    Box::new(
        sql::<Bool>(
            "EXISTS (SELECT 1 FROM listing_texts t WHERE t.listing_id = listings.id \
             AND t.search_text LIKE ",
        )
        .bind::<Text, _>(anywhere(word))
        .sql(" ESCAPE '\\')"),
    )
}
