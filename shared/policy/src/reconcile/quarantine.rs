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
}

/// `role` as it must be while `quarantine` applies at `now`.
pub fn with_quarantine(
    mut role: DesiredRole,
    quarantine: Option<&Quarantine>,
    now: &Timestamp,
) -> DesiredRole {
    if let Some(q) = quarantine {
        for (name, doc) in q.policies(now) {
            role.inline_policies.insert(name.to_owned(), doc);
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
