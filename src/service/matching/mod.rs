//! Matching: receivers' demands, lots ranked against them (and back), and the digests that tell
//! receivers of new matches.

pub mod demands;
pub mod digests;
pub mod matches;
