//! Both backends' migrations give the same schema, and every migration runs up, down and up.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel_migrations::MigrationHarness;
use wufei::db::{
    DbConnection, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, connection_string, run_migrations,
};

use crate::helpers::TestDatabase;

/// table → column → (portable type, nullable)
type Shape = BTreeMap<String, BTreeMap<String, (String, bool)>>;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = type_)]
    type_: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

fn portable(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "timestamp without time zone" | "timestamp" => "timestamp".into(),
        "double precision" | "double" => "double".into(),
        "int" | "integer" => "integer".into(),
        other => other.into(),
    }
}

fn connect(url: &str) -> DbConnection {
    DbConnection::establish(&connection_string(url).unwrap()).expect("connect")
}

fn shape(conn: &mut DbConnection) -> Shape {
    let mut shape = Shape::new();
    match conn {
        DbConnection::Sqlite(c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap();
            // SQLite's own indexes stand where PostgreSQL has a GIN or GiST index: the FTS5
            // tables of the text index (migration 000013) and the integer key they point at; the
            // R*Tree of the demands' reach and its keys (000015).
            for t in tables.into_iter().filter(|t| {
                !t.name.starts_with("listing_texts_fts") && !t.name.starts_with("demand_reach")
            }) {
                let cols: Vec<SqliteColumn> = diesel::sql_query(format!(
                    "SELECT name, type AS type_, \"notnull\" FROM pragma_table_info('{}')",
                    t.name
                ))
                .load(c)
                .unwrap();
                let entry = shape.entry(t.name).or_default();
                for col in cols.into_iter().filter(|c| c.name != "fts_rowid") {
                    entry.insert(col.name, (portable(&col.type_), col.notnull == 0));
                }
            }
        }
        DbConnection::Postgresql(c) => {
            let cols: Vec<PgColumn> = diesel::sql_query(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap();
            for col in cols {
                shape.entry(col.table_name).or_default().insert(
                    col.column_name,
                    (portable(&col.data_type), col.is_nullable == "YES"),
                );
            }
        }
    }
    shape
}

#[test]
fn sqlite_and_postgres_schemas_match() {
    let sqlite = TestDatabase::sqlite();
    let pg = TestDatabase::postgres();
    let mut a = connect(&sqlite.url);
    let mut b = connect(&pg.url);
    run_migrations(&mut a).unwrap();
    run_migrations(&mut b).unwrap();
    let (sa, sb) = (shape(&mut a), shape(&mut b));
    assert!(sa.len() >= 10, "tables found: {:?}", sa.keys());
    assert_eq!(sa, sb);
}

#[test]
fn migration_sets_have_the_same_names() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[test]
fn migrations_run_up_down_and_up_again() {
    let db = TestDatabase::new();
    let mut conn = connect(&db.url);
    run_migrations(&mut conn).unwrap();
    let before = shape(&mut conn);
    match &mut conn {
        DbConnection::Sqlite(c) => {
            c.revert_all_migrations(SQLITE_MIGRATIONS).unwrap();
        }
        DbConnection::Postgresql(c) => {
            c.revert_all_migrations(POSTGRES_MIGRATIONS).unwrap();
        }
    }
    assert!(
        shape(&mut conn).is_empty(),
        "down.sql leaves nothing behind"
    );
    run_migrations(&mut conn).unwrap();
    assert_eq!(shape(&mut conn), before);
}
