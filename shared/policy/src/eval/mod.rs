//! The IAM policy evaluator: an offline answer to "would AWS allow this?".
//!
//! Policies are compiled once ([`CompiledPolicy`]) and evaluated many times
//! against a [`Request`]. The decision follows the IAM User Guide's policy
//! evaluation logic: an explicit deny anywhere wins; SCPs and RCPs must
//! allow; within one account an identity or a resource policy may allow, but
//! a permissions boundary and a session policy both cap identity grants;
//! across accounts both the identity side and the resource side must allow.
//! A role trust policy and a KMS key policy must allow even within the
//! account (naming the account delegates to IAM policies), and a caller with
//! no account (a service, a federated or an anonymous user) is allowed only
//! by a resource-based policy.
//! [`explain`] adds the reasons a reviewer needs.

pub(crate) mod condition;
mod explain;
mod pattern;
mod policies;
mod request;

pub use explain::Explanation;
pub use request::{ContextValue, PrincipalKind, Request};
// For the least-privilege proof, which builds its probes
// with the evaluator's own CIDR and wildcard rules.
pub(crate) use condition::{in_cidr, parse_cidr};
pub(crate) use pattern::Pattern;

use std::sync::Arc;

use crate::document::{Effect, POLICY_VERSION, PolicyDocument, Principal, PrincipalType};
use condition::CompiledCondition;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Allowed,
    ExplicitlyDenied,
    ImplicitlyDenied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
        }
    }
}

/// The kinds of policy IAM combines, in the order it documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Scp,
    Rcp,
    ResourcePolicy,
    Identity,
    PermissionsBoundary,
    SessionPolicy,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Scp => "Scp",
            Layer::Rcp => "Rcp",
            Layer::ResourcePolicy => "ResourcePolicy",
            Layer::Identity => "Identity",
            Layer::PermissionsBoundary => "PermissionsBoundary",
            Layer::SessionPolicy => "SessionPolicy",
        }
    }

    pub(crate) fn description(self) -> &'static str {
        match self {
            Layer::Scp => "service control policy",
            Layer::Rcp => "resource control policy",
            Layer::ResourcePolicy => "resource-based policy",
            Layer::Identity => "identity-based policies",
            Layer::PermissionsBoundary => "permissions boundary",
            Layer::SessionPolicy => "session policy",
        }
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub layer: Layer,
    pub policy: Arc<str>,
    pub index: usize,
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// The layer whose statement (or whose silence) settled the decision.
    pub decided_by: Layer,
    pub matched: Vec<MatchedStatement>,
}

/// A policy document pre-parsed for evaluation.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    label: Arc<str>,
    statements: Vec<CompiledStatement>,
}

#[derive(Debug, Clone)]
struct CompiledStatement {
    index: usize,
    sid: Option<Arc<str>>,
    effect: Effect,
    principal: Option<(bool, Vec<PrincipalPattern>)>,
    /// Lower-cased action patterns; `bool` = NotAction.
    actions: (bool, Vec<Pattern>),
    /// `None`: no Resource element (trust policies); `bool` = NotResource.
    resources: Option<(bool, Vec<Pattern>)>,
    conditions: Vec<CompiledCondition>,
}

