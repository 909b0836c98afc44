//! Vendor trust: a third party's accounts, roles or users assume the role
//! across accounts, and only with the ExternalId.
//!
//! Each named principal must be admitted with the ExternalId before the
//! expiry, and refused after it, with a wrong ExternalId or without one;
//! another principal of a vendor account named only by role or user, an
//! account the spec does not name, any other principal the trust policy
//! itself names, and an AWS service are refused.

use std::collections::BTreeSet;

use super::Judge;
use crate::arn::{Arn, Partition};
use crate::document::{PolicyDocument, PrincipalType};
use crate::eval::{ContextValue, Request};
use crate::proof::{PROBE, Proof, STRANGER_ACCOUNTS};
use crate::spec::VendorPrincipal;

pub(super) fn prove(
    judge: &Judge,
    principals: &[VendorPrincipal],
    external_id: Option<&str>,
    trust: &PolicyDocument,
    proof: &mut Proof,
) {
    let trusted_accounts: Vec<&str> = principals
        .iter()
        .filter_map(|v| match v {
            VendorPrincipal::Account(a) => Some(a.as_str()),
            _ => None,
        })
        .collect();
    for principal in principals {
        let caller = caller_for(principal, judge.partition);
        if let Some(id) = external_id {
            admits_with_external_id(judge, principal, &caller, id, &trusted_accounts, proof);
        }
        demands_external_id(judge, &caller, external_id, proof);
    }
    refuses_a_stranger(judge, principals, external_id, proof);
    refuses_unnamed_principals(judge, principals, external_id, trust, proof);
    judge.refuses(
        judge.service_assume("ec2.amazonaws.com", None, None, &judge.now),
        "admits an AWS service",
        proof,
    );
}

/// The caller that stands for `principal`: itself for a role or user, a
/// probe role in the account for an account.
fn caller_for(principal: &VendorPrincipal, p: Partition) -> String {
    match principal {
        VendorPrincipal::Account(a) => format!("arn:{p}:iam::{a}:role/{PROBE}"),
        VendorPrincipal::Role(arn) | VendorPrincipal::User(arn) => arn.to_string(),
    }
}

/// With the ExternalId, `caller` is admitted until the expiry and not after;
/// a principal named by role or user ARN does not open its whole account
/// (unless the spec also names that account).
fn admits_with_external_id(
    judge: &Judge,
    principal: &VendorPrincipal,
    caller: &str,
    id: &str,
    trusted_accounts: &[&str],
    proof: &mut Proof,
) {
    judge.admits(external(judge.assume(caller, &judge.now), id), proof);
    if judge.expired.is_some() {
        judge.refuses(
            external(judge.assume(caller, &judge.expired), id),
            "admits the vendor after ExpiresAt",
            proof,
        );
    }
    if !matches!(principal, VendorPrincipal::Account(_))
        && !trusted_accounts.contains(&principal.account())
    {
        let p = judge.partition;
        let sibling = format!("arn:{p}:iam::{}:role/{PROBE}-other", principal.account());
        judge.refuses(
            external(judge.assume(&sibling, &judge.now), id),
            "admits another principal of the vendor's account",
            proof,
        );
    }
}

/// `caller` is refused with a wrong ExternalId and without one.
fn demands_external_id(judge: &Judge, caller: &str, external_id: Option<&str>, proof: &mut Proof) {
    let wrong = format!("{}-{PROBE}", external_id.unwrap_or("wrong"));
    judge.refuses(
        external(judge.assume(caller, &judge.now), &wrong),
        "accepts a wrong sts:ExternalId",
        proof,
    );
    judge.refuses(
        judge.assume(caller, &judge.now),
        "accepts a request without sts:ExternalId",
        proof,
    );
}

/// An account the spec does not name is refused, even with the ExternalId.
fn refuses_a_stranger(
    judge: &Judge,
    principals: &[VendorPrincipal],
    external_id: Option<&str>,
    proof: &mut Proof,
) {
    let stranger = STRANGER_ACCOUNTS
        .into_iter()
        .find(|s| principals.iter().all(|v| v.account() != *s))
        .unwrap_or(STRANGER_ACCOUNTS[0]);
    let outsider = format!("arn:{}:iam::{stranger}:role/{PROBE}", judge.partition);
    judge.refuses(
        external(
            judge.assume(&outsider, &judge.now),
            external_id.unwrap_or(PROBE),
        ),
        "admits an account the spec does not name",
        proof,
    );
}

/// Every other principal the trust policy itself names is probed too: a
/// drifted policy may admit exactly one extra account, which no fixed
/// stranger would hit.
fn refuses_unnamed_principals(
    judge: &Judge,
    principals: &[VendorPrincipal],
    external_id: Option<&str>,
    trust: &PolicyDocument,
    proof: &mut Proof,
) {
    for caller in named_callers(trust, judge.partition) {
        let spec_names = principals.iter().any(|v| match v {
            VendorPrincipal::Account(a) => caller_account(&caller) == Some(a.as_str()),
            VendorPrincipal::Role(arn) | VendorPrincipal::User(arn) => arn.to_string() == caller,
        });
        if !spec_names {
            judge.refuses(
                external(
                    judge.assume(&caller, &judge.now),
                    external_id.unwrap_or(PROBE),
                ),
                "admits a principal the spec does not name",
                proof,
            );
        }
    }
}

/// A caller for each `AWS` principal a trust policy names: the principal
/// itself for a role or user ARN, a probe role for an account.
pub(super) fn named_callers(trust: &PolicyDocument, p: Partition) -> BTreeSet<String> {
    trust
        .statements()
        .iter()
        .filter_map(|s| s.principal.as_ref())
        .flat_map(|principal| principal.value().entries())
        .filter(|(kind, _)| *kind == PrincipalType::Aws)
        .filter_map(|(_, value)| {
            if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                return Some(format!("arn:{p}:iam::{value}:role/{PROBE}"));
            }
            let arn = Arn::parse(value).ok()?;
            if arn.resource() == "root" {
                Some(format!("arn:{p}:iam::{}:role/{PROBE}", arn.account()))
            } else {
                Some(value.to_owned())
            }
        })
        .collect()
}

fn caller_account(caller: &str) -> Option<&str> {
    caller.split(':').nth(4)
}

/// `req` carrying `id` as its `sts:ExternalId`.
pub(super) fn external(req: Request, id: &str) -> Request {
    req.with_context("sts:ExternalId", ContextValue::Single(id.to_owned()))
}
