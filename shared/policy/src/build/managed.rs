//! Overflow into customer managed policies: where each of a role's policies
//! goes when together they pass IAM's aggregate inline quota.
//!
//! IAM caps a role's inline policies at 10,240 non-whitespace characters in
//! all, one managed policy at 6,144, and a role at 10 attached managed
//! policies by default (the permissions boundary is not one of them):
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
//! Rolegate attaches no managed policy of anyone else's to an integration
//! role (one attached by hand is drift), so the whole per-role quota is
//! its to use. The builder calls [`place`]; a spec that fits inline stays
//! inline, policy for policy, as before overflow existed.
//!
//! The packing is a pure function of the policies' names and contents, not
//! of the order of the spec's grants: policies are taken largest first
//! (ties by name), each goes inline if it still fits there, and what does
//! not is packed first-fit into managed policies named `rolegate-1`,
//! `rolegate-2`, ... (the role's name goes in front, [`policy_name`]), so
//! reordering grants renames nothing.

use std::collections::BTreeMap;

use super::BuildError;
use crate::canonical::sha256_hex;
use crate::document::{PolicyDocument, Statement};
use crate::limits::{Quotas, Violation};

/// Every managed policy's suffix starts with this; the rest is its number.
pub const SUFFIX_PREFIX: &str = "rolegate-";

/// Inline characters kept free for a quarantine: the guard revokes access
/// by adding two inline Deny policies (`reconcile::quarantine`, about 300
/// characters together), and PutRolePolicy past IAM's aggregate quota
/// would fail, leaving the access in place. `tests/reconcile.rs` holds the
/// quarantine's policies within it.
pub const QUARANTINE_RESERVE: usize = 512;

/// One policy the builder made, and the spec property it came from: the
/// property a quota error names.
#[derive(Debug, Clone)]
pub(super) struct Built {
    pub name: String,
    pub property: &'static str,
    pub document: PolicyDocument,
}

/// Where the policies went: inline by name, managed by suffix.
#[derive(Debug, Clone, Default)]
pub(super) struct Placed {
    pub inline: BTreeMap<String, PolicyDocument>,
    pub managed: BTreeMap<String, PolicyDocument>,
}

/// A managed policy's IAM name: the role's name, then its suffix. Role
/// names are unique in an account and at most 64 characters, so the name
/// is unique and well under IAM's 128.
pub fn policy_name(role_name: &str, suffix: &str) -> String {
    format!("{role_name}-{suffix}")
}

/// The suffix of `policy` if it is one of `role_name`'s managed policies by
/// name (`<role>-rolegate-<digits>`); ownership is the tags' question.
pub fn suffix_of<'a>(role_name: &str, policy: &'a str) -> Option<&'a str> {
    let suffix = policy.strip_prefix(role_name)?.strip_prefix('-')?;
    let number = suffix.strip_prefix(SUFFIX_PREFIX)?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then_some(suffix)
}

