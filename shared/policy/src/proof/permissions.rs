//! The proof of a role's permission policies: every probe the spec grants
//! must be allowed in a compliant context, every other denied, and none
//! allowed once a guardrail is broken.

use super::intent::intended;
use super::probes::{
    Contexts, Target, TargetRequests, actions_for, aimed_at, granted_services, targets,
};
use super::{PROBE, Proof, ProofFinding, RolePolicies};
use crate::actiondb::ActionDb;
use crate::build::BuildContext;
use crate::eval::{CompiledPolicy, Decision, Evaluation, PolicySet, evaluate};
use crate::spec::IntegrationSpec;

/// Probes every action on every target, as a session of the role itself.
pub(super) fn prove(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    role: &RolePolicies<'_>,
    contexts: &Contexts,
    proof: &mut Proof,
) {
    let set = PolicySet {
        identity: role
            .permissions
            .iter()
            .enumerate()
            .map(|(i, doc)| CompiledPolicy::compile(doc, &format!("permissions policy {}", i + 1)))
            .collect(),
        ..PolicySet::default()
    };
    let session = format!(
        "arn:{}:sts::{}:assumed-role/{}/{PROBE}",
        ctx.partition, ctx.account_id, role.role_name
    );
    let db = ActionDb::global();
    let services = granted_services(spec);

    let mut targets = targets(spec, ctx);
    // The role itself: it must not be able to rewrite or pass itself.
    targets.push(Target::plain(role.arn(ctx)));
    for target in &targets {
        let mut requests = TargetRequests::new(&session, target, contexts);
        for action in &actions_for(db, target, &services) {
            probe(spec, ctx, &set, action, target, &mut requests, proof);
        }
    }
}

/// Judges one action on one target: the compliant request against the
/// spec's intent, then (unless already excess) each guardrail broken.
fn probe(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    set: &PolicySet,
    action: &str,
    target: &Target,
    requests: &mut TargetRequests,
    proof: &mut Proof,
) {
    let wanted = intended(spec, ctx, action, target);
    proof.probes += 1;
    let e = evaluate(set, aimed_at(&mut requests.compliant, action));
    let allowed = e.decision == Decision::Allowed;
    match (wanted, allowed) {
        (true, false) => proof.findings.push(ProofFinding::Missing {
            action: action.to_owned(),
            resource: target.resource.clone(),
            context: target.describe(),
        }),
        (false, true) => {
            proof.findings.push(ProofFinding::Excess {
                action: action.to_owned(),
                resource: target.resource.clone(),
                context: target.describe(),
                statements: statements(&e),
            });
            return;
        }
        _ => {}
    }
    for (guardrail, request) in &mut requests.violations {
        proof.probes += 1;
        let e = evaluate(set, aimed_at(request, action));
        if e.decision == Decision::Allowed {
            proof.findings.push(ProofFinding::GuardrailBypassed {
                guardrail,
                action: action.to_owned(),
                resource: target.resource.clone(),
                statements: statements(&e),
            });
        }
    }
}

/// The statements that allowed a request, as a finding names them.
fn statements(e: &Evaluation) -> Vec<String> {
    e.matched
        .iter()
        .map(|m| match &m.sid {
            Some(sid) => format!("{} statement {sid}", m.policy),
            None => format!("{} statement #{}", m.policy, m.index + 1),
        })
        .collect()
}
