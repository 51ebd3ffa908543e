//! Demands ("wanted") and their state machine.

text_enum! {
    pub enum DemandStatus {
        Open => "open",
        Paused => "paused",
        Fulfilled => "fulfilled",
        Closed => "closed",
    }
}

state_events! {
    pub enum DemandEvent {
        /// The receiver stops matching for a while.
        Pause => "paused",
        /// A paused demand matches again.
        Resume => "resumed",
        /// The receiver has what it wanted.
        Fulfil => "marked fulfilled",
        /// A fulfilled demand is wanted again.
        Reopen => "reopened",
        /// The receiver ends the demand for good.
        Close => "closed",
    }
}

pub fn transition(from: DemandStatus, event: DemandEvent) -> Option<DemandStatus> {
    use DemandEvent::*;
    use DemandStatus::*;
    match (from, event) {
        (Open, Pause) => Some(Paused),
        (Paused, Resume) => Some(Open),
        (Open | Paused, Fulfil) => Some(Fulfilled),
        (Fulfilled, Reopen) => Some(Open),
        (Open | Paused | Fulfilled, Close) => Some(Closed),
        _ => None,
    }
}

/// The event that moves `from` to `to`, for clients that name the status they want (PATCH).
pub fn event_towards(from: DemandStatus, to: DemandStatus) -> Option<DemandEvent> {
    DemandEvent::ALL
        .iter()
        .copied()
        .find(|e| transition(from, *e) == Some(to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use DemandEvent::*;
    use DemandStatus::*;

    #[test]
    fn demand_table() {
        let allowed = [
            (Open, Pause, Paused),
            (Paused, Resume, Open),
            (Open, Fulfil, Fulfilled),
            (Paused, Fulfil, Fulfilled),
            (Fulfilled, Reopen, Open),
            (Open, Close, Closed),
            (Paused, Close, Closed),
            (Fulfilled, Close, Closed),
        ];
        crate::domain::assert_table(DemandStatus::ALL, DemandEvent::ALL, &allowed, transition);
    }

    #[test]
    fn a_named_status_is_reached_only_by_a_move_of_the_table() {
        assert_eq!(event_towards(Paused, Open), Some(Resume));
        assert_eq!(event_towards(Fulfilled, Open), Some(Reopen));
        assert_eq!(event_towards(Closed, Open), None);
        assert_eq!(event_towards(Open, Open), None);
    }
}
