//! Email: templates, the transactional outbox, and the worker that delivers it.

pub mod outbox;
pub mod templates;
pub mod worker;
