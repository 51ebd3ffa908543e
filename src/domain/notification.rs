//! What a notification is about: the kinds a client can rely on to route or translate it.

text_enum! {
    pub enum NotificationKind {
        OrganizationVerified => "organization_verified",
        OrganizationRejected => "organization_rejected",
        OrganizationSuspended => "organization_suspended",
        OrganizationReinstated => "organization_reinstated",
        ListingApproved => "listing_approved",
        ListingRejected => "listing_rejected",
        ListingUnpublished => "listing_unpublished",
        OfferReceived => "offer_received",
        OfferCountered => "offer_countered",
        OfferAccepted => "offer_accepted",
        OfferRejected => "offer_rejected",
        OfferWithdrawn => "offer_withdrawn",
        OfferInvalidated => "offer_invalidated",
        OfferExpired => "offer_expired",
        CounterRejected => "counter_rejected",
        DealApproved => "deal_approved",
        DealOnHold => "deal_on_hold",
        DealCancelled => "deal_cancelled",
        DealCompleted => "deal_completed",
        DealUpdated => "deal_updated",
        TransferRecorded => "transfer_recorded",
        WeightDifferenceFlagged => "weight_difference_flagged",
        DisputeOpened => "dispute_opened",
        ResearchProjectUpdated => "research_project_updated",
        MatchFound => "match_found",
        KeyProjectOverdue => "key_project_overdue",
        ContractProposed => "contract_proposed",
        ContractCountered => "contract_countered",
        ContractAgreed => "contract_agreed",
        ContractApproved => "contract_approved",
        ContractSuspended => "contract_suspended",
        ContractResumed => "contract_resumed",
        /// Declined, rejected, terminated or ended at the end of its term.
        ContractEnded => "contract_ended",
        CallOffPlaced => "call_off_placed",
        /// The month closed: the body gives delivered tonnes, the band verdict and the amount.
        CallOffClosed => "call_off_closed",
    }
}
