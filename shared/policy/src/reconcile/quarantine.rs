//! Quarantine: how the guard takes an integration's access away without
//! deleting anything, and gives it back.
//!
//! A quarantined role carries two extra inline policies: a deny on
//! everything, and AWS's `AWSRevokeOlderSessions` pattern (deny everything
//! to sessions issued before the quarantine). Both are part of the role's
//! desired state while the quarantine lasts, so the reconcile engine keeps
//! them in place like any other policy. When the quarantine is lifted the
//! deny-all goes at once, but the session revocation stays until every
//! session issued before it has expired: otherwise lifting a quarantine
//! would revive a stolen session.
//!
//! Where a quarantine is kept: on the role itself, as two tags the guard
//! writes through IAM ([`tags::QUARANTINE`], [`tags::QUARANTINE_REASON`]).
//! The guard may not write role records (only the provisioner can seal
//! one, see [`super::seal`]), and an SSM parameter is no place for state
//! that takes access away or gives it back: whoever can write a parameter
//! could lift a quarantine. The provisioner copies the role's quarantine
//! into the record it seals, so a replacement role inherits it and a role
//! whose tags are stripped by an IAM tamper gets it back
//! ([`effective_quarantine`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LiveRole, Operation, Plan};
use crate::build::DesiredRole;
use crate::document::{Effect, PolicyDocument, Statement};
use crate::tags;
use crate::time::Timestamp;

/// Every quarantine policy's name starts with this.
pub const NAME_PREFIX: &str = "rolegate-quarantine-";
pub const DENY_ALL_POLICY: &str = "rolegate-quarantine-deny-all";
pub const REVOKE_SESSIONS_POLICY: &str = "rolegate-quarantine-revoke-older-sessions";
/// IAM's longest role session (MaxSessionDuration's ceiling). A session
/// issued before a revocation is dead this long after it at the latest.
pub const LONGEST_SESSION_SECONDS: i64 = 43_200;
/// IAM's longest tag value.
const TAG_VALUE_MAX: usize = 256;
const LIFTED_SEPARATOR: &str = " lifted ";

/// A quarantine as the role record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Quarantine {
    /// When access was revoked (RFC 3339): the `aws:TokenIssueTime` bound.
    pub since: String,
    /// Why, as the command or the detection put it.
    pub reason: String,
    /// When access was given back, if it has been.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifted: Option<String>,
}

