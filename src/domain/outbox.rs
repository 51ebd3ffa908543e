//! Delivery states of an outbox email.

text_enum! {
    /// `pending` until sent; `dead` after the last failed attempt, for staff to look at.
    pub enum OutboxStatus {
        Pending => "pending",
        Sent => "sent",
        Dead => "dead",
    }
}
