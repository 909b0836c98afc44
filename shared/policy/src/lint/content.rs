//! Rules about what a policy's statements say: actions, resources, conditions.

use std::collections::BTreeMap;

use super::condition::pinned_key;
use super::pattern::{Denials, action_covers};
use super::{ElementPath, Finding, PolicyKind, Severity, element_path};
use crate::actiondb::{ActionDb, ActionInfo, ResourceTypeInfo};
use crate::arn::Arn;
use crate::build::actions::discovery_disclosure;
use crate::document::{Effect, POLICY_VERSION, PolicyDocument, Statement};

/// Actions that let a principal grant itself more than it was given, as the
/// Service Authorization Reference spells them (compared case-insensitively).
pub(super) const ESCALATION: &[&str] = &[
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicyVersion",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutGroupPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
];

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// Is `op` a condition operator IAM accepts, with its optional set prefix
/// (`ForAllValues:`/`ForAnyValue:`) and `IfExists` suffix?
pub(crate) fn is_known_operator(op: &str) -> bool {
    let base = op
        .strip_prefix("ForAllValues:")
        .or_else(|| op.strip_prefix("ForAnyValue:"))
        .unwrap_or(op);
    match base.strip_suffix("IfExists") {
        Some(b) => b != "Null" && OPERATORS.contains(&b),
        None => OPERATORS.contains(&base),
    }
}

pub(super) fn check_document(doc: &PolicyDocument, kind: PolicyKind, out: &mut Vec<Finding>) {
    match doc.version.as_deref() {
        Some(POLICY_VERSION) => {}
        Some(other) => out.push(Finding::new(
            "OUTDATED_VERSION",
            Severity::Warning,
            "Version",
            format!("Version {other:?} does not support policy variables"),
            format!("set \"Version\": \"{POLICY_VERSION}\""),
        )),
        None => out.push(Finding::new(
            "MISSING_VERSION",
            Severity::Warning,
            "Version",
            "no Version: IAM falls back to 2008-10-17, where policy variables are plain text",
            format!("add \"Version\": \"{POLICY_VERSION}\""),
        )),
    }
    if doc.statements().is_empty() {
        out.push(Finding::new(
            "EMPTY_POLICY",
            Severity::Warning,
            "Statement",
            "the policy has no statements and grants nothing",
            "remove the policy or add statements",
        ));
    }
    let denials = Denials::of(doc);
    let mut sids: BTreeMap<&str, String> = BTreeMap::new();
    for (i, s) in doc.statements().iter().enumerate() {
        let path = element_path("", "Statement", &doc.statement, i).to_string();
        if let Some(sid) = s.sid.as_deref() {
            if let Some(first) = sids.insert(sid, path.clone()) {
                out.push(Finding::new(
                    "DUPLICATE_SID",
                    Severity::Error,
                    format!("{path}.Sid"),
                    format!("Sid {sid:?} is already used by {first}"),
                    "give every statement a unique Sid",
                ));
            }
            if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) && kind != PolicyKind::Resource {
                out.push(Finding::new(
                    "INVALID_SID",
                    Severity::Error,
                    format!("{path}.Sid"),
                    format!(
                        "Sid {sid:?} may contain only ASCII letters and digits in IAM policies"
                    ),
                    "remove spaces and punctuation from the Sid",
                ));
            }
        }
        check_statement(s, &path, kind, &denials, out);
    }
}