impl Quarantine {
    pub fn new(since: &Timestamp, reason: &str) -> Quarantine {
        Quarantine {
            since: since.to_string(),
            reason: reason.to_owned(),
            lifted: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.lifted.is_none()
    }

    /// The policies the role must carry at `now`, by name.
    pub fn policies(&self, now: &Timestamp) -> Vec<(&'static str, PolicyDocument)> {
        let Some(since) = Timestamp::parse(&self.since) else {
            // An unreadable record errs on the side of no access.
            return vec![(DENY_ALL_POLICY, deny_all())];
        };
        let mut policies = Vec::new();
        if self.is_active() {
            policies.push((DENY_ALL_POLICY, deny_all()));
        }
        if now.epoch_seconds() < since.epoch_seconds() + LONGEST_SESSION_SECONDS {
            policies.push((REVOKE_SESSIONS_POLICY, revoke_sessions_before(&since)));
        }
        policies
    }

    /// True once the quarantine leaves nothing on the role: the record can forget it.
    pub fn is_spent(&self, now: &Timestamp) -> bool {
        !self.is_active() && self.policies(now).is_empty()
    }

    /// The two tags that keep this quarantine on the role.
    pub fn tags(&self) -> [(&'static str, String); 2] {
        let state = match &self.lifted {
            Some(lifted) => format!("{}{LIFTED_SEPARATOR}{lifted}", self.since),
            None => self.since.clone(),
        };
        [
            (tags::QUARANTINE, tag_value(&state)),
            (tags::QUARANTINE_REASON, tag_value(&self.reason)),
        ]
    }

    /// The quarantine a role's tags hold, if they hold one.
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Option<Quarantine> {
        let state = tags.get(tags::QUARANTINE)?;
        let (since, lifted) = match state.split_once(LIFTED_SEPARATOR) {
            Some((since, lifted)) => (since, Some(lifted.to_owned())),
            None => (state.as_str(), None),
        };
        Some(Quarantine {
            since: since.to_owned(),
            reason: tags
                .get(tags::QUARANTINE_REASON)
                .cloned()
                .unwrap_or_default(),
            lifted,
        })
    }
}

/// `text` in the characters IAM allows in a tag value (letters, digits,
/// white space and `_ . : / = + - @`), others as `_`, cut to 256.
fn tag_value(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(TAG_VALUE_MAX)
        .collect()
}

/// The quarantine that holds for a role: the one its tags keep (written by
/// the guard through IAM), unless the sealed record carries a later one;
/// the record's when the tags are gone. A deny-all quarantine policy on the
/// role with neither behind it is kept: a quarantine is lifted only by the
/// guard's authenticated Restore, never by stripping its traces.
pub fn effective_quarantine(
    live_tags: &BTreeMap<String, String>,
    live_policy_names: impl IntoIterator<Item = impl AsRef<str>>,
    recorded: Option<&Quarantine>,
) -> Option<Quarantine> {
    let tagged = Quarantine::from_tags(live_tags);
    let later = |a: &Quarantine, b: &Quarantine| match (
        Timestamp::parse(&a.since),
        Timestamp::parse(&b.since),
    ) {
        (Some(a), Some(b)) => a.epoch_seconds() > b.epoch_seconds(),
        _ => false,
    };
    match (tagged, recorded) {
        (Some(t), Some(r)) if later(r, &t) => Some(r.clone()),
        (Some(t), _) => Some(t),
        (None, Some(r)) => Some(r.clone()),
        (None, None) => live_policy_names
            .into_iter()
            .any(|n| n.as_ref() == DENY_ALL_POLICY)
            .then(|| Quarantine {
                since: String::new(),
                reason:
                    "a quarantine policy on the role with no quarantine tags or record behind it"
                        .to_owned(),
                lifted: None,
            }),
    }
}

/// `role` as it must be while `quarantine` applies at `now`: its policies
/// while they last, and its tags.
pub fn with_quarantine(
    mut role: DesiredRole,
    quarantine: Option<&Quarantine>,
    now: &Timestamp,
) -> DesiredRole {
    // A spent quarantine keeps its tags: they say it was lifted, and the
    // sealed record may still hold it as active until the next stack
    // Update. Only the provisioner, which reseals the record, forgets it.
    if let Some(q) = quarantine {
        for (name, doc) in q.policies(now) {
            role.inline_policies.insert(name.to_owned(), doc);
        }
        for (key, value) in q.tags() {
            role.tags.insert(key.to_owned(), value);
        }
    }
    role
}

/// The quarantine a role must carry when the guard revokes its access at
/// `now`: the `current` one while it is active (its start bounds the
/// sessions it revokes), else a new one for `reason`.
pub fn impose(current: Option<&Quarantine>, reason: &str, now: &Timestamp) -> Quarantine {
    match current.filter(|q| q.is_active()) {
        Some(active) => active.clone(),
        None => Quarantine::new(now, reason),
    }
}

/// `current` lifted at `now` (the guard's Restore): the deny-all goes, the
/// session revocation stays until it is spent. A lifted one stays as it was.
pub fn lift(current: Option<Quarantine>, now: &Timestamp) -> Option<Quarantine> {
    current.map(|mut q| {
        if q.is_active() {
            q.lifted = Some(now.to_string());
        }
        q
    })
}

/// `current` unless it is spent at `now`: what a resealed record keeps.
pub fn forget_spent(current: Option<Quarantine>, now: &Timestamp) -> Option<Quarantine> {
    current.filter(|q| !q.is_spent(now))
}

/// PutRolePolicy for each policy of `quarantine` the live role lacks, and
/// TagRole for its tags (where the quarantine is kept) when they differ.
pub fn quarantine_plan(live: &LiveRole, quarantine: &Quarantine, now: &Timestamp) -> Plan {
    let mut operations: Vec<Operation> = quarantine
        .policies(now)
        .into_iter()
        .filter(|(name, doc)| {
            !live
                .inline_policies
                .get(*name)
                .and_then(Option::as_ref)
                .is_some_and(|live_doc| live_doc.equivalent(doc))
        })
        .map(|(name, document)| Operation::PutRolePolicy {
            name: name.to_owned(),
            document,
        })
        .collect();
    let tags: BTreeMap<String, String> = quarantine
        .tags()
        .into_iter()
        .filter(|(key, value)| live.tags.get(*key) != Some(value))
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
    if !tags.is_empty() {
        operations.push(Operation::TagRole { tags });
    }
    super::RoleDiff { operations }.into_plan(&live.name)
}

fn deny_everything(sid: &str) -> Statement {
    let mut statement = Statement::allow(vec!["*".into()], vec!["*".into()]).with_sid(sid);
    statement.effect = Effect::Deny;
    statement
}

fn deny_all() -> PolicyDocument {
    PolicyDocument::new(vec![deny_everything("RolegateQuarantineDenyAll")])
}

/// The console's "Revoke active sessions" policy, `AWSRevokeOlderSessions`.
fn revoke_sessions_before(since: &Timestamp) -> PolicyDocument {
    let statement = deny_everything("RolegateRevokeOlderSessions").with_condition(
        "DateLessThan",
        "aws:TokenIssueTime",
        vec![since.as_str().into()],
    );
    PolicyDocument::new(vec![statement])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap_or_else(|| Timestamp::from_epoch_seconds(0))
    }

    #[test]
    fn an_active_quarantine_denies_everything_and_revokes_older_sessions() {
        let q = Quarantine::new(&at("2026-11-23T10:00:00Z"), "offboarded");
        let names: Vec<_> = q
            .policies(&at("2026-12-30T00:00:00Z"))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, [DENY_ALL_POLICY]);
        let names: Vec<_> = q
            .policies(&at("2026-11-23T10:00:01Z"))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, [DENY_ALL_POLICY, REVOKE_SESSIONS_POLICY]);
    }

    #[test]
    fn a_quarantine_round_trips_through_its_tags() {
        let mut q = Quarantine::new(&at("2026-11-23T10:00:00Z"), "offboarded: ticket #42");
        let tags = |q: &Quarantine| -> BTreeMap<String, String> {
            q.tags()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect()
        };
        let back = Quarantine::from_tags(&tags(&q)).unwrap();
        assert_eq!(back.since, q.since);
        assert_eq!(back.reason, "offboarded: ticket _42");
        q.lifted = Some("2026-11-23T11:00:00Z".into());
        assert_eq!(Quarantine::from_tags(&tags(&q)).unwrap().lifted, q.lifted);
    }

    #[test]
    fn the_tags_win_unless_the_record_holds_a_later_quarantine() {
        let older = Quarantine::new(&at("2026-11-23T10:00:00Z"), "a");
        let mut lifted = older.clone();
        lifted.lifted = Some("2026-11-23T11:00:00Z".into());
        let tags: BTreeMap<String, String> = lifted
            .tags()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let none: [&str; 0] = [];
        // The guard lifted it (tags); the record still says active.
        let got = effective_quarantine(&tags, none, Some(&older)).unwrap();
        assert!(!got.is_active());
        // A later quarantine in the record (tags stripped back by a tamper).
        let newer = Quarantine::new(&at("2026-11-24T10:00:00Z"), "b");
        assert_eq!(effective_quarantine(&tags, none, Some(&newer)), Some(newer));
    }

    #[test]
    fn a_deny_all_policy_without_tags_or_record_stays_active() {
        let got = effective_quarantine(&BTreeMap::new(), [DENY_ALL_POLICY], None).unwrap();
        assert!(got.is_active());
        let none: [&str; 0] = [];
        assert_eq!(effective_quarantine(&BTreeMap::new(), none, None), None);
    }

    #[test]
    fn a_lifted_quarantine_keeps_revoking_old_sessions_until_they_expire() {
        let mut q = Quarantine::new(&at("2026-11-23T10:00:00Z"), "offboarded");
        q.lifted = Some("2026-11-23T11:00:00Z".into());
        let policies = q.policies(&at("2026-11-23T11:00:00Z"));
        assert_eq!(policies.len(), 1);
        assert_eq!(policies[0].0, REVOKE_SESSIONS_POLICY);
        let json = policies[0].1.to_json();
        assert!(
            json.contains(r#""aws:TokenIssueTime":"2026-11-23T10:00:00Z""#),
            "{json}"
        );
        assert!(!q.is_spent(&at("2026-11-23T21:59:59Z")));
        assert!(q.is_spent(&at("2026-11-23T22:00:00Z")));
    }

    #[test]
    fn imposing_keeps_an_active_quarantine_and_starts_a_new_one_otherwise() {
        let active = Quarantine::new(&at("2026-11-23T10:00:00Z"), "first");
        let now = at("2026-11-24T10:00:00Z");
        assert_eq!(impose(Some(&active), "second", &now), active);
        let mut lifted = active.clone();
        lifted.lifted = Some("2026-11-23T11:00:00Z".into());
        let fresh = impose(Some(&lifted), "second", &now);
        assert_eq!(fresh, Quarantine::new(&now, "second"));
        assert_eq!(impose(None, "second", &now), fresh);
    }

    #[test]
    fn lifting_marks_an_active_quarantine_lifted_now_and_leaves_a_lifted_one() {
        let active = Quarantine::new(&at("2026-11-23T10:00:00Z"), "offboarded");
        let now = at("2026-11-23T12:00:00Z");
        let lifted = lift(Some(active), &now).expect("still there");
        assert_eq!(lifted.lifted.as_deref(), Some("2026-11-23T12:00:00Z"));
        let again = lift(Some(lifted.clone()), &at("2026-11-24T00:00:00Z"));
        assert_eq!(again, Some(lifted));
        assert_eq!(lift(None, &now), None);
    }

    #[test]
    fn a_spent_quarantine_is_forgotten_and_an_unspent_one_kept() {
        let mut q = Quarantine::new(&at("2026-11-23T10:00:00Z"), "offboarded");
        let later = at("2026-11-30T00:00:00Z");
        assert_eq!(forget_spent(Some(q.clone()), &later), Some(q.clone()));
        q.lifted = Some("2026-11-23T11:00:00Z".into());
        assert_eq!(
            forget_spent(Some(q.clone()), &at("2026-11-23T12:00:00Z")),
            Some(q.clone())
        );
        assert_eq!(forget_spent(Some(q), &later), None);
    }

    #[test]
    fn the_plan_puts_only_the_missing_policies_and_changed_tags() {
        let q = Quarantine::new(&at("2026-11-23T10:00:00Z"), "offboarded");
        let now = at("2026-11-23T10:00:01Z");
        let mut live = LiveRole {
            name: "r".into(),
            arn: "arn:aws:iam::123456789012:role/integrations/r".into(),
            path: "/integrations/".into(),
            description: None,
            trust_policy: None,
            max_session_duration: 3600,
            permissions_boundary_arn: None,
            inline_policies: BTreeMap::new(),
            attached_policy_arns: Vec::new(),
            managed_policies: BTreeMap::new(),
            instance_profiles: Vec::new(),
            tags: BTreeMap::new(),
            created: None,
            last_used: None,
        };
        assert_eq!(quarantine_plan(&live, &q, &now).operations().count(), 3);
        for (name, doc) in q.policies(&now) {
            live.inline_policies.insert(name.to_owned(), Some(doc));
        }
        for (key, value) in q.tags() {
            live.tags.insert(key.to_owned(), value);
        }
        assert_eq!(quarantine_plan(&live, &q, &now).operations().count(), 0);
    }
}
