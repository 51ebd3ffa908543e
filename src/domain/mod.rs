//! Pure rules of the exchange: identifiers, codes, roles and state machines. No I/O here.

pub mod city;
pub mod deal;
pub mod demand;
pub mod digest;
pub mod grading;
pub mod listing;
pub mod matching;
pub mod notification;
pub mod offer;
pub mod organization;
pub mod outbox;
pub mod project;
pub mod quantity;
pub mod supply;
pub mod time;
pub mod uscc;
pub mod uses;

/// Checks a state machine against its table: every (state, event) pair not listed is refused.
#[cfg(test)]
pub fn assert_table<S, E>(
    states: &[S],
    events: &[E],
    allowed: &[(S, E, S)],
    transition: impl Fn(S, E) -> Option<S>,
) where
    S: Copy + PartialEq + std::fmt::Debug,
    E: Copy + PartialEq + std::fmt::Debug,
{
    for &from in states {
        for &event in events {
            let expected = allowed
                .iter()
                .find(|(f, e, _)| *f == from && *e == event)
                .map(|(_, _, to)| *to);
            assert_eq!(transition(from, event), expected, "{from:?} + {event:?}");
        }
    }
}
