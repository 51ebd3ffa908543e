//! The alliance: staff moderation and its console, research projects, city statistics and the
//! producer's ledger.

pub mod ledger;
pub mod moderation;
pub mod projects;
pub mod stats;
