//! The proof of a role's trust policy: the callers the spec names are
//! admitted, everyone else is refused.
//!
//! The kinds of trust are proved apart: `vendor` (a third party's
//! accounts, roles or users, across accounts, with the ExternalId),
//! `service` (an AWS service acting for this account, pinned against the
//! confused deputy) and `pending` (a vendor trust not issued yet:
//! nobody). Each judges `sts:AssumeRole` requests on the role with
//! the [`Judge`] built here.

mod pending;
mod service;
mod vendor;

use super::probes::Contexts;
use super::{Proof, ProofFinding, RolePolicies};
use crate::arn::Partition;
use crate::build::BuildContext;
use crate::document::{PolicyDocument, Statement};
use crate::eval::{
    CompiledPolicy, ContextValue, Decision, PolicySet, PrincipalKind, Request, evaluate,
};
use crate::spec::{IntegrationSpec, Trust};

/// Probes the trust policy of `role` with the callers `spec` trusts and
/// those it must refuse.
pub(super) fn prove(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    role: &RolePolicies<'_>,
    contexts: &Contexts,
    proof: &mut Proof,
) {
    let judge = Judge::new(ctx, role, contexts);
    match &spec.trust {
        Trust::Vendor { principals } => vendor::prove(
            &judge,
            principals,
            spec.external_id.as_deref(),
            role.trust,
            proof,
        ),
        Trust::Service {
            service,
            source_account,
            source_arn,
        } => service::prove(
            &judge,
            *service,
            source_account.as_deref(),
            source_arn.as_ref(),
            proof,
        ),
        Trust::Pending => pending::prove(&judge, role.trust, proof),
    }
}

/// What every trust probe needs: the role's ARN, the policies each kind of
/// caller is judged by, and the times to ask at.
struct Judge {
    partition: Partition,
    /// The customer's account, which owns the role.
    account: String,
    role_arn: String,
    /// An account's principal: its own account lets it call AssumeRole, so
    /// the trust policy decides.
    account_caller: PolicySet,
    /// A service principal has no identity policies of its own.
    service_caller: PolicySet,
    /// `aws:CurrentTime` while the role is valid.
    now: Option<ContextValue>,
    /// `aws:CurrentTime` after `ExpiresAt`, when the spec sets one.
    expired: Option<ContextValue>,
}

impl Judge {
    fn new(ctx: &BuildContext, role: &RolePolicies<'_>, contexts: &Contexts) -> Judge {
        let caller_identity = PolicyDocument::new(vec![Statement::allow(
            vec!["sts:AssumeRole".into()],
            vec!["*".into()],
        )]);
        let trust = CompiledPolicy::compile(role.trust, "trust policy");
        Judge {
            partition: ctx.partition,
            account: ctx.account_id.clone(),
            role_arn: role.arn(ctx),
            account_caller: PolicySet {
                identity: vec![CompiledPolicy::compile(&caller_identity, "caller identity")],
                resource: Some(trust.clone()),
                ..PolicySet::default()
            },
            service_caller: PolicySet {
                resource: Some(trust),
                ..PolicySet::default()
            },
            now: contexts.now(),
            expired: contexts.expired(),
        }
    }

    /// `req` must be allowed: a refusal is `TrustTooClosed`.
    fn admits(&self, req: Request, proof: &mut Proof) {
        if !self.allowed(&req, proof) {
            proof.findings.push(ProofFinding::TrustTooClosed {
                caller: req.principal_arn,
            });
        }
    }

    /// `req` must be refused: an admission is `TrustTooOpen`, saying `how`.
    fn refuses(&self, req: Request, how: &'static str, proof: &mut Proof) {
        if self.allowed(&req, proof) {
            proof.findings.push(ProofFinding::TrustTooOpen {
                caller: req.principal_arn,
                how,
            });
        }
    }

    /// Counts the probe and asks the evaluator, with the caller's own
    /// policies for its kind.
    fn allowed(&self, req: &Request, proof: &mut Proof) -> bool {
        proof.probes += 1;
        let set = match req.principal_kind {
            PrincipalKind::Service(_) => &self.service_caller,
            _ => &self.account_caller,
        };
        evaluate(set, req).decision == Decision::Allowed
    }

    /// `caller` (a principal in some account) asks to assume the role at `time`.
    fn assume(&self, caller: &str, time: &Option<ContextValue>) -> Request {
        let mut req =
            Request::new(caller, "sts:AssumeRole", &self.role_arn).in_account(&self.account);
        if let Some(t) = time {
            req = req.with_context("aws:CurrentTime", t.clone());
        }
        req
    }

    /// The AWS service `service` asks to assume the role at `time`, acting
    /// for `source_account` and `source_arn` when given.
    fn service_assume(
        &self,
        service: &str,
        source_account: Option<&str>,
        source_arn: Option<&str>,
        time: &Option<ContextValue>,
    ) -> Request {
        let mut req = Request {
            principal_arn: service.to_owned(),
            principal_kind: PrincipalKind::Service(service.to_owned()),
            action: "sts:AssumeRole".into(),
            resource: self.role_arn.clone(),
            ..Request::default()
        };
        if let Some(a) = source_account {
            req = req.with_context("aws:SourceAccount", ContextValue::Single(a.to_owned()));
        }
        if let Some(a) = source_arn {
            req = req.with_context("aws:SourceArn", ContextValue::Single(a.to_owned()));
        }
        if let Some(t) = time {
            req = req.with_context("aws:CurrentTime", t.clone());
        }
        req
    }
}