#[derive(Debug, Clone)]
enum PrincipalPattern {
    Anyone,
    Account(String),
    Arn(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

impl CompiledPolicy {
    pub fn compile(doc: &PolicyDocument, label: &str) -> CompiledPolicy {
        let variables = doc.version.as_deref() == Some(POLICY_VERSION);
        let statements = doc
            .statements()
            .iter()
            .enumerate()
            .map(|(index, s)| CompiledStatement {
                index,
                sid: s.sid.as_deref().map(Arc::from),
                effect: s.effect,
                principal: s
                    .principal
                    .as_ref()
                    .map(|p| (p.is_negated(), compile_principal(p.value()))),
                actions: (
                    s.action.is_negated(),
                    s.action
                        .value()
                        .iter()
                        .map(|a| Pattern::compile(&a.to_ascii_lowercase(), true, false))
                        .collect(),
                ),
                resources: s.resource.as_ref().map(|r| {
                    (
                        r.is_negated(),
                        r.value()
                            .iter()
                            .map(|x| Pattern::compile(x, true, variables))
                            .collect(),
                    )
                }),
                conditions: s
                    .condition
                    .as_ref()
                    .map(|c| condition::compile(c, variables))
                    .unwrap_or_default(),
            })
            .collect();
        CompiledPolicy {
            label: Arc::from(label),
            statements,
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

fn compile_principal(p: &Principal) -> Vec<PrincipalPattern> {
    match p {
        Principal::Any => vec![PrincipalPattern::Anyone],
        Principal::Typed(map) => map
            .iter()
            .flat_map(|(t, vs)| vs.iter().map(move |v| (*t, v.as_str())))
            .map(|(t, v)| match t {
                PrincipalType::Aws if v == "*" => PrincipalPattern::Anyone,
                PrincipalType::Aws if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) => {
                    PrincipalPattern::Account(v.to_owned())
                }
                PrincipalType::Aws => match v.strip_suffix(":root") {
                    Some(prefix) if prefix.starts_with("arn:") => PrincipalPattern::Account(
                        prefix.rsplit(':').next().unwrap_or("").to_owned(),
                    ),
                    _ => PrincipalPattern::Arn(v.to_owned()),
                },
                PrincipalType::Service => PrincipalPattern::Service(v.to_owned()),
                PrincipalType::Federated => PrincipalPattern::Federated(v.to_owned()),
                PrincipalType::CanonicalUser => PrincipalPattern::CanonicalUser(v.to_owned()),
            })
            .collect(),
    }
}

/// How a resource policy's principal matched: same-account rules differ.
/// Ordered strongest first, so the strongest of several matches is the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grantee {
    /// `*`, a user ARN or a role-session ARN: the grant goes to the caller itself.
    Direct,
    /// A role ARN: the grant reaches its sessions, capped by boundary and session policy.
    Role,
    /// The account: IAM policies decide.
    Account,
}

impl PrincipalPattern {
    fn matches(&self, req: &Request) -> Option<Grantee> {
        match self {
            PrincipalPattern::Anyone => Some(Grantee::Direct),
            PrincipalPattern::Account(a) => (!a.is_empty()
                && *a == req.principal_account
                && !matches!(
                    req.principal_kind,
                    PrincipalKind::Service(_) | PrincipalKind::Anonymous
                ))
            .then_some(Grantee::Account),
            PrincipalPattern::Arn(arn) => {
                if *arn == req.principal_arn {
                    return Some(match req.principal_kind {
                        PrincipalKind::Role => Grantee::Role,
                        _ => Grantee::Direct,
                    });
                }
                names_role_of_session(arn, req).then_some(Grantee::Role)
            }
            PrincipalPattern::Service(s) => match &req.principal_kind {
                PrincipalKind::Service(name) if name == s => Some(Grantee::Direct),
                _ => None,
            },
            PrincipalPattern::Federated(f) => match &req.principal_kind {
                PrincipalKind::Federated(provider) if provider == f => Some(Grantee::Direct),
                _ => None,
            },
            PrincipalPattern::CanonicalUser(c) => {
                (req.principal_arn == *c).then_some(Grantee::Direct)
            }
        }
    }
}

/// A role ARN names every session of the role. Session ARNs carry the
/// role's name but not its path, so IAM (and this) matches on account and name.
fn names_role_of_session(arn: &str, req: &Request) -> bool {
    let PrincipalKind::RoleSession { role_name } = &req.principal_kind else {
        return false;
    };
    let (kind, account) = request::classify(arn);
    kind == PrincipalKind::Role
        && account == req.principal_account
        && arn.rsplit('/').next() == Some(role_name.as_str())
}

/// Does a `Deny` with `NotPrincipal` spare the caller? Only when it names
/// every principal AWS may check for the request: "AWS might validate the
/// account first, then the role, and then the assumed-role user" (IAM User
/// Guide, NotPrincipal), so a user or an AWS STS federated user needs its
/// account named too, and a session its account, its role and its own
/// session ARN. It never spares an IAM user or role with a permissions
/// boundary: such a statement "will always deny any IAM principal that has a
/// permissions boundary policy attached, regardless of the values specified".
fn spared_by_not_principal(
    patterns: &[PrincipalPattern],
    req: &Request,
    boundary_attached: bool,
) -> bool {
    let iam_principal = matches!(
        req.principal_kind,
        PrincipalKind::User | PrincipalKind::Role | PrincipalKind::RoleSession { .. }
    );
    if boundary_attached && iam_principal {
        return false;
    }
    let any = |f: &dyn Fn(&PrincipalPattern) -> bool| patterns.iter().any(f);
    if any(&|p| matches!(p, PrincipalPattern::Anyone)) {
        return true;
    }
    let account = || {
        any(
            &|p| matches!(p, PrincipalPattern::Account(a) if !a.is_empty() && *a == req.principal_account),
        )
    };
    let itself = || any(&|p| matches!(p, PrincipalPattern::Arn(a) if *a == req.principal_arn));
    match &req.principal_kind {
        PrincipalKind::Root => account(),
        PrincipalKind::User | PrincipalKind::Role | PrincipalKind::FederatedUser => {
            account() && itself()
        }
        PrincipalKind::RoleSession { .. } => {
            account()
                && itself()
                && any(&|p| matches!(p, PrincipalPattern::Arn(a) if names_role_of_session(a, req)))
        }
        PrincipalKind::Service(name) => {
            any(&|p| matches!(p, PrincipalPattern::Service(s) if s == name))
        }
        PrincipalKind::Federated(provider) => {
            any(&|p| matches!(p, PrincipalPattern::Federated(f) if f == provider))
        }
        PrincipalKind::Anonymous => false,
    }
}

/// Every policy that applies to one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub identity: Vec<CompiledPolicy>,
    pub boundary: Option<CompiledPolicy>,
    pub session: Option<CompiledPolicy>,
    /// The resource's own policy; a role's trust policy for `sts:AssumeRole`.
    pub resource: Option<CompiledPolicy>,
    /// One entry per level of the organization, root first: every level must allow.
    pub scps: Vec<CompiledPolicy>,
    /// Resource control policies, one entry per level like SCPs.
    pub rcps: Vec<CompiledPolicy>,
}

/// What one policy said about the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Deny,
    Allow(Option<Grantee>),
    Silent,
}

impl CompiledStatement {
    /// Does the statement apply to the request (principal, action, resource
    /// and conditions all match)? `Some(grantee)` says how a resource
    /// policy's principal matched. `boundary_attached`: the caller has a
    /// permissions boundary, which a NotPrincipal deny never spares.
    fn applies(&self, req: &Request, boundary_attached: bool) -> Option<Option<Grantee>> {
        let grantee = match &self.principal {
            None => None,
            Some((false, patterns)) => Some(patterns.iter().filter_map(|p| p.matches(req)).min()?),
            Some((true, patterns)) if self.effect == Effect::Deny => {
                if spared_by_not_principal(patterns, req, boundary_attached) {
                    return None;
                }
                Some(Grantee::Direct)
            }
            Some((true, patterns)) => {
                // NotPrincipal with Allow, which IAM no longer supports:
                // everyone but a listed principal. An account ARN stands for
                // the account principal alone, not everyone in it.
                let listed = patterns.iter().any(|p| {
                    let account_only = matches!(p, PrincipalPattern::Account(_))
                        && req.principal_kind != PrincipalKind::Root;
                    !account_only && p.matches(req).is_some()
                });
                if listed {
                    return None;
                }
                Some(Grantee::Direct)
            }
        };
        if !self.action_matches(req) || !self.resource_matches(req) {
            return None;
        }
        if self.conditions.iter().all(|c| c.holds(req).is_ok()) {
            Some(grantee)
        } else {
            None
        }
    }

