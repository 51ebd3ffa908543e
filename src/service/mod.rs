//! Use cases: one function per action, each owning its transaction.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod audit;
pub mod catalog;
pub mod deals;
pub mod demands;
pub mod demo;
pub mod idempotency;
pub mod ledger;
pub mod listings;
pub mod moderation;
pub mod notifications;
pub mod offers;
pub mod organizations;
pub mod passwords;
pub mod projects;
pub mod search;
pub mod sessions;
pub mod stats;
pub mod tokens;
