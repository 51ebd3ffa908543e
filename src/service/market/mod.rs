//! The market: the material catalog, lots (listings) and their search, sealed offers, and the
//! deals they become with their truckloads.

pub mod acceptance;
pub mod board;
pub mod catalog;
pub mod deals;
pub mod listings;
pub mod lots;
pub mod offers;
pub mod search;
pub mod transfers;