/// Places `policies` inline while they fit and the rest in managed
/// policies, or names the property whose policy fits nowhere.
pub(super) fn place(mut policies: Vec<Built>, quotas: &Quotas) -> Result<Placed, BuildError> {
    let inline_budget = quotas
        .inline_policies_chars
        .saturating_sub(QUARANTINE_RESERVE);
    let total: usize = policies.iter().map(|p| p.document.size()).sum();
    if total <= inline_budget {
        return Ok(Placed {
            inline: policies.into_iter().map(|p| (p.name, p.document)).collect(),
            managed: BTreeMap::new(),
        });
    }
    let mut sized: Vec<(usize, Built)> =
        policies.drain(..).map(|p| (p.document.size(), p)).collect();
    sized.sort_by(|(a, p), (b, q)| b.cmp(a).then_with(|| p.name.cmp(&q.name)));

    let mut placed = Placed::default();
    let mut inline_used = 0;
    let mut bins: Vec<(Vec<Statement>, &'static str)> = Vec::new();
    for (size, policy) in sized {
        if inline_used + size <= inline_budget {
            inline_used += size;
            placed.inline.insert(policy.name, policy.document);
            continue;
        }
        let quota = |source| BuildError::Quota {
            what: policy.property,
            source,
        };
        if size > inline_budget {
            // Too large for inline on its own: no placement can help.
            // The limit named is IAM's quota less the quarantine's room.
            return Err(quota(Violation::InlinePoliciesTooLarge {
                chars: size,
                limit: inline_budget,
            }));
        }
        let statements = distinct_sids(&policy.name, policy.document.statements());
        let alone = PolicyDocument::new(statements.clone()).size();
        if alone > quotas.managed_policy_chars {
            return Err(quota(Violation::ManagedPolicyTooLarge {
                chars: alone,
                limit: quotas.managed_policy_chars,
            }));
        }
        let fits = bins.iter().position(|(bin, _)| {
            let mut both = bin.clone();
            both.extend(statements.iter().cloned());
            PolicyDocument::new(both).size() <= quotas.managed_policy_chars
        });
        match fits {
            Some(i) => bins[i].0.extend(statements),
            None => bins.push((statements, policy.property)),
        }
    }
    if bins.len() > quotas.managed_policies_per_role {
        let what = bins[quotas.managed_policies_per_role].1;
        return Err(BuildError::Quota {
            what,
            source: Violation::TooManyManagedPolicies {
                count: bins.len(),
                max: quotas.managed_policies_per_role,
            },
        });
    }
    placed.managed = bins
        .into_iter()
        .enumerate()
        .map(|(i, (statements, _))| {
            (
                format!("{SUFFIX_PREFIX}{}", i + 1),
                PolicyDocument::new(statements),
            )
        })
        .collect();
    Ok(placed)
}

/// `statements` with each Sid made unique to its policy: IAM refuses a
/// policy whose statement ids repeat, and two grants of one service use
/// the same ones. Sids must be alphanumeric, so the mark is hex.
fn distinct_sids(policy: &str, statements: &[Statement]) -> Vec<Statement> {
    let mark = &sha256_hex(policy.as_bytes())[..8];
    statements
        .iter()
        .map(|s| {
            let mut s = s.clone();
            if let Some(sid) = &mut s.sid {
                sid.push_str(mark);
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str, property: &'static str, resources: usize) -> Built {
        let arns = (0..resources)
            .map(|i| format!("arn:aws:s3:::{name}-bucket-{i:04}/*"))
            .collect();
        Built {
            name: name.to_owned(),
            property,
            document: PolicyDocument::new(vec![
                Statement::allow(vec!["s3:GetObject".into()], arns).with_sid("Read"),
            ]),
        }
    }

    #[test]
    fn policies_that_fit_inline_all_stay_inline() {
        let placed = place(
            vec![policy("a", "Grants", 10), policy("b", "Grants", 10)],
            &Quotas::default(),
        )
        .map_err(|e| e.to_string());
        let placed = placed.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(placed.inline.len(), 2);
        assert!(placed.managed.is_empty());
    }

    #[test]
    fn the_overflow_goes_to_managed_policies_each_within_its_quota() {
        let policies: Vec<Built> = (0..40)
            .map(|i| policy(&format!("p{i:02}"), "Grants", 20))
            .collect();
        let q = Quotas::default();
        let placed = place(policies, &q).unwrap_or_else(|e| panic!("{e}"));
        let inline: usize = placed.inline.values().map(PolicyDocument::size).sum();
        assert!(inline <= q.inline_policies_chars - QUARANTINE_RESERVE);
        assert!(!placed.managed.is_empty());
        assert!(placed.managed.len() <= q.managed_policies_per_role);
        for doc in placed.managed.values() {
            assert!(doc.size() <= q.managed_policy_chars);
            let sids: Vec<_> = doc.statements().iter().map(|s| &s.sid).collect();
            let mut unique = sids.clone();
            unique.dedup();
            assert_eq!(sids.len(), unique.len(), "Sids repeat in {doc:?}");
        }
        let statements = placed.inline.len()
            + placed
                .managed
                .values()
                .map(|d| d.statements().len())
                .sum::<usize>();
        assert_eq!(statements, 40, "every policy's statement placed once");
    }

    #[test]
    fn the_order_of_the_policies_does_not_change_the_packing() {
        let policies: Vec<Built> = (0..40)
            .map(|i| policy(&format!("p{i:02}"), "Grants", 10 + i % 7))
            .collect();
        let mut reversed = policies.clone();
        reversed.reverse();
        let q = Quotas::default();
        let a = place(policies, &q).unwrap_or_else(|e| panic!("{e}"));
        let b = place(reversed, &q).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.inline, b.inline);
        assert_eq!(a.managed, b.managed);
    }

    #[test]
    fn more_managed_policies_than_the_quota_names_the_property_that_overflowed() {
        let policies: Vec<Built> = (0..200)
            .map(|i| policy(&format!("p{i:03}"), "Grants", 20))
            .collect();
        let err = place(policies, &Quotas::default()).err();
        let err = err.map(|e| (e.code(), e.to_string()));
        let (code, message) = err.unwrap_or_default();
        assert_eq!(code, "MANAGED_POLICIES_PER_ROLE");
        assert!(message.starts_with("Grants: "), "{message}");
    }

    #[test]
    fn a_policy_too_large_for_any_placement_names_its_property() {
        let too_big = policy("outbound", "OutboundAssumeRoleArns", 400);
        let err = place(vec![too_big], &Quotas::default()).err();
        let (code, message) = err.map(|e| (e.code(), e.to_string())).unwrap_or_default();
        assert_eq!(code, "INLINE_POLICIES_TOO_LARGE");
        assert!(message.starts_with("OutboundAssumeRoleArns: "), "{message}");
        let mid = policy("mid", "OutboundAssumeRoleArns", 200);
        let first = policy("first", "Grants", 200);
        let err = place(vec![first, mid], &Quotas::default()).err();
        let (code, message) = err.map(|e| (e.code(), e.to_string())).unwrap_or_default();
        assert_eq!(code, "MANAGED_POLICY_TOO_LARGE");
        assert!(message.starts_with("OutboundAssumeRoleArns: "), "{message}");
    }

    #[test]
    fn a_managed_policy_name_is_recognised_by_its_role_and_suffix() {
        let name = policy_name("vendor", "rolegate-3");
        assert_eq!(name, "vendor-rolegate-3");
        assert_eq!(suffix_of("vendor", &name), Some("rolegate-3"));
        assert_eq!(suffix_of("vendo", &name), None);
        assert_eq!(suffix_of("vendor", "vendor-rolegate-"), None);
        assert_eq!(suffix_of("vendor", "vendor-rolegate-1-rolegate-1"), None);
        assert_eq!(
            suffix_of("vendor-rolegate-1", "vendor-rolegate-1-rolegate-1"),
            Some("rolegate-1")
        );
    }
}
