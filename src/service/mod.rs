//! Use cases, grouped by context: accounts, the market, matching and the alliance. Each use case
//! is one function over a connection; the caller runs it inside one transaction (see the README's
//! layout section). Every table has exactly one module that writes it, named in that module's doc.

pub mod accounts;
pub mod alliance;
pub mod audit;
pub mod city;
pub mod demo;
pub mod export;
pub mod idempotency;
pub mod input;
pub mod jobs;
pub mod market;
pub mod matching;
pub mod notifications;
pub mod page;
pub mod supply;
