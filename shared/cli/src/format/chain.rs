//! The trust chain between roles rendered together, as a Mermaid
//! flowchart: who may assume which role, across roles and accounts.
//!
//! Aspera's chain is the example: in the cluster manager account, the EC2
//! role `atc-node` may assume `atc-s3-access-keys` in the S3 account,
//! whose trust names `atc-node`'s ARN. An edge A -> B is drawn when B's
//! trust policy names A as a principal (IAM's half of the chain: B trusts
//! A), or when A's policies allow `sts:AssumeRole` on B's ARN (A's half).
//! Between two roles rendered together both halves are checked, and the
//! edge says which hold: a chain with one half only fails at run time, and
//! that is what a reviewer should see. Principals and targets outside the
//! rendered set (a vendor account, a service, a role elsewhere) are nodes
//! too, so each role's trust is complete on the diagram. ARNs match
//! exactly, as IAM compares a role principal (path included).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rolegate_policy::document::{Effect, PrincipalType};

use super::RenderedRole;

/// A node of the diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Mermaid's id: `r0`, `r1` for rendered roles, `n0`... for the others.
    pub id: String,
    pub label: String,
    /// The account a node lives in, for grouping; none for a service.
    pub account: Option<String>,
    pub rendered: bool,
}

/// Which halves of "A may assume B" hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// B trusts A and A's policies allow assuming B: the chain works.
    Assumes,
    /// B trusts A; A's policies are not rendered (A is not one of the
    /// roles) or do not allow it.
    Trusted { a_rendered: bool },
    /// A's policies allow assuming B, whose trust is not rendered.
    Allowed,
    /// A's policies allow assuming B, a rendered role that does not trust A.
    AllowedNotTrusted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub link: Link,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chain {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The chain among `roles`: their nodes first, in order, then every other
/// principal and target in order of appearance.
pub fn chain(roles: &[RenderedRole<'_>]) -> Chain {
    let mut chain = Chain::default();
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in roles.iter().enumerate() {
        let arn = r.arn();
        chain.nodes.push(Node {
            id: format!("r{i}"),
            label: format!("{}<br/>{}", r.name(), resource_of(&arn)),
            account: Some(r.account.to_owned()),
            rendered: true,
        });
        by_key.insert(arn, i);
    }
    // A's half: the roles each rendered role may assume.
    let mut allowed: BTreeMap<(usize, usize), ()> = BTreeMap::new();
    for (a, r) in roles.iter().enumerate() {
        for target in assumable(r) {
            let b = node_for(&mut chain, &mut by_key, ("AWS", &target));
            allowed.insert((a, b), ());
        }
    }
    // B's half: who each rendered role trusts.
    let mut trusted: Vec<(usize, usize)> = Vec::new();
    for (b, r) in roles.iter().enumerate() {
        for s in r.role.trust_policy.statements() {
            if s.effect != Effect::Allow {
                continue;
            }
            let Some(p) = s.principal.as_ref().filter(|p| !p.is_negated()) else {
                continue;
            };
            let entries: Vec<(&str, String)> = if p.value().is_anyone() {
                vec![("AWS", "*".to_owned())]
            } else {
                p.value()
                    .entries()
                    .map(|(t, v)| (type_name(t), v.to_owned()))
                    .collect()
            };
            for (t, v) in entries {
                let a = node_for(&mut chain, &mut by_key, (t, &v));
                if !trusted.contains(&(a, b)) {
                    trusted.push((a, b));
                }
            }
        }
    }
    for &(a, b) in &trusted {
        let link = if allowed.contains_key(&(a, b)) {
            Link::Assumes
        } else {
            Link::Trusted {
                a_rendered: a < roles.len(),
            }
        };
        chain.edges.push(Edge {
            from: a,
            to: b,
            link,
        });
    }
    for &(a, b) in allowed.keys() {
        if trusted.contains(&(a, b)) {
            continue;
        }
        let link = if b < roles.len() {
            Link::AllowedNotTrusted
        } else {
            Link::Allowed
        };
        chain.edges.push(Edge {
            from: a,
            to: b,
            link,
        });
    }
    chain
}

/// The ARNs a role's own policies allow it to assume: the resources of
/// Allow statements naming `sts:AssumeRole` (or a pattern covering it).
fn assumable(r: &RenderedRole<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for doc in r.role.inline_policies.values() {
        for s in doc.statements() {
            let names_assume = !s.action.is_negated()
                && s.action.value().iter().any(|a| {
                    let a = a.to_ascii_lowercase();
                    a == "sts:assumerole" || a == "sts:*" || a == "*" || a == "sts:assumerole*"
                });
            if s.effect != Effect::Allow || !names_assume {
                continue;
            }
            if let Some(res) = s.resource.as_ref().filter(|r| !r.is_negated()) {
                for arn in res.value().iter() {
                    if !out.contains(arn) {
                        out.push(arn.clone());
                    }
                }
            }
        }
    }
    out
}

fn type_name(t: PrincipalType) -> &'static str {
    t.as_str()
}

/// The node for a principal or target, added on first sight.
fn node_for(
    chain: &mut Chain,
    by_key: &mut BTreeMap<String, usize>,
    (kind, value): (&str, &str),
) -> usize {
    let key = if kind == "AWS" {
        value.to_owned()
    } else {
        format!("{kind}:{value}")
    };
    if let Some(&i) = by_key.get(&key) {
        return i;
    }
    let (label, account) = describe(kind, value);
    let i = chain.nodes.len();
    chain.nodes.push(Node {
        id: format!("n{}", i),
        label,
        account,
        rendered: false,
    });
    by_key.insert(key, i);
    i
}

/// A principal's label and account.
fn describe(kind: &str, value: &str) -> (String, Option<String>) {
    if kind != "AWS" {
        return (format!("{kind}: {value}"), None);
    }
    if value == "*" {
        return ("anyone (*)".to_owned(), None);
    }
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return (
            "any principal of the account".to_owned(),
            Some(value.to_owned()),
        );
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, _, _, account, "root"] => (
            "any principal of the account".to_owned(),
            Some((*account).to_owned()),
        ),
        ["arn", _, _, _, account, resource] if !account.is_empty() => {
            ((*resource).to_owned(), Some((*account).to_owned()))
        }
        _ => (value.to_owned(), None),
    }
}

