//! Retrying on conflict: repeating a read-then-write that a concurrent
//! writer got in the way of (IAM answers with a conflict code such as
//! DeleteConflict), so the next attempt reads the new state.

use std::future::Future;

use crate::error::AwsError;

/// Runs `attempt` up to `times` times while it fails with the AWS error
/// `code`, which here means another writer changed the role between our
/// calls (a racing Create or Delete): the next attempt sees the new state.
pub async fn again_on<T, F, Fut>(
    code: &str,
    times: usize,
    role: &str,
    mut attempt: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut round = 1;
    loop {
        match attempt().await {
            Err(e) if e.is_code(code) && round < times => {
                tracing::info!(role, code, round, "role changed underneath; trying again");
                round += 1;
            }
            done => return done,
        }
    }
}
