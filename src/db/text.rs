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

/// Up to `cap` lots (any state) whose text holds every word, found through the index, so a rare
/// word costs what it matches. Words under three characters give the index nothing to look up;
/// they are checked on each text until `cap` are found.
pub fn lots_containing(
    conn: &mut DbConnection,
    words: &[String],
    cap: i64,
) -> QueryResult<Vec<String>> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let mut query = if sqlite {
        // The FTS table answers LIKE from its trigrams; the join reads the text it points at.
        "SELECT t.listing_id FROM listing_texts_fts f \
         JOIN listing_texts t ON t.fts_rowid = f.rowid WHERE 1 = 1"
            .to_string()
    } else {
        "SELECT t.listing_id FROM listing_texts t WHERE 1 = 1".to_string()
    };
    let mut patterns = Vec::new();
    for w in words {
        if sqlite {
            // FTS5's LIKE knows no ESCAPE: `%` and `_` of the word become wildcards there (a
            // wider net), and the exact pattern is checked on the text.
            let loose = w.replace(['%', '_', '\\'], "%");
            patterns.push(format!("%{loose}%"));
            query.push_str(&format!(" AND f.search_text LIKE ${}", patterns.len()));
        }
        patterns.push(anywhere(w));
        query.push_str(&format!(
            " AND t.search_text LIKE ${} ESCAPE '\\'",
            patterns.len()
        ));
    }
    query.push_str(&format!(" LIMIT {cap}"));
    let mut boxed = diesel::sql_query(query).into_boxed::<MultiBackend>();
    for p in patterns {
        boxed = boxed.bind::<Text, _>(p);
    }
    Ok(boxed
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
