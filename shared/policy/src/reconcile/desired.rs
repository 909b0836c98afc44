//! Spec → the role Rolegate wants, proven least privilege and tagged for its
//! owner: the last step of the pipeline ([`super::spec_to_role`]), and the
//! only caller of [`build`] outside tests and benches.

use thiserror::Error;

use super::record::RoleRecord;
use super::{Owner, with_ownership};
use crate::arn::Arn;
use crate::build::{BuildContext, BuildError, DesiredRole, build};
use crate::proof::{ProofFinding, prove_desired};
use crate::spec::{IntegrationSpec, RuleError, SpecError};

/// Proof findings quoted in an error message; the rest are counted.
const FINDINGS_QUOTED: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DesiredError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The deployment's rules refuse the spec's boundary or path.
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(
        "Grants: the least-privilege proof found the built role allowing more than the spec asks ({findings})"
    )]
    WidensAccess { findings: String },
    #[error("StackId: {0:?} is not a CloudFormation stack ARN")]
    NotAStackArn(String),
}

/// The role `spec` asks for, proven and tagged for `owner`, with the digest
/// of the untagged role (what the `rolegate:spec-digest` tag holds).
pub fn desired_role(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    owner: &Owner,
) -> Result<(DesiredRole, String), DesiredError> {
    let bare = build(spec, ctx)?;
    let proof = prove_desired(spec, ctx, &bare);
    if proof.widens_access() {
        return Err(DesiredError::WidensAccess {
            findings: summarize(&proof.findings),
        });
    }
    let digest = bare.digest();
    Ok((with_ownership(bare, owner), digest))
}

/// Account and region of a stack, which are its roles'.
pub fn context_of_stack(stack_id: &str) -> Result<BuildContext, DesiredError> {
    let not_a_stack = || DesiredError::NotAStackArn(stack_id.to_owned());
    let arn = Arn::parse(stack_id).map_err(|_| not_a_stack())?;
    if arn.service() != "cloudformation" || arn.account().is_empty() || arn.region().is_empty() {
        return Err(not_a_stack());
    }
    Ok(BuildContext::new(arn.account(), arn.region()))
}

impl RoleRecord {
    pub fn owner(&self) -> Owner {
        Owner {
            stack_id: self.stack_id.clone(),
            logical_id: self.logical_resource_id.clone(),
        }
    }
}

/// `CODE: message` for the first few widening findings, then a count.
pub fn summarize(findings: &[ProofFinding]) -> String {
    let widening: Vec<&ProofFinding> = findings.iter().filter(|f| f.widens_access()).collect();
    let mut text: Vec<String> = widening
        .iter()
        .take(FINDINGS_QUOTED)
        .map(|f| f.to_string())
        .collect();
    if widening.len() > FINDINGS_QUOTED {
        text.push(format!("and {} more", widening.len() - FINDINGS_QUOTED));
    }
    text.join("; ")
}
