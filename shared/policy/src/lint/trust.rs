//! Rules for role trust policies: the confused deputy and open doors, and
//! a door no one can open (a pending vendor trust).

use super::pattern::statement_covers_action;
use super::{Finding, LintOptions, Severity, element_path};
use crate::document::{Effect, PolicyDocument, PrincipalType, Statement};
use crate::limits;
use crate::spec::{SourceKey, TrustedService};

/// Services that send `aws:SourceAccount`/`aws:SourceArn` when assuming a
/// role, so a trust policy can pin them against the confused deputy.
/// The services a spec can trust are not listed here: what each documents
/// sending is `TrustedService::documented_source_keys` (with its page),
/// and none of EC2, Glue and Redshift documents either key, so for them a
/// condition on one is reported instead (`TRUST_SOURCE_KEY_NOT_SENT`).
const SERVICES_WITH_SOURCE_KEYS: &[&str] = &[
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
    check_assumable(doc, out);
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
                    check_keys_the_service_sends(s, &path, value, out);
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

/// A trust policy no statement of which allows `sts:AssumeRole` to a
/// principal (or to all but some, by NotPrincipal) lets nobody assume the
/// role. Not an error: it is how a role waits for a vendor that issues its
/// principal and ExternalId after the role exists (a pending vendor trust,
/// seed 001), and how a role is shut.
fn check_assumable(doc: &PolicyDocument, out: &mut Vec<Finding>) {
    let admits = doc
        .statements()
        .iter()
        .any(|s| s.effect == Effect::Allow && allows_assume_role(s) && s.principal.is_some());
    if !admits {
        out.push(Finding::new(
            "TRUST_ASSUMABLE_BY_NOBODY",
            Severity::Suggestion,
            "Statement",
            "no statement allows sts:AssumeRole to a principal: nobody can assume this role (a pending vendor trust waits for the vendor's principal and ExternalId)",
            "when the vendor issues its principal and ExternalId, set Trust.Principals and ExternalId and update the stack: the role keeps its ARN",
        ));
    }
}

/// A service Rolegate can trust (`TrustedService`) that does not document
/// sending a confused-deputy key the statement requires: IAM reads a
/// condition on an absent key as false, so that service can never assume
/// the role. (An `...IfExists` operator is met by an absent key, and is
/// not reported.)
fn check_keys_the_service_sends(
    s: &Statement,
    path: &str,
    principal: &str,
    out: &mut Vec<Finding>,
) {
    let Some(service) = TrustedService::ALL
        .into_iter()
        .find(|t| t.principal() == principal)
    else {
        return;
    };
    for key in [SourceKey::SourceAccount, SourceKey::SourceArn] {
        if service.sends(key) {
            continue;
        }
        let required = condition_values(s, &key.context_key().to_ascii_lowercase())
            .into_iter()
            .find(|(op_key, _)| !op_key.split('.').next().unwrap_or("").ends_with("IfExists"));
        if let Some((op_key, _)) = required {
            out.push(Finding::new(
                "TRUST_SOURCE_KEY_NOT_SENT",
                Severity::Error,
                format!("{path}.Condition.{op_key}"),
                format!(
                    "{principal} does not document sending {} when it assumes a role ({}): this condition is never met, so the service can never assume the role",
                    key.context_key(),
                    service.trust_documentation()
                ),
                format!("remove the {} condition", key.context_key()),
            ));
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
