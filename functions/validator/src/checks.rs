//! The checks and the verdict, pure. The STS calls happen in `sts`; this
//! module only says what each answer means. The checks' names and results
//! are part of the outcome events, so they are defined with them in
//! `rolegate_policy::events::validation`.

pub use rolegate_policy::events::validation::{Check, CheckResult, Status};

use crate::integration::RoleTarget;

/// The four STS checks, in the order they run. `Check::SenderAccount` is
/// judged before any of them, on registrations only.
pub const ALL_CHECKS: [Check; 4] = [
    Check::AssumeWithExternalId,
    Check::CallerIdentity,
    Check::DeniedWithoutExternalId,
    Check::DeniedWithWrongExternalId,
];

/// How STS answered an AssumeRole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssumeAnswer {
    Granted,
    /// `AccessDenied`: the trust policy refused the caller.
    Denied,
    /// Anything else (throttling past the SDK's retries, a network error).
    Error(String),
}

/// STS's throttling error codes (the SDK retries them with backoff first).
/// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
pub const THROTTLING_CODES: [&str; 4] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

/// Whether an STS error, as `sts` words it (`<code>: <message>`), is
/// throttling: an answer about STS's load, not about the role.
pub fn is_throttling(error: &str) -> bool {
    let code = error.split(':').next().unwrap_or_default().trim();
    THROTTLING_CODES.contains(&code)
}

/// The verdict on an AssumeRole that must be refused.
pub fn judge_negative(check: Check, answer: &AssumeAnswer) -> CheckResult {
    let how = match check {
        Check::DeniedWithWrongExternalId => "with a wrong ExternalId",
        _ => "without an ExternalId",
    };
    match answer {
        AssumeAnswer::Denied => CheckResult::passed(check, format!("AssumeRole {how} was denied")),
        AssumeAnswer::Granted => CheckResult::failed(
            check,
            format!(
                "AssumeRole {how} succeeded: the trust policy does not demand the ExternalId, so the role is open to the confused deputy"
            ),
        ),
        AssumeAnswer::Error(e) => CheckResult::failed(
            check,
            format!(
                "AssumeRole {how} neither succeeded nor was denied ({e}); the check is inconclusive"
            ),
        ),
    }
}

/// The verdict on `GetCallerIdentity` for the session: the assumed-role
/// ARN of exactly the target role, in exactly its account.
pub fn judge_identity(target: &RoleTarget, arn: &str, account: &str) -> CheckResult {
    let expected = format!(
        "arn:{}:sts::{}:assumed-role/{}/",
        target.partition, target.account, target.name
    );
    if account != target.account {
        return CheckResult::failed(
            Check::CallerIdentity,
            format!(
                "the session is in account {account}, not the role's account {}",
                target.account
            ),
        );
    }
    if !arn.starts_with(&expected) || arn[expected.len()..].contains('/') {
        return CheckResult::failed(
            Check::CallerIdentity,
            format!("the session is {arn}, not a session of {}", target.arn),
        );
    }
    CheckResult::passed(Check::CallerIdentity, format!("the session is {arn}"))
}

/// Every check passed?
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Validated,
    Rejected { reason: String },
}

pub fn verdict(results: &[CheckResult]) -> Verdict {
    match results.iter().find(|r| r.status == Status::Failed) {
        Some(failed) => Verdict::Rejected {
            reason: format!("{:?}: {}", failed.check, failed.reason),
        },
        None if results.len() == ALL_CHECKS.len()
            && results.iter().all(|r| r.status == Status::Passed) =>
        {
            Verdict::Validated
        }
        None => Verdict::Rejected {
            reason: "not every check ran".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> RoleTarget {
        RoleTarget {
            arn: "arn:aws:iam::123456789012:role/integrations/atmosphere-s3".into(),
            partition: "aws".into(),
            account: "123456789012".into(),
            name: "atmosphere-s3".into(),
        }
    }

    #[test]
    fn the_session_must_be_exactly_the_role_in_its_account() {
        let t = target();
        let ok = "arn:aws:sts::123456789012:assumed-role/atmosphere-s3/rolegate-validator";
        assert_eq!(
            judge_identity(&t, ok, "123456789012").status,
            Status::Passed
        );
        for (arn, account) in [
            (ok, "999988887777"),
            (
                "arn:aws:sts::123456789012:assumed-role/atmosphere-s3-admin/s",
                "123456789012",
            ),
            (
                "arn:aws:sts::999988887777:assumed-role/atmosphere-s3/s",
                "123456789012",
            ),
            ("arn:aws:iam::123456789012:user/alice", "123456789012"),
        ] {
            assert_eq!(
                judge_identity(&t, arn, account).status,
                Status::Failed,
                "{arn}"
            );
        }
    }

    #[test]
    fn a_granted_negative_assume_is_a_confused_deputy_rejection() {
        let r = judge_negative(Check::DeniedWithoutExternalId, &AssumeAnswer::Granted);
        assert_eq!(r.status, Status::Failed);
        assert!(r.reason.contains("confused deputy"));
        let v = verdict(&[
            CheckResult::passed(Check::AssumeWithExternalId, ""),
            CheckResult::passed(Check::CallerIdentity, ""),
            r,
            CheckResult::passed(Check::DeniedWithWrongExternalId, ""),
        ]);
        assert!(
            matches!(v, Verdict::Rejected { reason } if reason.starts_with("DeniedWithoutExternalId"))
        );
    }

    #[test]
    fn only_sts_throttling_codes_are_throttling() {
        assert!(is_throttling("Throttling: Rate exceeded"));
        assert!(is_throttling("ThrottlingException: slow down"));
        for other in [
            "AccessDenied: not authorized",
            "STS did not answer in 10 s",
            "dispatch failure: Throttling in the message only",
        ] {
            assert!(!is_throttling(other), "{other}");
        }
    }

    #[test]
    fn only_four_passed_checks_validate() {
        let all: Vec<_> = ALL_CHECKS
            .iter()
            .map(|c| CheckResult::passed(*c, ""))
            .collect();
        assert_eq!(verdict(&all), Verdict::Validated);
        assert!(matches!(verdict(&all[..3]), Verdict::Rejected { .. }));
    }
}
