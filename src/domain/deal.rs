//! Deals and truckloads: the deal state machine and the weighbridge tolerance (docs/DESIGN.md, "Deals").

text_enum! {
    pub enum DealStatus {
        PendingApproval => "pending_approval",
        Approved => "approved",
        InTransfer => "in_transfer",
        Completed => "completed",
        OnHold => "on_hold",
        Cancelled => "cancelled",
        Disputed => "disputed",
    }
}

state_events! {
    pub enum DealEvent {
        /// Staff approve (also lifting a hold before any truck left).
        Approve => "approved",
        /// Staff put the deal on hold.
        Hold => "put on hold",
        /// Staff lift a hold after trucks have left.
        Resume => "resumed",
        /// Staff cancel; undelivered tonnage goes back to the lot.
        Cancel => "cancelled",
        /// A truckload is dispatched.
        Dispatch => "given a truckload",
        /// The receiver confirms completion.
        Complete => "completed",
        /// Either party opens a dispute.
        Dispute => "disputed",
        /// Staff resolve a dispute as completed.
        ResolveCompleted => "resolved as completed",
        /// Staff resolve a dispute as cancelled.
        ResolveCancelled => "resolved as cancelled",
    }
}

pub fn transition(from: DealStatus, event: DealEvent) -> Option<DealStatus> {
    use DealEvent::*;
    use DealStatus::*;
    match (from, event) {
        (PendingApproval, Approve) => Some(Approved),
        (OnHold, Approve) => Some(Approved),
        (OnHold, Resume) => Some(InTransfer),
        (PendingApproval | Approved | InTransfer, Hold) => Some(OnHold),
        (PendingApproval | Approved | InTransfer | OnHold, Cancel) => Some(Cancelled),
        (Approved, Dispatch) => Some(InTransfer),
        (InTransfer, Dispatch) => Some(InTransfer),
        (InTransfer, Complete) => Some(Completed),
        (Approved | InTransfer | OnHold, Dispute) => Some(Disputed),
        (Disputed, ResolveCompleted) => Some(Completed),
        (Disputed, ResolveCancelled) => Some(Cancelled),
        _ => None,
    }
}

/// Default weighbridge tolerance between dispatched and received net weight: 2 %.
pub const DEFAULT_TOLERANCE_PERMILLE: i64 = 20;

/// True when the received weight differs from the dispatched by more than the tolerance.
pub fn difference_flagged(
    dispatched_net_kg: i64,
    received_net_kg: i64,
    tolerance_permille: i64,
) -> bool {
    (dispatched_net_kg - received_net_kg).abs() * 1000 > dispatched_net_kg * tolerance_permille
}

#[cfg(test)]
mod tests {
    use super::*;
    use DealEvent::*;
    use DealStatus::*;

    #[test]
    fn deal_table() {
        let statuses = [
            PendingApproval,
            Approved,
            InTransfer,
            Completed,
            OnHold,
            Cancelled,
            Disputed,
        ];
        let events = [
            Approve,
            Hold,
            Resume,
            Cancel,
            Dispatch,
            Complete,
            Dispute,
            ResolveCompleted,
            ResolveCancelled,
        ];
        let allowed = [
            (PendingApproval, Approve, Approved),
            (OnHold, Approve, Approved),
            (OnHold, Resume, InTransfer),
            (PendingApproval, Hold, OnHold),
            (Approved, Hold, OnHold),
            (InTransfer, Hold, OnHold),
            (PendingApproval, Cancel, Cancelled),
            (Approved, Cancel, Cancelled),
            (InTransfer, Cancel, Cancelled),
            (OnHold, Cancel, Cancelled),
            (Approved, Dispatch, InTransfer),
            (InTransfer, Dispatch, InTransfer),
            (InTransfer, Complete, Completed),
            (Approved, Dispute, Disputed),
            (InTransfer, Dispute, Disputed),
            (OnHold, Dispute, Disputed),
            (Disputed, ResolveCompleted, Completed),
            (Disputed, ResolveCancelled, Cancelled),
        ];
        crate::domain::assert_table(&statuses, &events, &allowed, transition);
    }

    #[test]
    fn tolerance_boundaries() {
        assert!(
            !difference_flagged(30_000, 29_400, 20),
            "exactly 2 % is within"
        );
        assert!(difference_flagged(30_000, 29_399, 20));
        assert!(!difference_flagged(30_000, 30_600, 20));
        assert!(difference_flagged(30_000, 30_601, 20));
    }
}