    fn action_matches(&self, req: &Request) -> bool {
        let (negated, patterns) = &self.actions;
        let hit = patterns
            .iter()
            .any(|p| p.matches(&req.action, true, req) == Some(true));
        hit != *negated
    }

    /// Resource or NotResource. An entry whose variable cannot be resolved
    /// makes the statement invalid (IAM policy variables page), so neither
    /// element applies then, whatever the other entries say.
    fn resource_matches(&self, req: &Request) -> bool {
        match &self.resources {
            None => true,
            Some((negated, patterns)) => {
                let mut hit = false;
                for p in patterns {
                    match p.matches_resource(&req.resource, req) {
                        None => return false,
                        Some(m) => hit |= m,
                    }
                }
                hit != *negated
            }
        }
    }
}

fn verdict(
    policy: &CompiledPolicy,
    layer: Layer,
    req: &Request,
    boundary_attached: bool,
    matched: &mut Vec<MatchedStatement>,
) -> Verdict {
    let mut allow: Option<Option<Grantee>> = None;
    for s in &policy.statements {
        let Some(grantee) = s.applies(req, boundary_attached) else {
            continue;
        };
        matched.push(MatchedStatement {
            layer,
            policy: policy.label.clone(),
            index: s.index,
            sid: s.sid.clone(),
            effect: s.effect,
        });
        match s.effect {
            Effect::Deny => return Verdict::Deny,
            Effect::Allow => {
                // Keep the strongest grant: direct, then role, then account.
                allow = Some(match (allow.flatten(), grantee) {
                    (Some(a), Some(g)) => Some(a.min(g)),
                    (a, g) => a.or(g),
                });
            }
        }
    }
    match allow {
        Some(g) => Verdict::Allow(g),
        None => Verdict::Silent,
    }
}

/// Evaluates `req` against `policies`.
pub fn evaluate(policies: &PolicySet, req: &Request) -> Evaluation {
    let mut matched = Vec::new();
    // Every layer is consulted first for an explicit deny.
    let mut verdicts: Vec<(Layer, Verdict)> = Vec::with_capacity(6);
    let boundary_attached = policies.boundary.is_some();
    for (layer, policy) in policies.layers() {
        let v = verdict(policy, layer, req, boundary_attached, &mut matched);
        if v == Verdict::Deny {
            return Evaluation {
                decision: Decision::ExplicitlyDenied,
                decided_by: layer,
                matched,
            };
        }
        verdicts.push((layer, v));
    }
    let (decision, decided_by) = combine(policies, req, &verdicts);
    Evaluation {
        decision,
        decided_by,
        matched,
    }
}

/// Does IAM require the resource-based policy itself to allow `req`? "IAM
/// role trust policies and KMS key policies are exceptions ... because they
/// must explicitly allow access for principals" (Policy evaluation logic):
/// a trust policy judges every `sts:` request on its role, a key policy
/// every `kms:` request on its key. Only when the case holds that policy:
/// without one the question is the caller's side alone, which is what the
/// least-privilege proof asks of a role's permissions.
pub(crate) fn resource_policy_must_allow(policies: &PolicySet, req: &Request) -> bool {
    let service = req.action.split(':').next().unwrap_or("");
    policies.resource.is_some()
        && (service.eq_ignore_ascii_case("sts") || service.eq_ignore_ascii_case("kms"))
}

/// The layers' verdicts once none denied: who allows, and who is silent.
struct Sides {
    resource: Option<Grantee>,
    identity: bool,
    boundary: bool,
    session: bool,
}

impl Sides {
    fn of(policies: &PolicySet, verdicts: &[(Layer, Verdict)]) -> Sides {
        let allowed_by = |layer: Layer| {
            verdicts
                .iter()
                .any(|(l, v)| *l == layer && matches!(v, Verdict::Allow(_)))
        };
        Sides {
            resource: verdicts.iter().find_map(|(l, v)| match (l, v) {
                (Layer::ResourcePolicy, Verdict::Allow(g)) => Some(g.unwrap_or(Grantee::Direct)),
                _ => None,
            }),
            identity: allowed_by(Layer::Identity),
            boundary: policies.boundary.is_none() || allowed_by(Layer::PermissionsBoundary),
            session: policies.session.is_none() || allowed_by(Layer::SessionPolicy),
        }
    }

