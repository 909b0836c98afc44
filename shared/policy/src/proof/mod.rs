//! The least-privilege proof: does a role allow exactly what its spec asks?
//!
//! It sits above the evaluator (`eval`) and beside the builder (`build`):
//! it reads a spec and a role, and asks the evaluator about requests. The
//! provisioner runs it on every role before writing it
//! (`reconcile::desired_role`), the guard on every live role it explains
//! (`drift::explain`).
//!
//! For one concrete resource and request context, `intent` says whether
//! the spec grants an action. The proof probes the role's policies with
//! requests built from the action database (`probes`: every action of
//! every granted service, on resources in and out of scope, with each
//! guardrail met and broken), and reports every disagreement, for the
//! permission policies (`permissions`) and the trust policy (`trust`).
//! A role's permission policies are its inline ones and the customer
//! managed policies it owns (what overflowed IAM's inline quota,
//! `build::managed`): its effective permissions are their union within
//! the boundary, so [`prove_desired`] proves the union; the boundary only
//! narrows it, and leaving it out can only widen what is judged.
//!
//! The reading of the spec in `intent` is deliberately independent of
//! `build/`: it re-derives what each grant means (which resources, which
//! prefix, which leading keys, which guardrail) instead of calling the
//! builder or looking at its statements. A builder bug then shows up as a
//! finding rather than proving itself: if the proof asked the builder what
//! the spec means, a builder that wrote the wrong scope would agree with
//! itself. The same holds for a drifted live role, which the proof judges
//! against the spec, not against what was built. What the two share is the
//! vocabulary, not the reasoning: the reviewed action lists of
//! `build::actions` name what "read" or "write" means for a service, and the
//! proof also probes every action the database lists for a resource, so an
//! action missing from a list is still tried.
//!
//! Probes are concrete requests, so a widening no probe touches (an
//! attacker's own IP address, `s3:Get*Tagging` on another bucket) is not
//! explored. The symbolic step closes that gap: `intent` also writes the
//! spec's intended access as a policy (exactly the actions on exactly the
//! resources it grants, under its guardrails), and `symbolic::compare`
//! decides whether the role allows any request that policy does not,
//! naming one ([`ProofFinding::Exceeds`]). [`prove`] runs both; the probes
//! alone ([`prove_by_probes`]) stay as the cross-check of the symbolic step
//! in `tests/proof_symbolic_vs_probes.rs`.

mod intent;
mod permissions;
mod probes;
mod trust;

use std::fmt;

use crate::build::{BuildContext, DesiredRole};
use crate::document::PolicyDocument;
use crate::spec::{IntegrationSpec, RoleNaming};
use crate::symbolic::{self, Counterexample, Permissions, Verdict};
use probes::Contexts;

/// Marks every name the proof invents, so a finding is easy to read.
const PROBE: &str = "rolegate-probe";
/// An account that is nobody's in the proof: not the customer's, not the vendor's.
const STRANGER_ACCOUNTS: [&str; 2] = ["999988887777", "444455556666"];

/// The role as IAM holds it (or will): what the proof examines.
#[derive(Debug, Clone, Copy)]
pub struct RolePolicies<'a> {
    pub role_name: &'a str,
    pub path: &'a str,
    pub trust: &'a PolicyDocument,
    /// Every permissions policy of the role: inline and attached.
    pub permissions: &'a [&'a PolicyDocument],
}

impl RolePolicies<'_> {
    /// The role's ARN in the customer's account, path included.
    fn arn(&self, ctx: &BuildContext) -> String {
        format!(
            "arn:{}:iam::{}:role{}{}",
            ctx.partition, ctx.account_id, self.path, self.role_name
        )
    }
}

