//! The one integration-test binary: every module starts real servers on port 0 with a fresh
//! database each. The backend comes from WUFEI_TEST_DATABASE_URL (SQLite temp file by default).

mod access;
mod alliance;
mod auth;
mod cities;
mod city;
mod contracts;
mod conventions;
mod helpers;
mod jobs;
mod listings;
mod matching;
mod ops;
mod outbox;
mod pages;
mod replica;
mod rules;
mod schema;
mod security;
mod spec;
mod stats;
mod trade;
