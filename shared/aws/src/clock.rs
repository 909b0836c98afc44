//! The wall clock, the one input the pure crate may not read itself.

use std::time::{SystemTime, UNIX_EPOCH};

use rolegate_policy::Timestamp;

/// Now, to the second, in UTC.
pub fn now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Timestamp::from_epoch_seconds(seconds)
}
