//! Rules for resource-based policies (bucket, queue, topic, key): access
//! open to anyone.
//!
//! `Principal: "*"` is how a bucket is made public (seed 004). It is not
//! public when a condition pins who or where the caller is: S3 calls a policy
//! non-public when it grants to a fixed principal, or limits the request to
//! fixed values of `aws:SourceIp`, `aws:SourceArn`, `aws:SourceVpc`,
//! `aws:SourceVpce`, `aws:SourceOwner`, `aws:SourceAccount`, `aws:userid` or
//! `s3:x-amz-server-side-encryption-aws-kms-key-id` (Amazon S3 User Guide,
//! "The meaning of 'public'"); IAM Access Analyzer also counts the
//! organization and principal keys below. A condition on anything else
//! (`aws:SecureTransport`, say) says how anyone may call, not who.

use super::condition::pinned_key;
use super::{Finding, Severity, element_path};
use crate::document::{Effect, OneOrMany, Polarity, PolicyDocument, Statement};

/// Condition keys that, pinned to fixed values, narrow who or where the caller
/// is. Lower-case: condition keys compare case-insensitively.
const NARROWING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalservicename",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceip",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
];

pub(super) fn check_public(doc: &PolicyDocument, out: &mut Vec<Finding>) {
    for (i, s) in doc.statements().iter().enumerate() {
        if s.effect != Effect::Allow {
            continue;
        }
        let key = match &s.principal {
            Some(Polarity::Is(p)) if p.is_anyone() => "Principal",
            Some(Polarity::Not(_)) => "NotPrincipal",
            _ => continue,
        };
        if narrowed(s) {
            continue;
        }
        let path = element_path("", "Statement", &doc.statement, i).to_string();
        let who = if key == "Principal" {
            "Principal \"*\""
        } else {
            "Allow with NotPrincipal"
        };
        out.push(Finding::new(
            "PUBLIC_ACCESS",
            Severity::Error,
            format!("{path}.{key}"),
            format!(
                "{who} and no condition that pins the caller's account, organization, network or source: anyone, including anonymous callers, may {} on {}",
                describe(&s.action),
                s.resource.as_ref().map_or_else(|| "the resource".to_owned(), describe),
            ),
            "name the accounts or roles that need access in Principal, or add a condition such as StringEquals on aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceVpce or aws:SourceArn",
        ));
    }
}

/// Does some condition pin a narrowing key to values a caller must have?
fn narrowed(s: &Statement) -> bool {
    pinned_key(s, |key| NARROWING_KEYS.contains(&key)).is_some()
}

fn describe(list: &Polarity<OneOrMany<String>>) -> String {
    let names = list.value().as_slice().join(", ");
    match list {
        Polarity::Is(_) => names,
        Polarity::Not(_) => format!("everything except {names}"),
    }
}
