//! Accounts: who is calling, users and their sessions, organizations with their sites and
//! invitations, and staff management.

pub mod access;
pub mod invitations;
pub mod organizations;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
