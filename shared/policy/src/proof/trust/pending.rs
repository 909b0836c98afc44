//! Pending trust: a vendor trust the vendor has not issued yet
//! ([`crate::spec::Trust::Pending`]) admits nobody.
//!
//! Nobody is probed as a set of callers that covers every way in: an
//! account the spec could not have named, with an ExternalId and without,
//! by role and by user; the customer's own account, by its root and by a
//! role (a role's trust policy must allow even its own account's
//! principals); each AWS service Rolegate can trust, acting for this
//! account; and every principal the trust policy itself names, so a
//! drifted policy that lets one vendor in is caught.

use std::collections::BTreeSet;

use super::Judge;
use crate::document::PolicyDocument;
use crate::proof::{PROBE, Proof, STRANGER_ACCOUNTS};
use crate::spec::TrustedService;

const HOW: &str = "admits a caller while the vendor trust is pending";

pub(super) fn prove(judge: &Judge, trust: &PolicyDocument, proof: &mut Proof) {
    let p = judge.partition;
    let own = judge.account.clone();
    let mut callers: Vec<String> = STRANGER_ACCOUNTS
        .iter()
        .flat_map(|a| {
            [
                format!("arn:{p}:iam::{a}:role/{PROBE}"),
                format!("arn:{p}:iam::{a}:user/{PROBE}"),
            ]
        })
        .collect();
    callers.push(format!("arn:{p}:iam::{own}:root"));
    callers.push(format!("arn:{p}:iam::{own}:role/{PROBE}"));
    callers.extend(super::vendor::named_callers(trust, p));
    // Each ExternalId the policy itself names, and one it does not.
    let mut ids = external_ids(trust);
    ids.insert(PROBE.to_owned());
    for caller in &callers {
        judge.refuses(judge.assume(caller, &judge.now), HOW, proof);
        for id in &ids {
            judge.refuses(
                super::vendor::external(judge.assume(caller, &judge.now), id),
                HOW,
                proof,
            );
        }
    }
    for service in TrustedService::ALL {
        judge.refuses(
            judge.service_assume(service.principal(), Some(&own), None, &judge.now),
            HOW,
            proof,
        );
    }
}

/// Every `sts:ExternalId` value a condition of `trust` names, under any
/// operator.
fn external_ids(trust: &PolicyDocument) -> BTreeSet<String> {
    trust
        .statements()
        .iter()
        .filter_map(|s| s.condition.as_ref())
        .flat_map(|block| block.iter())
        .flat_map(|(_, keys)| keys.iter())
        .filter(|(key, _)| key.eq_ignore_ascii_case("sts:ExternalId"))
        .flat_map(|(_, values)| values.iter().map(|v| v.as_iam_string().into_owned()))
        .collect()
}
