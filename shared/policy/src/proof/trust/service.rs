//! AWS service trust: a service (Glue, Redshift, EC2) assumes the role
//! acting for this account, pinned against the confused deputy by the keys
//! it documents sending (`TrustedService::documented_source_keys`, each
//! service's page cited there): `aws:SourceAccount` and optionally
//! `aws:SourceArn`.
//!
//! The probes send what the service sends, and only that: the named
//! service must be admitted with exactly the documented keys (so a trust
//! requiring a key the service never sends fails the proof: a role no one
//! could assume), and refused acting for another account or resource when
//! it sends those keys, after the expiry, as well as another service and
//! another account's principal.

use super::Judge;
use crate::arn::Arn;
use crate::proof::probes::swap_part;
use crate::proof::{PROBE, Proof, STRANGER_ACCOUNTS};
use crate::spec::{SourceKey, TrustedService};

/// On whose behalf the service asks, as it tells IAM: only the keys it
/// documents sending are in its request.
struct OnBehalfOf<'a> {
    /// `aws:SourceAccount`: the spec's, else the role's own account; `None`
    /// when the service does not send it.
    account: Option<&'a str>,
    /// `aws:SourceArn`, with its wildcards made concrete; `None` when the
    /// spec names none or the service does not send it.
    arn: Option<String>,
}

pub(super) fn prove(
    judge: &Judge,
    service: TrustedService,
    source_account: Option<&str>,
    source_arn: Option<&Arn>,
    proof: &mut Proof,
) {
    let expected = OnBehalfOf {
        account: Some(source_account.unwrap_or(judge.account.as_str()))
            .filter(|_| service.sends(SourceKey::SourceAccount)),
        arn: source_arn
            .filter(|_| service.sends(SourceKey::SourceArn))
            .map(|a| a.as_str().replace(['*', '?'], "x")),
    };
    let principal = service.principal();
    judge.admits(
        judge.service_assume(
            principal,
            expected.account,
            expected.arn.as_deref(),
            &judge.now,
        ),
        proof,
    );
    refuses_confused_deputies(judge, principal, &expected, proof);
    if judge.expired.is_some() {
        judge.refuses(
            judge.service_assume(
                principal,
                expected.account,
                expected.arn.as_deref(),
                &judge.expired,
            ),
            "admits the service after ExpiresAt",
            proof,
        );
    }
    refuses_other_callers(judge, service, &expected, proof);
}

/// The service acting for another account, or for another resource when
/// the spec pins one, is refused.
fn refuses_confused_deputies(
    judge: &Judge,
    principal: &str,
    expected: &OnBehalfOf<'_>,
    proof: &mut Proof,
) {
    let arn = expected.arn.as_deref();
    if expected.account.is_some() {
        judge.refuses(
            judge.service_assume(principal, Some(STRANGER_ACCOUNTS[0]), arn, &judge.now),
            "admits the service acting for another account (confused deputy)",
            proof,
        );
    }
    if let Some(arn) = arn {
        let other = swap_part(arn, 4, STRANGER_ACCOUNTS[1]);
        judge.refuses(
            judge.service_assume(principal, expected.account, Some(&other), &judge.now),
            "admits the service acting for another resource (confused deputy)",
            proof,
        );
    }
}

/// Another AWS service, and a principal of another account, are refused.
fn refuses_other_callers(
    judge: &Judge,
    service: TrustedService,
    expected: &OnBehalfOf<'_>,
    proof: &mut Proof,
) {
    let other_service = if service == TrustedService::Glue {
        "lambda.amazonaws.com"
    } else {
        "glue.amazonaws.com"
    };
    judge.refuses(
        judge.service_assume(
            other_service,
            expected.account,
            expected.arn.as_deref(),
            &judge.now,
        ),
        "admits an AWS service the spec does not name",
        proof,
    );
    let stranger = format!(
        "arn:{}:iam::{}:role/{PROBE}",
        judge.partition, STRANGER_ACCOUNTS[0]
    );
    // Without aws:CurrentTime: a stranger is refused whatever the time.
    judge.refuses(
        judge.assume(&stranger, &None),
        "admits another account",
        proof,
    );
}
