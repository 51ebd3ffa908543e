//! Research projects (科研成果转化) and their state machine (docs/DESIGN.md, "The alliance").

text_enum! {
    pub enum ProjectStatus {
        Proposed => "proposed",
        Approved => "approved",
        Active => "active",
        Finished => "finished",
        Rejected => "rejected",
    }
}

state_events! {
    pub enum ProjectEvent {
        /// Staff approve a proposal.
        Approve => "approved",
        /// Staff reject a proposal, with a reason.
        Reject => "rejected",
        /// The trial starts (owner or staff).
        Start => "started",
        /// The trial ends (owner or staff).
        Finish => "finished",
    }
}

pub fn transition(from: ProjectStatus, event: ProjectEvent) -> Option<ProjectStatus> {
    use ProjectEvent::*;
    use ProjectStatus::*;
    match (from, event) {
        (Proposed, Approve) => Some(Approved),
        (Proposed, Reject) => Some(Rejected),
        (Approved, Start) => Some(Active),
        (Active, Finish) => Some(Finished),
        _ => None,
    }
}

impl ProjectStatus {
    /// Deals can be tagged with approved and running projects.
    pub fn takes_deals(self) -> bool {
        matches!(self, Self::Approved | Self::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectEvent::*;
    use ProjectStatus::*;

    #[test]
    fn project_table() {
        let allowed = [
            (Proposed, Approve, Approved),
            (Proposed, Reject, Rejected),
            (Approved, Start, Active),
            (Active, Finish, Finished),
        ];
        crate::domain::assert_table(
            &[Proposed, Approved, Active, Finished, Rejected],
            &[Approve, Reject, Start, Finish],
            &allowed,
            transition,
        );
    }
}