fn check_statement(
    s: &Statement,
    path: &str,
    kind: PolicyKind,
    denials: &Denials<'_>,
    out: &mut Vec<Finding>,
) {
    let allow = s.effect == Effect::Allow;
    // An Allow in a boundary caps; it never grants, so the rules about
    // broad grants do not apply to it (boundary.rs has the cap's own rules).
    let grants = allow && kind != PolicyKind::Boundary;
    match (kind, &s.principal) {
        (PolicyKind::Identity | PolicyKind::Managed | PolicyKind::Boundary, Some(p)) => {
            out.push(Finding::new(
                "PRINCIPAL_IN_IDENTITY_POLICY",
                Severity::Error,
                format!(
                    "{path}.{}",
                    if p.is_negated() {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    }
                ),
                "identity policies cannot name a principal; IAM rejects the document",
                "remove the Principal element",
            ))
        }
        (PolicyKind::Trust | PolicyKind::Resource, None) => out.push(Finding::new(
            "MISSING_PRINCIPAL",
            Severity::Error,
            path,
            "a statement in a resource-based policy must name a Principal",
            "add a Principal element",
        )),
        _ => {}
    }

    let action_key = if s.action.is_negated() {
        "NotAction"
    } else {
        "Action"
    };
    let actions = s.action.value();
    if actions.is_empty() {
        out.push(Finding::new(
            "EMPTY_ACTION",
            Severity::Error,
            format!("{path}.{action_key}"),
            "the statement lists no actions",
            "list the actions the statement covers",
        ));
    }
    if grants && s.action.is_negated() {
        out.push(Finding::new(
            "ALLOW_WITH_NOT_ACTION",
            Severity::Warning,
            format!("{path}.NotAction"),
            "Allow with NotAction grants every action not listed, including ones AWS adds later",
            "list the allowed actions in Action instead",
        ));
    }

    let db = ActionDb::global();
    let mut known: Vec<ActionInfo<'static>> = Vec::new();
    for (j, action) in actions.iter().enumerate() {
        let apath = element_path(path, action_key, actions, j);
        check_action(
            action,
            &apath,
            (grants && !s.action.is_negated()).then_some(denials),
            db,
            &mut known,
            out,
        );
    }
    if grants && s.action.is_negated() {
        // Allow + NotAction grants everything it does not exclude: the
        // escalation actions it leaves in are granted as surely as if listed.
        let escalating: Vec<&str> = ESCALATION
            .iter()
            .copied()
            .filter(|e| denials.allows(s, e))
            .collect();
        push_escalation(&escalating, format!("{path}.NotAction"), out);
    }

    let resources = s.resource.as_ref();
    if resources.is_none()
        && matches!(
            kind,
            PolicyKind::Identity
                | PolicyKind::Managed
                | PolicyKind::Boundary
                | PolicyKind::Resource
        )
    {
        out.push(Finding::new(
            "MISSING_RESOURCE",
            Severity::Error,
            path,
            "the statement has neither Resource nor NotResource; IAM rejects the document",
            "add a Resource element with the exact ARNs",
        ));
    }
    if let Some(r) = resources {
        let key = if r.is_negated() {
            "NotResource"
        } else {
            "Resource"
        };
        if grants && r.is_negated() {
            out.push(Finding::new(
                "ALLOW_WITH_NOT_RESOURCE",
                Severity::Warning,
                format!("{path}.NotResource"),
                "Allow with NotResource grants the actions on every resource not listed",
                "list the allowed resources in Resource instead",
            ));
        }
        for (j, res) in r.value().iter().enumerate() {
            let rpath = element_path(path, key, r.value(), j);
            if res == "*" {
                if grants && !r.is_negated() {
                    // Under NotAction, `known` holds the exclusions, not the grant.
                    let only_wildcard_actions = !s.action.is_negated()
                        && !known.is_empty()
                        && known.iter().all(ActionInfo::requires_wildcard_resource);
                    let disclosures: Vec<(&str, &str)> = actions
                        .iter()
                        .filter_map(|a| discovery_disclosure(a).map(|d| (a.as_str(), d)))
                        .collect();
                    if only_wildcard_actions && disclosures.len() == actions.len() {
                        out.push(discovery_listing(&disclosures, &rpath));
                    } else if only_wildcard_actions && known.len() == actions.len() {
                        out.push(Finding::new(
                            "WILDCARD_RESOURCE",
                            Severity::Suggestion,
                            &rpath,
                            "Resource \"*\" is required by these actions, which support no resource-level permissions",
                            "keep such actions in their own statement",
                        ));
                    } else if let Some(key) = pinned_key(s, narrows_resources) {
                        // ABAC (seed 004): the condition, not the ARN, says
                        // which resources; broad, but deliberately so.
                        out.push(Finding::new(
                            "WILDCARD_RESOURCE",
                            Severity::Warning,
                            &rpath,
                            format!(
                                "Resource \"*\" is narrowed only by the condition {key}: the actions reach every resource, in every account, that satisfies it"
                            ),
                            "name the ARNs (or the account in them) where you can, and keep the condition",
                        ));
                    } else {
                        out.push(Finding::new(
                            "WILDCARD_RESOURCE",
                            Severity::Error,
                            &rpath,
                            "Resource \"*\" applies the actions to every resource in every account",
                            "name the exact ARNs the integration needs",
                        ));
                    }
                }
                continue;
            }
            if let Err(e) = Arn::check_pattern(res) {
                out.push(Finding::new(
                    "INVALID_ARN",
                    Severity::Error,
                    &rpath,
                    format!("{res:?} is not a valid ARN: {e}"),
                    "use arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
                ));
            }
        }
        if allow && !r.is_negated() && !s.action.is_negated() {
            check_resource_types(&known, r.value().as_slice(), path, out);
        }
        if grants {
            check_pass_role(s, path, denials, out);
        }
    }

    if let Some(block) = &s.condition {
        for op in block.keys() {
            if !is_known_operator(op) {
                out.push(Finding::new(
                    "UNKNOWN_CONDITION_OPERATOR",
                    Severity::Error,
                    format!("{path}.Condition.{op}"),
                    format!("{op:?} is not an IAM condition operator"),
                    "use an operator such as StringEquals, ArnLike or Bool",
                ));
            }
        }
    }
}

