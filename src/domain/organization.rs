//! Organizations: kinds, roles and the verification state machine (docs/DESIGN.md, "Organizations").

text_enum! {
    /// What an organization does on the exchange; the alliance itself is kind `alliance`.
    pub enum OrgKind {
        Producer => "producer",
        Receiver => "receiver",
        Research => "research",
        Alliance => "alliance",
    }
}

impl OrgKind {
    /// Stored as a sorted comma-separated list (portable across both backends).
    pub fn join(kinds: &[OrgKind]) -> String {
        let mut v = kinds.to_vec();
        v.sort();
        v.dedup();
        v.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn split(stored: &str) -> Vec<OrgKind> {
        stored.split(',').filter_map(Self::parse).collect()
    }
}

text_enum! {
    /// A person's role inside their organization.
    pub enum OrgRole {
        Owner => "owner",
        Member => "member",
    }
}

text_enum! {
    /// Alliance staff and the admins who manage them.
    pub enum PlatformRole {
        Staff => "staff",
        Admin => "admin",
    }
}

text_enum! {
    /// The language of a person's emails and notifications.
    pub enum Language {
        Zh => "zh",
        En => "en",
    }
}

text_enum! {
    pub enum VerificationStatus {
        Unverified => "unverified",
        Pending => "pending",
        Verified => "verified",
        Rejected => "rejected",
    }
}

state_events! {
    /// What can happen to an organization's verification.
    pub enum VerificationEvent {
        /// The owner asks for verification (again, after a rejection).
        Submit => "submitted for verification",
        /// Staff verify.
        Verify => "verified",
        /// Staff reject, with a reason.
        Reject => "rejected",
    }
}

/// The verification state machine. Suspension is a separate flag: it stops a verified
/// organization from trading without erasing that it was verified.
pub fn transition(
    from: VerificationStatus,
    event: VerificationEvent,
) -> Option<VerificationStatus> {
    use VerificationEvent::*;
    use VerificationStatus::*;
    match (from, event) {
        (Unverified | Rejected, Submit) => Some(Pending),
        (Pending, Verify) => Some(Verified),
        (Pending, Reject) => Some(Rejected),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use VerificationEvent::*;
    use VerificationStatus::*;

    #[test]
    fn verification_table() {
        let table = [
            (Unverified, Submit, Some(Pending)),
            (Unverified, Verify, None),
            (Unverified, Reject, None),
            (Pending, Submit, None),
            (Pending, Verify, Some(Verified)),
            (Pending, Reject, Some(Rejected)),
            (Verified, Submit, None),
            (Verified, Verify, None),
            (Verified, Reject, None),
            (Rejected, Submit, Some(Pending)),
            (Rejected, Verify, None),
            (Rejected, Reject, None),
        ];
        for (from, event, to) in table {
            assert_eq!(transition(from, event), to, "{from:?} + {event:?}");
        }
    }

    #[test]
    fn kinds_round_trip_sorted_and_unique() {
        let stored = OrgKind::join(&[OrgKind::Receiver, OrgKind::Producer, OrgKind::Receiver]);
        assert_eq!(stored, "producer,receiver");
        assert_eq!(
            OrgKind::split(&stored),
            vec![OrgKind::Producer, OrgKind::Receiver]
        );
    }
}