    /// The identity side: identity policies, capped by boundary and session
    /// policy. `Err` names the layer that is silent.
    fn identity_side(&self) -> Result<Layer, Layer> {
        if !self.identity {
            Err(Layer::Identity)
        } else if !self.boundary {
            Err(Layer::PermissionsBoundary)
        } else if !self.session {
            Err(Layer::SessionPolicy)
        } else {
            Ok(Layer::Identity)
        }
    }

    /// A grant to the role reaches its session only within the session's
    /// boundary and session policy.
    fn role_grant(&self) -> (Decision, Layer) {
        if !self.boundary {
            (Decision::ImplicitlyDenied, Layer::PermissionsBoundary)
        } else if !self.session {
            (Decision::ImplicitlyDenied, Layer::SessionPolicy)
        } else {
            (Decision::Allowed, Layer::ResourcePolicy)
        }
    }
}

fn decided(side: Result<Layer, Layer>, allowed_by: Layer) -> (Decision, Layer) {
    match side {
        Ok(_) => (Decision::Allowed, allowed_by),
        Err(layer) => (Decision::ImplicitlyDenied, layer),
    }
}

/// Combines the verdicts of the layers, none of which denied.
fn combine(
    policies: &PolicySet,
    req: &Request,
    verdicts: &[(Layer, Verdict)],
) -> (Decision, Layer) {
    let all_allow = |layer: Layer| {
        verdicts
            .iter()
            .filter(|(l, _)| *l == layer)
            .all(|(_, v)| matches!(v, Verdict::Allow(_)))
    };
    if !all_allow(Layer::Scp) {
        return (Decision::ImplicitlyDenied, Layer::Scp);
    }
    if !all_allow(Layer::Rcp) {
        return (Decision::ImplicitlyDenied, Layer::Rcp);
    }
    let sides = Sides::of(policies, verdicts);
    if !req.has_account() {
        // A service, federated or anonymous caller has no identity-based
        // policies and no account to be "cross" from: the resource-based
        // policy alone decides.
        return match sides.resource {
            Some(_) => (Decision::Allowed, Layer::ResourcePolicy),
            None => (Decision::ImplicitlyDenied, Layer::ResourcePolicy),
        };
    }
    if req.is_cross_account() {
        // Across accounts both the resource policy and the identity side must allow.
        return match sides.resource {
            None => (Decision::ImplicitlyDenied, Layer::ResourcePolicy),
            Some(_) => decided(sides.identity_side(), Layer::ResourcePolicy),
        };
    }
    match sides.resource {
        // Granted to the caller itself: boundary and session policy do not cap it.
        Some(Grantee::Direct) => (Decision::Allowed, Layer::ResourcePolicy),
        // Granted to the role: its sessions still need boundary and session policy.
        Some(Grantee::Role) => sides.role_grant(),
        // Granted to the account: IAM policies decide.
        Some(Grantee::Account) => decided(sides.identity_side(), Layer::Identity),
        // A trust or key policy that is silent: no identity policy can make up for it.
        None if resource_policy_must_allow(policies, req) => {
            (Decision::ImplicitlyDenied, Layer::ResourcePolicy)
        }
        // No resource policy allows: IAM policies decide.
        None => decided(sides.identity_side(), Layer::Identity),
    }
}

/// Evaluates and explains: which statement decided, and why others did not apply.
pub fn explain(policies: &PolicySet, req: &Request) -> Explanation {
    explain::explain(policies, req)
}

impl PolicySet {
    pub(crate) fn layers(&self) -> impl Iterator<Item = (Layer, &CompiledPolicy)> {
        self.scps
            .iter()
            .map(|p| (Layer::Scp, p))
            .chain(self.rcps.iter().map(|p| (Layer::Rcp, p)))
            .chain(self.resource.iter().map(|p| (Layer::ResourcePolicy, p)))
            .chain(self.identity.iter().map(|p| (Layer::Identity, p)))
            .chain(
                self.boundary
                    .iter()
                    .map(|p| (Layer::PermissionsBoundary, p)),
            )
            .chain(self.session.iter().map(|p| (Layer::SessionPolicy, p)))
    }
}
