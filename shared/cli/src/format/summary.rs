//! A rendered role read for a reviewer, once, for the markdown and the
//! terminal views: who may assume it and under which conditions (the
//! ExternalId masked), what it may do (service, access level from IAM's
//! action database, actions, resources, conditions), and its boundary.

use std::collections::BTreeSet;

use rolegate_policy::actiondb::{AccessLevel, ActionDb};
use rolegate_policy::document::{ConditionBlock, Effect, OneOrMany, Polarity, Statement};

use super::{RenderedRole, SECRET_MASK};

/// The condition key whose values are secrets.
const EXTERNAL_ID_KEY: &str = "sts:ExternalId";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSummary {
    pub name: String,
    pub arn: String,
    pub logical_id: Option<String>,
    pub account: String,
    pub description: Option<String>,
    pub max_session_duration: u32,
    pub trust: Vec<TrustEntry>,
    pub permissions: Vec<PermissionRow>,
    /// The boundary's ARN and where it came from.
    pub boundary: Option<(String, String)>,
    pub digest: String,
}

/// One statement of the trust policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustEntry {
    pub effect: Effect,
    /// `NotPrincipal`: everyone but these.
    pub all_but: bool,
    /// (type, value): `("AWS", "arn:...")`, `("Service", "ec2.amazonaws.com")`.
    pub principals: Vec<(String, String)>,
    pub actions: Vec<String>,
    pub conditions: Vec<String>,
}

/// What the role's inline policies allow (or deny) one service on the
/// same resources under the same conditions: the statements the builder
/// writes one per purpose (list the bucket, read objects, write objects)
/// are merged when they share all three, so a reviewer reads one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRow {
    pub effect: Effect,
    pub service: String,
    /// IAM's access levels of the actions (`List`, `Read`, `Write`, ...),
    /// or `unknown` for actions the database does not hold.
    pub access: Vec<String>,
    /// `NotAction`: every action but these.
    pub all_actions_but: bool,
    pub actions: Vec<String>,
    /// `NotResource`: every resource but these.
    pub all_resources_but: bool,
    pub resources: Vec<String>,
    pub conditions: Vec<String>,
}

pub fn summarize(rendered: &RenderedRole<'_>) -> RoleSummary {
    let role = rendered.role;
    RoleSummary {
        name: rendered.name(),
        arn: rendered.arn(),
        logical_id: rendered.logical_id.map(str::to_owned),
        account: rendered.account.to_owned(),
        description: role.description.clone(),
        max_session_duration: role.max_session_duration,
        trust: role
            .trust_policy
            .statements()
            .iter()
            .map(trust_entry)
            .collect(),
        permissions: merge(
            role.inline_policies
                .values()
                .flat_map(|doc| doc.statements().iter().flat_map(rows))
                .collect(),
        ),
        boundary: role
            .permissions_boundary_arn
            .as_ref()
            .map(|arn| (arn.clone(), rendered.boundary_source.to_owned())),
        digest: rendered.digest.to_owned(),
    }
}

fn trust_entry(s: &Statement) -> TrustEntry {
    let (all_but, principals) = match &s.principal {
        Some(p) => (
            p.is_negated(),
            p.value()
                .entries()
                .map(|(t, v)| (t.as_str().to_owned(), v.to_owned()))
                .collect(),
        ),
        None => (false, Vec::new()),
    };
    let principals =
        if principals.is_empty() && s.principal.as_ref().is_some_and(|p| p.value().is_anyone()) {
            vec![("AWS".to_owned(), "*".to_owned())]
        } else {
            principals
        };
    TrustEntry {
        effect: s.effect,
        all_but,
        principals,
        actions: s.action.value().iter().cloned().collect(),
        conditions: conditions(s.condition.as_ref()),
    }
}

/// Rows that differ only in their actions become one, in first-seen order.
fn merge(rows: Vec<PermissionRow>) -> Vec<PermissionRow> {
    let mut out: Vec<PermissionRow> = Vec::new();
    for row in rows {
        let same = out.iter_mut().find(|m| {
            !row.all_actions_but
                && !m.all_actions_but
                && m.effect == row.effect
                && m.service == row.service
                && m.all_resources_but == row.all_resources_but
                && m.resources == row.resources
                && m.conditions == row.conditions
        });
        match same {
            Some(m) => {
                for a in row.actions {
                    if !m.actions.contains(&a) {
                        m.actions.push(a);
                    }
                }
                m.access = access_levels(&m.actions);
            }
            None => out.push(row),
        }
    }
    out
}

/// A statement's actions split by service, one row each.
fn rows(s: &Statement) -> Vec<PermissionRow> {
    let actions = s.action.value();
    let mut services: Vec<String> = actions.iter().map(|a| service_of(a)).collect();
    services.dedup();
    let services: Vec<String> = {
        let mut seen = BTreeSet::new();
        services
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .collect()
    };
    let (all_resources_but, resources) = match &s.resource {
        Some(r) => (r.is_negated(), r.value().iter().cloned().collect()),
        None => (false, Vec::new()),
    };
    let conditions = conditions(s.condition.as_ref());
    services
        .into_iter()
        .map(|service| {
            let mine: Vec<String> = actions
                .iter()
                .filter(|a| service_of(a) == service)
                .cloned()
                .collect();
            PermissionRow {
                effect: s.effect,
                access: if matches!(s.action, Polarity::Not(_)) {
                    // Everything but the listed actions: any level.
                    vec!["all but the listed actions".to_owned()]
                } else {
                    access_levels(&mine)
                },
                service,
                all_actions_but: s.action.is_negated(),
                actions: mine,
                all_resources_but,
                resources: resources.clone(),
                conditions: conditions.clone(),
            }
        })
        .collect()
}

