//! Rules for role trust policies: the confused deputy and open doors.

use super::pattern::statement_covers_action;
use super::{Finding, LintOptions, Severity, element_path};
use crate::document::{Effect, PolicyDocument, PrincipalType, Statement};
use crate::limits;

/// Services that send `aws:SourceAccount`/`aws:SourceArn` when assuming a
/// role, so a trust policy can pin them against the confused deputy.
/// EC2 is absent: it sends neither for instance roles.
const SERVICES_WITH_SOURCE_KEYS: &[&str] = &[
    "redshift.amazonaws.com",
    "glue.amazonaws.com",
    "lambda.amazonaws.com",
    "states.amazonaws.com",
    "firehose.amazonaws.com",
    "sns.amazonaws.com",
    "events.amazonaws.com",
    "scheduler.amazonaws.com",
    "cloudformation.amazonaws.com",
    "backup.amazonaws.com",
];

pub(super) fn check_trust(doc: &PolicyDocument, opts: &LintOptions, out: &mut Vec<Finding>) {
    for (i, s) in doc.statements().iter().enumerate() {
        let path = element_path("", "Statement", &doc.statement, i).to_string();
        if s.effect != Effect::Allow || !allows_assume_role(s) {
            continue;
        }
        let Some(principal) = &s.principal else {
            continue;
        };
        if principal.is_negated() {
            out.push(Finding::new(
                "TRUST_NOT_PRINCIPAL",
                Severity::Error,
                format!("{path}.NotPrincipal"),
                "Allow with NotPrincipal trusts everyone except the listed principals",
                "name the trusted principals in Principal",
            ));
            continue;
        }
        let principal = principal.value();
        if principal.is_anyone() {
            out.push(Finding::new(
                "TRUST_ANY_PRINCIPAL",
                Severity::Error,
                format!("{path}.Principal"),
                "the role trusts \"*\": any AWS account can try to assume it",
                "name the vendor's account or role ARN",
            ));
            continue;
        }
        let external_id = condition_values(s, "sts:externalid");
        for (kind, value) in principal.entries() {
            match kind {
                PrincipalType::Aws => {
                    let account = principal_account(value);
                    let foreign = match (&opts.own_account, account) {
                        (Some(own), Some(acct)) => own != acct,
                        _ => true,
                    };
                    if foreign && external_id.is_empty() {
                        out.push(Finding::new(
                            "TRUST_MISSING_EXTERNAL_ID",
                            Severity::Error,
                            format!("{path}.Principal.AWS"),
                            format!(
                                "{value} is a third party and may assume the role without an sts:ExternalId condition (confused deputy)"
                            ),
                            "add \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<id the vendor gave you>\"}}",
                        ));
                    }
                }
                PrincipalType::Service => {
                    let pinned = !condition_values(s, "aws:sourceaccount").is_empty()
                        || !condition_values(s, "aws:sourcearn").is_empty();
                    if !pinned && SERVICES_WITH_SOURCE_KEYS.contains(&value) {
                        out.push(Finding::new(
                            "TRUST_SERVICE_UNPINNED",
                            Severity::Suggestion,
                            format!("{path}.Principal.Service"),
                            format!("{value} may assume the role on behalf of any account (cross-service confused deputy)"),
                            "add an aws:SourceAccount or aws:SourceArn condition",
                        ));
                    }
                }
                PrincipalType::Federated | PrincipalType::CanonicalUser => {}
            }
        }
        for (op_key, value) in external_id {
            if let Err(v) = limits::check_external_id(&value) {
                out.push(Finding::new(
                    v.code(),
                    Severity::Error,
                    format!("{path}.Condition.{op_key}"),
                    v.to_string(),
                    v.fix_hint(),
                ));
            }
        }
    }
}

/// Does the statement cover sts:AssumeRole? A NotAction that excludes it
/// (`sts:*`) trusts no one with the role.
fn allows_assume_role(s: &Statement) -> bool {
    statement_covers_action(s, "sts:AssumeRole")
}

/// Values of `key` (lower-case) under any operator, with `Operator.Key` for the path.
fn condition_values(s: &Statement, key: &str) -> Vec<(String, String)> {
    let Some(block) = &s.condition else {
        return Vec::new();
    };
    block
        .iter()
        .flat_map(|(op, keys)| {
            keys.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                .flat_map(move |(k, vs)| {
                    vs.iter()
                        .map(move |v| (format!("{op}.{k}"), v.as_iam_string().into_owned()))
                })
        })
        .collect()
}

/// The account of an AWS principal: a bare id or the account part of an ARN.
fn principal_account(value: &str) -> Option<&str> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value);
    }
    let mut parts = value.splitn(6, ':');
    let _arn = parts.next()?;
    let _partition = parts.next()?;
    let _service = parts.next()?;
    let _region = parts.next()?;
    parts.next().filter(|a| !a.is_empty())
}