/// A statement of the reviewed listing actions (`build::actions::DISCOVERY`,
/// what a grant's `Discovery: true` adds) on `"*"`: allowed, since IAM
/// accepts them on nothing narrower, but it discloses the account's
/// inventory of each service, which the finding names.
fn discovery_listing(disclosures: &[(&str, &str)], rpath: &ElementPath<'_>) -> Finding {
    let what = disclosures
        .iter()
        .map(|(action, discloses)| format!("{action} discloses {discloses}"))
        .collect::<Vec<_>>()
        .join("; ");
    Finding::new(
        "DISCOVERY_LISTING",
        Severity::Suggestion,
        rpath,
        format!(
            "Resource \"*\" with listing actions IAM accepts on nothing narrower: {what}. Rolegate grants them only for a grant that says Discovery: true"
        ),
        "keep Discovery only if the vendor's UI must let a user pick the resource; without it the user gives the resource's name or ARN",
    )
}

/// `granted` is `Some` when the action is granted (an Allow's `Action` in a
/// grant), carrying the document's outright denials.
fn check_action(
    action: &str,
    path: &ElementPath<'_>,
    granted: Option<&Denials<'_>>,
    db: &'static ActionDb,
    known: &mut Vec<ActionInfo<'static>>,
    out: &mut Vec<Finding>,
) {
    if action == "*" {
        if let Some(denials) = granted {
            out.push(Finding::new(
                "WILDCARD_ACTION",
                Severity::Error,
                path,
                "Action \"*\" grants every action of every service",
                "list the exact actions the integration needs",
            ));
            flag_escalation(action, path, denials, out);
        }
        return;
    }
    let Some((service, name)) = action.split_once(':') else {
        out.push(Finding::new(
            "INVALID_ACTION",
            Severity::Error,
            path,
            format!("{action:?} is not of the form service:Action"),
            "write actions as service:Action, e.g. s3:GetObject",
        ));
        return;
    };
    let Some(service_info) = db.service(service) else {
        out.push(Finding::new(
            "UNKNOWN_SERVICE",
            Severity::Error,
            path,
            format!("{service:?} is not a known service prefix"),
            "check the service prefix in the AWS Service Authorization Reference",
        ));
        return;
    };
    if name.contains(['*', '?']) {
        let matched: Vec<ActionInfo<'static>> = db.matching_actions(action).collect();
        if matched.is_empty() {
            out.push(Finding::new(
                "UNKNOWN_ACTION",
                Severity::Error,
                path,
                format!("{action:?} matches no known action"),
                "check the action name",
            ));
            return;
        }
        if let Some(denials) = granted {
            if name == "*" {
                out.push(Finding::new(
                    "WILDCARD_ACTION",
                    Severity::Error,
                    path,
                    format!("{action:?} grants all {} actions of {service}, including ones AWS adds later", matched.len()),
                    "list the exact actions the integration needs",
                ));
            } else {
                out.push(Finding::new(
                    "ACTION_PATTERN",
                    Severity::Warning,
                    path,
                    format!(
                        "{action:?} grants {} actions today and any matching action AWS adds later",
                        matched.len()
                    ),
                    "list the matching actions you need explicitly",
                ));
            }
            flag_escalation(action, path, denials, out);
        }
        known.extend(matched);
        return;
    }
    match service_info.action(name) {
        Some(info) => {
            if let Some(denials) = granted {
                flag_escalation(action, path, denials, out);
            }
            known.push(info);
        }
        None => out.push(Finding::new(
            "UNKNOWN_ACTION",
            Severity::Error,
            path,
            format!("{action:?} is not an action of {service}"),
            "check the action name in the AWS Service Authorization Reference",
        )),
    }
}

