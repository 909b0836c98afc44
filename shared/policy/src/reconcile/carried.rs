//! What an existing role hands on to the role that replaces it or to its
//! own next update: the ExternalId the vendor already holds (unless the
//! spec sets one) and the guard's quarantine (a stack update never lifts
//! it). The provisioner reads the role and its record; this decides.

use super::quarantine::{Quarantine, effective_quarantine, forget_spent};
use super::record::RoleRecord;
use super::{LiveRole, external_id_of};
use crate::time::Timestamp;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    pub external_id: Option<String>,
    pub quarantine: Option<Quarantine>,
}

impl Carried {
    /// What role `live` and its record hand on. `record` must be the
    /// trusted one (sealed, for this role): an untrusted record is `None`,
    /// and then the live trust policy and tags decide.
    pub fn of(live: &LiveRole, record: Option<&RoleRecord>, now: &Timestamp) -> Carried {
        Carried {
            external_id: record
                .and_then(|r| r.external_id().map(str::to_owned))
                .or_else(|| live.trust_policy.as_ref().and_then(external_id_of)),
            quarantine: forget_spent(
                effective_quarantine(
                    &live.tags,
                    live.inline_policies.keys(),
                    record.and_then(|r| r.quarantine.as_ref()),
                ),
                now,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::document::PolicyDocument;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap_or_else(|| Timestamp::from_epoch_seconds(0))
    }

    fn live(tags: BTreeMap<String, String>, trust: Option<PolicyDocument>) -> LiveRole {
        LiveRole {
            name: "r".into(),
            arn: "arn:aws:iam::123456789012:role/integrations/r".into(),
            path: "/integrations/".into(),
            description: None,
            trust_policy: trust,
            max_session_duration: 3600,
            permissions_boundary_arn: None,
            inline_policies: BTreeMap::new(),
            attached_policy_arns: Vec::new(),
            managed_policies: BTreeMap::new(),
            instance_profiles: Vec::new(),
            tags,
            created: None,
            last_used: None,
        }
    }

    fn trust_with(external_id: &str) -> Option<PolicyDocument> {
        PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::966208727603:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}))
        .ok()
    }

    #[test]
    fn without_a_trusted_record_the_live_trust_hands_on_the_external_id() {
        let got = Carried::of(
            &live(BTreeMap::new(), trust_with("kept-id")),
            None,
            &at("2026-12-01T00:00:00Z"),
        );
        assert_eq!(got.external_id.as_deref(), Some("kept-id"));
        assert_eq!(got.quarantine, None);
    }

    #[test]
    fn an_active_quarantine_on_the_role_is_handed_on_and_a_spent_one_is_not() {
        let q = Quarantine::new(&at("2026-11-23T10:00:00Z"), "offboarded");
        let tags = |q: &Quarantine| -> BTreeMap<String, String> {
            q.tags()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect()
        };
        let now = at("2026-12-01T00:00:00Z");
        let got = Carried::of(&live(tags(&q), None), None, &now);
        assert_eq!(got.quarantine, Some(q.clone()));
        let mut lifted = q;
        lifted.lifted = Some("2026-11-23T11:00:00Z".into());
        let got = Carried::of(&live(tags(&lifted), None), None, &now);
        assert_eq!(got.quarantine, None, "spent: nothing left to keep");
    }
}
