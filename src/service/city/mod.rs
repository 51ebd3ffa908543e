//! The city desk (无废专班): producers' declarations, the capacity registry, key projects,
//! indicators, the official figures with the annual report (docs/CITY.md), and the exchange's
//! own statistics.

pub mod capacities;
pub mod declarations;
pub mod figures;
pub mod indicators;
pub mod key_projects;
pub mod profile;
pub mod stats;
