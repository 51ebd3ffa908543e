//! The alliance: staff moderation and its console, research projects and the producer's ledger.

pub mod ledger;
pub mod moderation;
pub mod projects;