/// Why the role and its spec disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofFinding {
    /// The role allows a request the spec does not ask for.
    Excess {
        action: String,
        resource: String,
        /// Context keys that describe the probe beyond the resource.
        context: String,
        statements: Vec<String>,
    },
    /// The role allows a request although a guardrail or the expiry forbids it.
    GuardrailBypassed {
        guardrail: &'static str,
        action: String,
        resource: String,
        statements: Vec<String>,
    },
    /// The role denies a request the spec asks for.
    Missing {
        action: String,
        resource: String,
        context: String,
    },
    /// The trust policy admits a caller it must refuse.
    TrustTooOpen { caller: String, how: &'static str },
    /// The trust policy refuses the caller the spec names.
    TrustTooClosed { caller: String },
    /// The symbolic step: the role allows a request the spec's intended
    /// policy does not, found over every request rather than the probes.
    Exceeds { counterexample: Box<Counterexample> },
    /// The symbolic step could not decide the role. A built role is always
    /// inside the fragment it decides, so this is a bug or a tampered live
    /// role; the proof refuses rather than passing on it.
    Undecided { code: &'static str, reason: String },
}

impl ProofFinding {
    pub fn code(&self) -> &'static str {
        match self {
            ProofFinding::Excess { .. } => "PROOF_EXCESS",
            ProofFinding::GuardrailBypassed { .. } => "PROOF_GUARDRAIL_BYPASSED",
            ProofFinding::Missing { .. } => "PROOF_MISSING",
            ProofFinding::TrustTooOpen { .. } => "PROOF_TRUST_TOO_OPEN",
            ProofFinding::TrustTooClosed { .. } => "PROOF_TRUST_TOO_CLOSED",
            ProofFinding::Exceeds { .. } => "PROOF_EXCEEDS_INTENT",
            ProofFinding::Undecided { .. } => "PROOF_UNDECIDED",
        }
    }

    /// Findings that widen access; `Missing` and `TrustTooClosed` only break
    /// the integration.
    pub fn widens_access(&self) -> bool {
        matches!(
            self,
            ProofFinding::Excess { .. }
                | ProofFinding::GuardrailBypassed { .. }
                | ProofFinding::TrustTooOpen { .. }
                | ProofFinding::Exceeds { .. }
                | ProofFinding::Undecided { .. }
        )
    }
}

impl fmt::Display for ProofFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with = |context: &str| {
            if context.is_empty() {
                String::new()
            } else {
                format!(" with {context}")
            }
        };
        match self {
            ProofFinding::Excess {
                action,
                resource,
                context,
                statements,
            } => write!(
                f,
                "{}: {action} on {resource}{} is allowed (by {}) but the spec does not grant it",
                self.code(),
                with(context),
                statements.join(", ")
            ),
            ProofFinding::GuardrailBypassed {
                guardrail,
                action,
                resource,
                statements,
            } => write!(
                f,
                "{}: {action} on {resource} is allowed (by {}) even when {guardrail} forbids it",
                self.code(),
                statements.join(", ")
            ),
            ProofFinding::Missing {
                action,
                resource,
                context,
            } => write!(
                f,
                "{}: {action} on {resource}{} is denied but the spec grants it",
                self.code(),
                with(context)
            ),
            ProofFinding::TrustTooOpen { caller, how } => {
                write!(f, "{}: the trust policy {how} ({caller})", self.code())
            }
            ProofFinding::TrustTooClosed { caller } => write!(
                f,
                "{}: the trust policy refuses {caller}, whom the spec trusts",
                self.code()
            ),
            ProofFinding::Exceeds { counterexample: cx } => write!(
                f,
                "{}: {cx}, but the spec does not grant {} on {}",
                self.code(),
                cx.action,
                cx.resource
            ),
            ProofFinding::Undecided { code, reason } => write!(
                f,
                "{}: the proof could not decide the role ({code}: {reason}); refused",
                self.code()
            ),
        }
    }
}

/// The proof's verdict: how many requests it tried and what disagreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub probes: usize,
    pub findings: Vec<ProofFinding>,
}

