//! The wall clock, the one input the pure crate may not read itself, and
//! the Lambda deadline arithmetic built on it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rolegate_policy::Timestamp;

/// Now, to the second, in UTC.
pub fn now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Timestamp::from_epoch_seconds(seconds)
}

/// 2001-09-09 in epoch milliseconds: any real deadline is later.
const EPOCH_MS_2001: u64 = 1_000_000_000_000;

/// Time a handler may work before `deadline_ms` (the Lambda context's
/// deadline), keeping `margin` back for answering.
pub fn budget(deadline_ms: u64, margin: Duration, default: Duration) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    budget_at(deadline_ms, now_ms, margin, default)
}

/// The budget at `now_ms`: what is left until `deadline_ms`, minus
/// the margin for answering. Lambda sends the deadline in epoch
/// milliseconds; 0 (a test Context) or a small number (cargo-lambda's
/// emulator sends its timeout, 600000) is no point in time, so those get
/// the default budget.
fn budget_at(deadline_ms: u64, now_ms: u128, margin: Duration, default: Duration) -> Duration {
    if deadline_ms < EPOCH_MS_2001 {
        return default;
    }
    let remaining = u128::from(deadline_ms).saturating_sub(now_ms);
    let remaining = Duration::from_millis(u64::try_from(remaining).unwrap_or(u64::MAX));
    // A short Lambda timeout (3 s is Lambda's default) must still leave
    // time to work: never keep back more than a third of what is left.
    remaining.saturating_sub(margin.min(remaining / 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_000_000_000;
    const MARGIN: Duration = Duration::from_secs(10);
    const DEFAULT: Duration = Duration::from_secs(300);

    fn at(deadline: u64) -> Duration {
        budget_at(deadline, u128::from(NOW), MARGIN, DEFAULT)
    }

    #[test]
    fn a_long_timeout_keeps_the_whole_margin_back() {
        assert_eq!(at(NOW + 120_000), Duration::from_secs(110));
    }

    #[test]
    fn a_short_timeout_keeps_back_a_third_at_most() {
        assert_eq!(at(NOW + 3_000), Duration::from_secs(2));
    }

    #[test]
    fn a_passed_deadline_leaves_no_budget() {
        assert_eq!(at(NOW - 1), Duration::ZERO);
    }

    #[test]
    fn no_deadline_or_an_emulators_relative_one_gets_the_default() {
        assert_eq!(at(0), DEFAULT);
        assert_eq!(at(600_000), DEFAULT);
    }
}
