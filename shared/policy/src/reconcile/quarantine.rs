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
//! writes through IAM ([`TAG_QUARANTINE`], [`TAG_QUARANTINE_REASON`]).
//! The guard may not write role records (only the provisioner can seal
//! one, see [`super::seal`]), and an SSM parameter is no place for state
//! that takes access away or gives it back: whoever can write a parameter
//! could lift a quarantine. The provisioner copies the role's quarantine
//! into the record it seals, so a replacement role inherits it and a role
//! whose tags are stripped by an IAM tamper gets it back
//! ([`effective_quarantine`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::build::DesiredRole;
use crate::document::{Effect, PolicyDocument, Statement};
use crate::time::Timestamp;

/// Every quarantine policy's name starts with this.
pub const NAME_PREFIX: &str = "rolegate-quarantine-";
pub const DENY_ALL_POLICY: &str = "rolegate-quarantine-deny-all";
pub const REVOKE_SESSIONS_POLICY: &str = "rolegate-quarantine-revoke-older-sessions";
/// IAM's longest role session (MaxSessionDuration's ceiling). A session
/// issued before a revocation is dead this long after it at the latest.
pub const LONGEST_SESSION_SECONDS: i64 = 43_200;
/// `<since>`, or `<since> lifted <lifted>`.
pub const TAG_QUARANTINE: &str = "rolegate:quarantine";
/// Why, in the characters an IAM tag value may hold.
pub const TAG_QUARANTINE_REASON: &str = "rolegate:quarantine-reason";
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
            (TAG_QUARANTINE, tag_value(&state)),
            (TAG_QUARANTINE_REASON, tag_value(&self.reason)),
        ]
    }

    /// The quarantine a role's tags hold, if they hold one.
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Option<Quarantine> {
        let state = tags.get(TAG_QUARANTINE)?;
        let (since, lifted) = match state.split_once(LIFTED_SEPARATOR) {
            Some((since, lifted)) => (since, Some(lifted.to_owned())),
            None => (state.as_str(), None),
        };
        Some(Quarantine {
            since: since.to_owned(),
            reason: tags.get(TAG_QUARANTINE_REASON).cloned().unwrap_or_default(),
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
}