impl Proof {
    /// The role grants exactly what the spec asks.
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }

    /// Does the role allow anything the spec does not?
    pub fn widens_access(&self) -> bool {
        self.findings.iter().any(ProofFinding::widens_access)
    }
}

/// Proves `role` against the policies the builder made for `spec`.
pub fn prove_desired(spec: &IntegrationSpec, ctx: &BuildContext, role: &DesiredRole) -> Proof {
    let name = match &role.naming {
        RoleNaming::Name(n) => n.clone(),
        RoleNaming::Prefix(p) => format!("{p}-{PROBE}"),
    };
    // Inline and the role's own managed policies: what overflowed the
    // inline quota is proven like the rest.
    let permissions: Vec<&PolicyDocument> = role.permission_policies().collect();
    prove(
        spec,
        ctx,
        &RolePolicies {
            role_name: &name,
            path: &role.path,
            trust: &role.trust_policy,
            permissions: &permissions,
        },
    )
}

/// The proof the provisioner and the guard run: the probes
/// ([`prove_by_probes`]: what the spec grants and the role denies, each
/// guardrail broken, the trust policy, findings named by probe) and the
/// symbolic step ([`symbolic_verdict`]: anything the role allows outside the
/// spec's intended policy, over every request at once). The symbolic step
/// takes 5-110 µs per golden fixture (600 µs for the Glue one), 2-11 % of
/// the probes' time (`docs/BENCHMARKS.md`), and the probes alone miss a
/// widening no probe touches, so both run.
pub fn prove(spec: &IntegrationSpec, ctx: &BuildContext, role: &RolePolicies<'_>) -> Proof {
    let mut proof = prove_by_probes(spec, ctx, role);
    match symbolic_verdict(spec, ctx, role) {
        Verdict::NoNewAccess => {}
        Verdict::NewAccess(counterexample) => {
            proof
                .findings
                .push(ProofFinding::Exceeds { counterexample });
        }
        Verdict::Unknown(u) => proof.findings.push(ProofFinding::Undecided {
            code: u.code(),
            reason: u.to_string(),
        }),
    }
    proof
}

/// Probes `role` and reports every request where it and `spec` disagree.
/// Kept beside the symbolic step as its cross-check
/// (`tests/proof_symbolic_vs_probes.rs`).
pub fn prove_by_probes(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    role: &RolePolicies<'_>,
) -> Proof {
    let mut proof = Proof {
        probes: 0,
        findings: Vec::new(),
    };
    let contexts = Contexts::for_spec(spec, ctx);
    permissions::prove(spec, ctx, role, &contexts, &mut proof);
    trust::prove(spec, ctx, role, &contexts, &mut proof);
    proof
}

/// The spec's intended access as a policy ([`intent::intended_policy`]):
/// the baseline of the symbolic step.
pub fn intended_policy(spec: &IntegrationSpec, ctx: &BuildContext) -> PolicyDocument {
    intent::intended_policy(spec, ctx)
}

/// Does the role's permission policies allow any request the spec's
/// intended policy does not? `symbolic::compare`, the intended policy as
/// baseline, the role's policies as candidate, the counterexample made by
/// a session of the role. The boundary is not in [`RolePolicies`] (a
/// built role names it by ARN only); leaving it out can only widen the
/// candidate, so "no new access" stays true.
pub fn symbolic_verdict(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    role: &RolePolicies<'_>,
) -> Verdict {
    let intended = intent::intended_policy(spec, ctx);
    let baseline = [&intended];
    let options = symbolic::Options {
        principal: format!(
            "arn:{}:sts::{}:assumed-role/{}/{PROBE}",
            ctx.partition, ctx.account_id, role.role_name
        ),
        ..symbolic::Options::default()
    };
    symbolic::compare_with(
        &Permissions {
            identity: &baseline,
            boundary: None,
        },
        &Permissions {
            identity: role.permissions,
            boundary: None,
        },
        &options,
    )
}