/// `arn:aws:iam::1:role/integrations/x` -> `role/integrations/x`.
fn resource_of(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

/// The chain as a Mermaid `flowchart`, nodes grouped by account.
pub fn mermaid(chain: &Chain) -> String {
    let mut out = String::from("flowchart LR\n");
    let mut accounts: Vec<&str> = Vec::new();
    for n in &chain.nodes {
        if let Some(a) = n.account.as_deref()
            && !accounts.contains(&a)
        {
            accounts.push(a);
        }
    }
    for account in &accounts {
        let _ = writeln!(out, "  subgraph account_{account}[\"Account {account}\"]");
        for n in chain
            .nodes
            .iter()
            .filter(|n| n.account.as_deref() == Some(account))
        {
            let _ = writeln!(out, "    {}", node(n));
        }
        out.push_str("  end\n");
    }
    for n in chain.nodes.iter().filter(|n| n.account.is_none()) {
        let _ = writeln!(out, "  {}", node(n));
    }
    for e in &chain.edges {
        let (from, to) = (&chain.nodes[e.from].id, &chain.nodes[e.to].id);
        let _ = match e.link {
            Link::Assumes => writeln!(out, "  {from} -->|assumes| {to}"),
            Link::Trusted { a_rendered: false } => writeln!(out, "  {from} -->|trusted| {to}"),
            Link::Trusted { a_rendered: true } => {
                writeln!(
                    out,
                    "  {from} -.->|trusted, not allowed by its policies| {to}"
                )
            }
            Link::Allowed => writeln!(out, "  {from} -->|allowed to assume| {to}"),
            Link::AllowedNotTrusted => {
                writeln!(out, "  {from} -.->|allowed, not trusted| {to}")
            }
        };
    }
    out
}

/// A node: a rendered role as a box, anything else rounded.
fn node(n: &Node) -> String {
    let label = escape(&n.label);
    if n.rendered {
        format!("{}[\"{label}\"]", n.id)
    } else {
        format!("{}([\"{label}\"])", n.id)
    }
}

/// Mermaid's entity codes for what would end or break a quoted label
/// (`<br/>`, which it reads as a line break, is kept).
fn escape(label: &str) -> String {
    label
        .replace('"', "#quot;")
        .replace("<br/>", "\u{0}")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('\u{0}', "<br/>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_and_service_principals_are_named_for_what_they_are() {
        assert_eq!(
            describe("AWS", "arn:aws:iam::222233334444:root"),
            (
                "any principal of the account".to_owned(),
                Some("222233334444".to_owned())
            )
        );
        assert_eq!(
            describe("AWS", "222233334444").1.as_deref(),
            Some("222233334444")
        );
        assert_eq!(
            describe("AWS", "arn:aws:iam::222233334444:role/atc-node"),
            ("role/atc-node".to_owned(), Some("222233334444".to_owned()))
        );
        assert_eq!(
            describe("Service", "ec2.amazonaws.com"),
            ("Service: ec2.amazonaws.com".to_owned(), None)
        );
    }

    #[test]
    fn labels_escape_quotes_and_angle_brackets_but_keep_line_breaks() {
        assert_eq!(
            escape("a\"b<br/>x-<random>"),
            "a#quot;b<br/>x-#lt;random#gt;"
        );
    }
}