/// The escalation actions the granted action pattern `action` covers and
/// no outright Deny of the same document takes back.
fn flag_escalation(
    action: &str,
    path: &ElementPath<'_>,
    denials: &Denials<'_>,
    out: &mut Vec<Finding>,
) {
    // Lint runs on every provisioning: an action of another service (the
    // usual case) is settled by its prefix, without globbing every name.
    let service = action.split_once(':').map_or(action, |(svc, _)| svc);
    if !action_covers(service, "iam") {
        return;
    }
    let escalating: Vec<&str> = ESCALATION
        .iter()
        .copied()
        .filter(|e| action_covers(action, e) && !denials.deny(e))
        .collect();
    push_escalation(&escalating, path, out);
}

fn push_escalation(escalating: &[&str], path: impl Into<String>, out: &mut Vec<Finding>) {
    if escalating.is_empty() {
        return;
    }
    out.push(Finding::new(
        "PRIVILEGE_ESCALATION",
        Severity::Error,
        path,
        format!(
            "grants {}, which let the role raise its own permissions",
            escalating.join(", ")
        ),
        "remove IAM write actions from integration roles",
    ));
}

/// An action whose resource types match none of the statement's resources
/// grants nothing there, and usually means the wrong ARN was pasted.
fn check_resource_types(
    known: &[ActionInfo<'static>],
    resources: &[String],
    path: &str,
    out: &mut Vec<Finding>,
) {
    let concrete: Vec<&String> = resources.iter().filter(|r| *r != "*").collect();
    if concrete.is_empty() || resources.iter().any(|r| r == "*") {
        return;
    }
    // Actions of one service share resource types: match each type once.
    let mut matched: Vec<(&'static ResourceTypeInfo, bool)> = Vec::new();
    let mut type_fits = |info: &'static ResourceTypeInfo| {
        if let Some((_, m)) = matched.iter().find(|(i, _)| std::ptr::eq(*i, info)) {
            return *m;
        }
        let m = concrete.iter().any(|r| info.matches_arn(r));
        matched.push((info, m));
        m
    };
    for action in known {
        let fits = !action.requires_wildcard_resource()
            && action
                .resource_types()
                .any(|rt| rt.info().is_some_and(&mut type_fits));
        if !fits {
            let needs = if action.requires_wildcard_resource() {
                "Resource \"*\"".to_owned()
            } else {
                action
                    .resource_types()
                    .map(|rt| rt.name().to_owned())
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            out.push(Finding::new(
                "ACTION_RESOURCE_MISMATCH",
                Severity::Warning,
                format!("{path}.Resource"),
                format!(
                    "{}:{} applies to {needs}, and none of the statement's resources is one",
                    action.service(),
                    action.name()
                ),
                "pair the action with an ARN of the resource type it acts on",
            ));
        }
    }
}

/// iam:PassRole and sts:AssumeRole on any role, whether listed, matched by a
/// pattern or left in by a NotAction. NotResource counts as any role: it
/// names the few roles excluded, not the ones allowed.
fn check_pass_role(s: &Statement, path: &str, denials: &Denials<'_>, out: &mut Vec<Finding>) {
    let Some(r) = &s.resource else {
        return;
    };
    let rpath = format!(
        "{path}.{}",
        if r.is_negated() {
            "NotResource"
        } else {
            "Resource"
        }
    );
    let broad = r.is_negated()
        || r.value()
            .iter()
            .any(|r| r == "*" || r.ends_with(":role/*") || r.ends_with(":*"));
    if broad && denials.allows(s, "iam:PassRole") {
        out.push(Finding::new(
            "PASSROLE_WILDCARD",
            Severity::Error,
            &rpath,
            "iam:PassRole on any role lets the principal hand an admin role to a service",
            "limit iam:PassRole to the exact role ARNs and add an iam:PassedToService condition",
        ));
    }
    let any_role = r.is_negated() || r.value().iter().any(|r| r == "*");
    if any_role && denials.allows(s, "sts:AssumeRole") {
        check_assume_any_role(s, &rpath, out);
    }
}

/// Condition keys (lower-case) that pick resources by tag or by account:
/// with one pinned, `Resource: "*"` is attribute-based access control.
fn narrows_resources(key: &str) -> bool {
    key.starts_with("aws:resourcetag/")
        || key.starts_with("iam:resourcetag/")
        || matches!(
            key,
            "aws:resourceaccount" | "aws:resourceorgid" | "aws:resourceorgpaths"
        )
}

/// sts:AssumeRole on any role is an error, unless a condition pins a tag the
/// role must carry: the ABAC pattern of seed 004, where the roles one may
/// assume are the ones tagged for one's project. That still reaches every
/// account trusting this one, and whoever may tag roles there decides which
/// roles qualify, so it stays a warning until the accounts are pinned too.
fn check_assume_any_role(s: &Statement, rpath: &str, out: &mut Vec<Finding>) {
    let tag = pinned_key(s, |k| {
        k.starts_with("iam:resourcetag/") || k.starts_with("aws:resourcetag/")
    });
    let Some(tag) = tag else {
        out.push(Finding::new(
            "ASSUME_ANY_ROLE",
            Severity::Error,
            rpath,
            "sts:AssumeRole on \"*\" lets the role assume every role that trusts its account",
            "list the exact role ARNs it may assume",
        ));
        return;
    };
    let accounts = pinned_key(s, |k| {
        matches!(
            k,
            "aws:resourceaccount" | "aws:resourceorgid" | "aws:resourceorgpaths"
        )
    });
    let (severity, reach) = match &accounts {
        Some(a) => (Severity::Suggestion, format!("in the accounts {a} allows")),
        None => (Severity::Warning, "in any account".to_owned()),
    };
    out.push(Finding::new(
        "ASSUME_ROLE_BY_TAG",
        severity,
        rpath,
        format!(
            "sts:AssumeRole on \"*\" limited by {tag}: every role {reach} that carries the tag and trusts this account may be assumed, and whoever may tag roles there decides which"
        ),
        "pin the accounts with aws:ResourceAccount (or list the role ARNs), and allow iam:TagRole on that tag key only to administrators",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_with_modifiers_are_recognised() {
        for op in [
            "StringEquals",
            "ForAllValues:StringLike",
            "ArnLikeIfExists",
            "ForAnyValue:NumericLessThanIfExists",
            "Null",
        ] {
            assert!(is_known_operator(op), "{op}");
        }
        for op in [
            "StringEqual",
            "NullIfExists",
            "ForSomeValues:StringLike",
            "stringequals",
        ] {
            assert!(!is_known_operator(op), "{op}");
        }
    }
}
