//! Trust policies: who may call `sts:AssumeRole` on the integration role
//! (a vendor, an AWS service, or, while the vendor trust is pending, nobody).

use std::collections::BTreeMap;

use super::{BuildContext, BuildError};
use crate::document::{OneOrMany, Polarity, PolicyDocument, Principal, PrincipalType, Statement};
use crate::spec::{IntegrationSpec, SourceKey, Trust, VendorPrincipal};

pub(super) fn trust_policy(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
) -> Result<PolicyDocument, BuildError> {
    let mut statement = match &spec.trust {
        // Nobody, until the vendor issues its principal: no ExpiresAt
        // condition either, which would end the Deny, not the access.
        Trust::Pending => return Ok(pending_trust_policy()),
        Trust::Vendor { principals } => {
            let external_id = spec
                .external_id
                .as_deref()
                .ok_or(BuildError::MissingExternalId)?;
            let arns = principals
                .iter()
                .map(|p| match p {
                    // IAM stores an account id as its root ARN; write it that
                    // way so the live policy reads back identical.
                    VendorPrincipal::Account(id) => {
                        format!("arn:{}:iam::{id}:root", ctx.partition)
                    }
                    VendorPrincipal::Role(arn) | VendorPrincipal::User(arn) => arn.to_string(),
                })
                .collect();
            assume_role(PrincipalType::Aws, arns, "TrustVendor").with_condition(
                "StringEquals",
                "sts:ExternalId",
                vec![external_id.into()],
            )
        }
        Trust::Service {
            service,
            source_account,
            source_arn,
        } => {
            let mut s = assume_role(
                PrincipalType::Service,
                vec![service.principal().to_owned()],
                "TrustService",
            );
            // Only the keys the service documents sending are required (each
            // service's page is cited in `TrustedService::documented_source_keys`):
            // a condition on a key the service does not send is false, and
            // the role could never be assumed. The parser refuses a
            // SourceAccount or SourceArn the service does not send.
            let account = match source_account {
                Some(a) => Some(a.clone()),
                None => Some(ctx.account_id.clone()),
            }
            .filter(|_| service.sends(SourceKey::SourceAccount));
            if let Some(account) = account {
                s = s.with_condition(
                    "StringEquals",
                    SourceKey::SourceAccount.context_key(),
                    vec![account.into()],
                );
            }
            if let Some(arn) = source_arn
                .as_ref()
                .filter(|_| service.sends(SourceKey::SourceArn))
            {
                s = s.with_condition(
                    "ArnLike",
                    SourceKey::SourceArn.context_key(),
                    vec![arn.to_string().into()],
                );
            }
            s
        }
    };
    if let Some(at) = &spec.expires_at {
        statement =
            statement.with_condition("DateLessThan", "aws:CurrentTime", vec![at.as_str().into()]);
    }
    Ok(PolicyDocument::new(vec![statement]))
}

/// The trust policy of a pending role: one statement denying every STS
/// action to every principal, and no Allow. A role trust policy must name
/// a principal (so an empty policy is not one), and a principal that does
/// not exist is refused when the policy is written; a Deny to `"*"` is
/// accepted, and an explicit Deny overrides any Allow, in this account or
/// another, so the role is assumable by nobody until an Update replaces
/// the policy in place.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
fn pending_trust_policy() -> PolicyDocument {
    PolicyDocument::new(vec![Statement {
        sid: Some("TrustPending".to_owned()),
        effect: crate::document::Effect::Deny,
        principal: Some(Polarity::Is(Principal::Any)),
        action: Polarity::Is(OneOrMany::One("sts:*".into())),
        resource: None,
        condition: None,
    }])
}

fn assume_role(kind: PrincipalType, principals: Vec<String>, sid: &str) -> Statement {
    Statement {
        sid: Some(sid.to_owned()),
        effect: crate::document::Effect::Allow,
        principal: Some(Polarity::Is(Principal::Typed(BTreeMap::from([(
            kind,
            OneOrMany::from_vec(principals),
        )])))),
        action: Polarity::Is(OneOrMany::One("sts:AssumeRole".into())),
        resource: None,
        condition: None,
    }
}