/// `s3:GetObject` -> `s3`; a bare `*` is every service.
fn service_of(action: &str) -> String {
    match action.split_once(':') {
        Some((service, _)) => service.to_ascii_lowercase(),
        None => action.to_owned(),
    }
}

/// The access levels IAM documents for `actions` (patterns expanded over
/// the database), in IAM's order: List, Read, Write, Permissions
/// management, Tagging.
fn access_levels(actions: &[String]) -> Vec<String> {
    let db = ActionDb::global();
    let mut levels = BTreeSet::new();
    let mut unknown = false;
    for action in actions {
        let mut matched = false;
        if action.contains(['*', '?']) {
            for info in db.matching_actions(action) {
                matched = true;
                levels.extend(info.access_levels());
            }
        } else if let Some(info) = db.action(action) {
            matched = true;
            levels.extend(info.access_levels());
        }
        unknown |= !matched;
    }
    let mut out: Vec<String> = levels
        .into_iter()
        .map(|l: AccessLevel| l.as_str().to_owned())
        .collect();
    if unknown {
        out.push("unknown".to_owned());
    }
    out
}

/// Each condition as `Operator key = value`, an ExternalId's value masked.
fn conditions(block: Option<&ConditionBlock>) -> Vec<String> {
    let Some(block) = block else {
        return Vec::new();
    };
    block
        .iter()
        .flat_map(|(op, keys)| {
            keys.iter().map(move |(key, values)| {
                let shown: Vec<String> = if key.eq_ignore_ascii_case(EXTERNAL_ID_KEY) {
                    values.iter().map(|_| SECRET_MASK.to_owned()).collect()
                } else {
                    values
                        .iter()
                        .map(|v| v.as_iam_string().into_owned())
                        .collect()
                };
                let value = match (values, shown.as_slice()) {
                    (OneOrMany::One(_), [one]) => one.clone(),
                    _ => format!("[{}]", shown.join(", ")),
                };
                format!("{op} {key} = {value}")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_levels_follow_the_action_database_in_iams_order() {
        let levels = access_levels(&[
            "s3:PutObject".to_owned(),
            "s3:GetObject".to_owned(),
            "s3:ListBucket".to_owned(),
        ]);
        assert_eq!(levels, ["List", "Read", "Write"]);
    }

    #[test]
    fn a_pattern_takes_the_levels_of_every_action_it_matches() {
        let levels = access_levels(&["s3:GetObjectT*".to_owned()]);
        assert!(levels.contains(&"Read".to_owned()), "{levels:?}");
        assert!(!levels.contains(&"unknown".to_owned()), "{levels:?}");
    }

    #[test]
    fn an_action_the_database_does_not_know_is_unknown() {
        assert_eq!(access_levels(&["s3:MadeUp".to_owned()]), ["unknown"]);
    }

    #[test]
    fn an_external_id_condition_shows_the_mask_not_the_value() {
        let statement: Statement = Statement::allow(vec!["sts:AssumeRole".into()], vec![])
            .with_condition(
                "StringEquals",
                "sts:ExternalId",
                vec!["s3cr3t-value".into()],
            )
            .with_condition(
                "StringLike",
                "aws:SourceArn",
                vec!["arn:a".into(), "arn:b".into()],
            );
        let shown = conditions(statement.condition.as_ref());
        assert_eq!(
            shown,
            [
                format!("StringEquals sts:ExternalId = {SECRET_MASK}"),
                "StringLike aws:SourceArn = [arn:a, arn:b]".to_owned(),
            ]
        );
    }

    #[test]
    fn statements_on_the_same_resources_and_conditions_are_one_row() {
        let list = Statement::allow(vec!["s3:ListBucket".into()], vec!["arn:aws:s3:::b".into()]);
        let read = Statement::allow(vec!["s3:GetObject".into()], vec!["arn:aws:s3:::b/*".into()]);
        let write = Statement::allow(vec!["s3:PutObject".into()], vec!["arn:aws:s3:::b/*".into()]);
        let merged = merge([list, read, write].iter().flat_map(rows).collect());
        assert_eq!(merged.len(), 2, "{merged:?}");
        assert_eq!(merged[1].actions, ["s3:GetObject", "s3:PutObject"]);
        assert_eq!(merged[1].access, ["Read", "Write"]);
    }

    #[test]
    fn a_statement_over_two_services_is_a_row_for_each() {
        let statement = Statement::allow(
            vec![
                "s3:GetObject".into(),
                "kms:Decrypt".into(),
                "s3:ListBucket".into(),
            ],
            vec!["*".into()],
        );
        let rows = rows(&statement);
        let services: Vec<&str> = rows.iter().map(|r| r.service.as_str()).collect();
        assert_eq!(services, ["s3", "kms"]);
        assert_eq!(rows[0].actions, ["s3:GetObject", "s3:ListBucket"]);
        assert_eq!(rows[1].access, ["Write"]);
    }
}
