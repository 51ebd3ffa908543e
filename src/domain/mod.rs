//! Pure rules of the exchange: identifiers, codes, roles and state machines. No I/O here.

pub mod deal;
pub mod grading;
pub mod listing;
pub mod matching;
pub mod offer;
pub mod organization;
pub mod outbox;
pub mod quantity;
pub mod time;
pub mod uscc;
