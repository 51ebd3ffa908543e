//! Offers on lots and their state machine (docs/DESIGN.md, "Offers").

text_enum! {
    pub enum OfferStatus {
        Pending => "pending",
        Countered => "countered",
        Accepted => "accepted",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Expired => "expired",
        Invalidated => "invalidated",
    }
}

text_enum! {
    /// What the receiver will do with the material.
    pub enum IntendedUse {
        Cement => "cement",
        Concrete => "concrete",
        RoadBase => "road_base",
        BricksBlocks => "bricks_blocks",
        /// Filling abandoned sand and mine pits.
        BackfillRestoration => "backfill_restoration",
        MineralRecovery => "mineral_recovery",
        ResearchTrial => "research_trial",
        Other => "other",
    }
}

state_events! {
    pub enum OfferEvent {
        /// The producer accepts (all or part).
        Accept => "accepted",
        /// The producer rejects, with a reason.
        Reject => "rejected",
        /// The producer proposes other terms.
        Counter => "countered",
        /// The bidder accepts the counter-offer.
        AcceptCounter => "settled by accepting the counter-offer",
        /// The bidder rejects the counter-offer.
        RejectCounter => "ended by rejecting the counter-offer",
        /// The bidder takes the offer back.
        Withdraw => "withdrawn",
        /// The expiry passed.
        Expire => "expired",
        /// The lot's material terms changed: the bidder must offer again.
        Invalidate => "invalidated",
        /// The lot closed: sold out to other offers, or withdrawn.
        LotClosed => "ended by the lot closing",
    }
}

/// Who may cause an event: the lot's producer, the bidder, or the system itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferActor {
    Producer,
    Bidder,
    System,
}

impl OfferEvent {
    pub fn actor(self) -> OfferActor {
        use OfferEvent::*;
        match self {
            Accept | Reject | Counter => OfferActor::Producer,
            AcceptCounter | RejectCounter | Withdraw => OfferActor::Bidder,
            Expire | Invalidate | LotClosed => OfferActor::System,
        }
    }
}

pub fn transition(from: OfferStatus, event: OfferEvent) -> Option<OfferStatus> {
    use OfferEvent::*;
    use OfferStatus::*;
    match (from, event) {
        (Pending, Accept) => Some(Accepted),
        (Pending | Countered, Reject) => Some(Rejected),
        (Pending, Counter) => Some(Countered),
        (Countered, AcceptCounter) => Some(Accepted),
        (Countered, RejectCounter) => Some(Rejected),
        (Pending | Countered, Withdraw) => Some(Withdrawn),
        (Pending | Countered, Expire) => Some(Expired),
        (Pending | Countered, Invalidate) => Some(Invalidated),
        (Pending | Countered, LotClosed) => Some(Rejected),
        _ => None,
    }
}

/// Offers still waiting for someone: the ones a sell-out, an edit or an expiry ends.
pub const OPEN: [OfferStatus; 2] = [OfferStatus::Pending, OfferStatus::Countered];

#[cfg(test)]
mod tests {
    use super::*;
    use OfferEvent::*;
    use OfferStatus::*;

    #[test]
    fn offer_table() {
        let statuses = [
            Pending,
            Countered,
            Accepted,
            Rejected,
            Withdrawn,
            Expired,
            Invalidated,
        ];
        let events = [
            Accept,
            Reject,
            Counter,
            AcceptCounter,
            RejectCounter,
            Withdraw,
            Expire,
            Invalidate,
            LotClosed,
        ];
        let allowed = [
            (Pending, Accept, Accepted),
            (Pending, Reject, Rejected),
            (Countered, Reject, Rejected),
            (Pending, Counter, Countered),
            (Countered, AcceptCounter, Accepted),
            (Countered, RejectCounter, Rejected),
            (Pending, Withdraw, Withdrawn),
            (Countered, Withdraw, Withdrawn),
            (Pending, Expire, Expired),
            (Countered, Expire, Expired),
            (Pending, Invalidate, Invalidated),
            (Countered, Invalidate, Invalidated),
            (Pending, LotClosed, Rejected),
            (Countered, LotClosed, Rejected),
        ];
        crate::domain::assert_table(&statuses, &events, &allowed, transition);
    }

    #[test]
    fn final_states_stay_final() {
        for from in [Accepted, Rejected, Withdrawn, Expired, Invalidated] {
            assert!(!OPEN.contains(&from));
        }
    }
}
