//! The STS side of a validation: the calls, and the order of the checks
//! (what each answer means is decided in `checks`). Session credentials live
//! only in memory, inside the SDK's `Credentials` (whose Debug redacts
//! them), for the one GetCallerIdentity call; nothing here logs them.

use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_sts::config::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;

use crate::checks::{
    ALL_CHECKS, AssumeAnswer, Check, CheckResult, Verdict, is_throttling, judge_identity,
    judge_negative, verdict,
};
use crate::integration::{Integration, wrong_external_id};

/// The session name the customer sees in CloudTrail.
pub const SESSION_NAME: &str = "rolegate-validator";
/// The shortest session STS grants: the validator needs seconds.
const SESSION_SECONDS: i32 = 900;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// No single STS call may take longer than this.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// STS as the validator's own role sees it.
#[derive(Debug, Clone)]
pub struct Sts {
    config: SdkConfig,
    client: aws_sdk_sts::Client,
}

/// One validation: each check's result, the STS calls made, the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub results: Vec<CheckResult>,
    pub sts_calls: usize,
    pub verdict: Verdict,
    /// STS answered some call with throttling (after the SDK's retries):
    /// a rejection then says nothing about the role.
    pub throttled: bool,
}

impl Sts {
    pub fn new(config: &SdkConfig) -> Sts {
        Sts {
            config: config.clone(),
            client: aws_sdk_sts::Client::new(config),
        }
    }

    async fn assume(
        &self,
        role_arn: &str,
        external_id: Option<&str>,
    ) -> (AssumeAnswer, Option<Credentials>) {
        let call = self
            .client
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(SESSION_NAME)
            .duration_seconds(SESSION_SECONDS)
            .set_external_id(external_id.map(str::to_owned))
            .send();
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Err(_) => (
                AssumeAnswer::Error("STS did not answer in 10 s".into()),
                None,
            ),
            Ok(Ok(out)) => match out.credentials() {
                Some(c) => (
                    AssumeAnswer::Granted,
                    Some(Credentials::new(
                        c.access_key_id(),
                        c.secret_access_key(),
                        Some(c.session_token().to_owned()),
                        None,
                        "rolegate-validator-session",
                    )),
                ),
                None => (
                    AssumeAnswer::Error("AssumeRole returned no credentials".into()),
                    None,
                ),
            },
            Ok(Err(e)) if e.code() == Some("AccessDenied") => (AssumeAnswer::Denied, None),
            Ok(Err(e)) => (
                AssumeAnswer::Error(
                    e.code()
                        .map(|c| format!("{c}: {}", e.message().unwrap_or_default()))
                        .unwrap_or_else(|| aws_sdk_sts::error::DisplayErrorContext(&e).to_string()),
                ),
                None,
            ),
        }
    }

    async fn identity(&self, session: Credentials) -> Result<(String, String), String> {
        let conf = aws_sdk_sts::config::Builder::from(&self.config)
            .credentials_provider(session)
            .build();
        let call = aws_sdk_sts::Client::from_conf(conf)
            .get_caller_identity()
            .send();
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Err(_) => Err("STS did not answer in 10 s".into()),
            Ok(Err(e)) => Err(e
                .code()
                .map(|c| format!("{c}: {}", e.message().unwrap_or_default()))
                .unwrap_or_else(|| aws_sdk_sts::error::DisplayErrorContext(&e).to_string())),
            Ok(Ok(out)) => Ok((
                out.arn().unwrap_or_default().to_owned(),
                out.account().unwrap_or_default().to_owned(),
            )),
        }
    }
}

/// Runs the checks in order; a failure skips the rest. The first
/// AssumeRole is retried with backoff for up to `assume_timeout`, because a
/// new role takes seconds to become assumable; it never waits longer.
pub async fn validate(
    sts: &Sts,
    integration: &Integration,
    assume_timeout: Duration,
) -> Validation {
    let mut results = Vec::with_capacity(ALL_CHECKS.len());
    let mut sts_calls = 0;
    let mut throttled = false;
    let done = |results: Vec<CheckResult>, sts_calls, throttled| {
        let mut results = results;
        for check in ALL_CHECKS.iter().skip(results.len()) {
            results.push(CheckResult::skipped(*check));
        }
        let verdict = verdict(&results);
        Validation {
            results,
            sts_calls,
            verdict,
            throttled,
        }
    };
    let target = match integration.target() {
        Ok(t) => t,
        Err(reason) => {
            results.push(CheckResult::failed(Check::AssumeWithExternalId, reason));
            return done(results, sts_calls, throttled);
        }
    };

    // 1. AssumeRole with the ExternalId.
    let started = Instant::now();
    let mut backoff = FIRST_BACKOFF;
    let session = loop {
        sts_calls += 1;
        let (answer, session) = sts
            .assume(&target.arn, Some(&integration.external_id))
            .await;
        match (answer, session) {
            (AssumeAnswer::Granted, Some(session)) => break session,
            (answer, _) => {
                throttled |= matches!(&answer, AssumeAnswer::Error(e) if is_throttling(e));
                if started.elapsed() + backoff > assume_timeout {
                    let last = match answer {
                        AssumeAnswer::Denied => "AccessDenied".to_owned(),
                        AssumeAnswer::Error(e) => e,
                        AssumeAnswer::Granted => "no credentials".to_owned(),
                    };
                    results.push(CheckResult::failed(
                        Check::AssumeWithExternalId,
                        format!(
                            "the role did not become assumable with its ExternalId within {} s ({sts_calls} attempts; last answer: {last})",
                            assume_timeout.as_secs()
                        ),
                    ));
                    return done(results, sts_calls, throttled);
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    };
    results.push(CheckResult::passed(
        Check::AssumeWithExternalId,
        format!("assumed after {sts_calls} attempt(s)"),
    ));

    // 2. The session is that role.
    sts_calls += 1;
    let identity = match sts.identity(session).await {
        Ok((arn, account)) => judge_identity(&target, &arn, &account),
        Err(e) => {
            throttled |= is_throttling(&e);
            CheckResult::failed(
                Check::CallerIdentity,
                format!("GetCallerIdentity failed: {e}"),
            )
        }
    };
    let identity_failed = identity.status != crate::checks::Status::Passed;
    results.push(identity);
    if identity_failed {
        return done(results, sts_calls, throttled);
    }

    // 3. Without and with a wrong ExternalId: both must be denied.
    let wrong = wrong_external_id(&integration.external_id);
    let (without, with_wrong) = tokio::join!(
        sts.assume(&target.arn, None),
        sts.assume(&target.arn, Some(&wrong))
    );
    sts_calls += 2;
    throttled |= [&without.0, &with_wrong.0]
        .iter()
        .any(|a| matches!(a, AssumeAnswer::Error(e) if is_throttling(e)));
    results.push(judge_negative(Check::DeniedWithoutExternalId, &without.0));
    results.push(judge_negative(
        Check::DeniedWithWrongExternalId,
        &with_wrong.0,
    ));
    done(results, sts_calls, throttled)
}
