//! A `Custom::IntegrationPolicy`: one Rolegate-owned inline policy on a
//! role the customer already has. The pipeline's sibling entry point,
//! [`spec_to_policy`], next to [`super::spec_to_role`]: the carrier spec
//! (the grant grammar, read by the integration role's readers) goes
//! through the same builder ([`build_with_quotas`]) and the same [`prove_desired`]; the inline
//! policies it builds are merged into the one document written, and that
//! document is what the proof judges. Nothing else of the role (trust,
//! tags, other policies, boundary) is ever read into a plan or written.
//!
//! Here too: which roles may receive one ([`check_target`],
//! [`check_existing_role`]), and the plans ([`policy_plan`],
//! [`policy_delete_plan`]) the executor runs.

use std::collections::BTreeMap;

use thiserror::Error;

use super::desired::{DesiredError, summarize};
use super::plan::{Operation, Plan};
use crate::build::{BuildContext, BuildError, DesiredRole, build_with_quotas};
use crate::canonical::sha256_hex;
use crate::document::PolicyDocument;
use crate::limits::{self, Quotas};
use crate::proof::prove_desired;
use crate::spec::{IntegrationPolicySpec, RemediationMode, SpecError};
use crate::tags;

/// The one policy an integration policy spec asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPolicy {
    pub role_arn: String,
    pub role_name: String,
    pub policy_name: String,
    pub document: PolicyDocument,
    /// SHA-256 of role ARN, policy name and the canonical document.
    pub digest: String,
}

/// Why a `Custom::IntegrationPolicy` is refused. Every message names the
/// property at fault; [`IntegrationPolicyError::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IntegrationPolicyError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Desired(#[from] DesiredError),
    #[error(
        "RoleArn: {role_arn} is not one of the roles this Rolegate deployment may put integration policies on (its IntegrationPolicyRoleArns parameter{listed}); ask its operator to list the role"
    )]
    NotAllowed { role_arn: String, listed: String },
    #[error(
        "RoleArn: {role_arn} is in account {account}, not this stack's account {stack_account}"
    )]
    OtherAccount {
        role_arn: String,
        account: String,
        stack_account: String,
    },
    #[error("RoleArn: role {role_name} does not exist")]
    NoSuchRole { role_name: String },
    #[error(
        "RoleArn: {role_arn} names role {role_name}, whose ARN is {live_arn} (the path differs)"
    )]
    WrongPath {
        role_arn: String,
        role_name: String,
        live_arn: String,
    },
    #[error(
        "RoleArn: role {role_name} is a Rolegate integration role ({why}); its policies are managed by its Custom::IntegrationRole, add the grant there"
    )]
    ManagedRole {
        role_name: String,
        why: &'static str,
    },
    #[error(
        "PolicyName: role {role_name} already has an inline policy named {policy_name} that this stack resource did not write; Rolegate never takes over a policy it did not create (set another PolicyName)"
    )]
    PolicyTaken {
        role_name: String,
        policy_name: String,
    },
    #[error(
        "Grants: the policy is {chars} characters, more than IAM's {limit} for all of one role's inline policies"
    )]
    TooLarge { chars: usize, limit: usize },
}

impl IntegrationPolicyError {
    pub fn code(&self) -> &'static str {
        match self {
            IntegrationPolicyError::Spec(e) => e.code(),
            IntegrationPolicyError::Desired(DesiredError::Spec(e)) => e.code(),
            IntegrationPolicyError::Desired(DesiredError::Rule(e)) => e.code(),
            IntegrationPolicyError::Desired(DesiredError::Build(e)) => e.code(),
            IntegrationPolicyError::Desired(DesiredError::WidensAccess { .. }) => "WIDENS_ACCESS",
            IntegrationPolicyError::Desired(DesiredError::NotAStackArn(_)) => "NOT_A_STACK_ARN",
            IntegrationPolicyError::NotAllowed { .. } => "ROLE_NOT_ALLOWED",
            IntegrationPolicyError::OtherAccount { .. } => "ROLE_IN_OTHER_ACCOUNT",
            IntegrationPolicyError::NoSuchRole { .. } => "ROLE_NOT_FOUND",
            IntegrationPolicyError::WrongPath { .. } => "ROLE_ARN_MISMATCH",
            IntegrationPolicyError::ManagedRole { .. } => "ROLE_MANAGED_BY_ROLEGATE",
            IntegrationPolicyError::PolicyTaken { .. } => "POLICY_NAME_TAKEN",
            IntegrationPolicyError::TooLarge { .. } => "POLICY_TOO_LARGE",
        }
    }
}

/// `spec`'s policy for stack resource `logical_id` in `ctx`: built by
/// the builder from the carrier spec, its inline policies merged into one
/// document, that document proven by [`prove_desired`] (a document that
/// allows more than the spec asks is never returned), and sized against
/// IAM's inline quota. The role's other policies are not this proof's:
/// it proves what Rolegate adds, not what the role ends up with.
pub fn spec_to_policy(
    spec: &IntegrationPolicySpec,
    ctx: &BuildContext,
    logical_id: &str,
) -> Result<DesiredPolicy, IntegrationPolicyError> {
    // Everything the builder makes must land in the one document, so no
    // inline quota may move part of it elsewhere: the merged document is
    // sized against IAM's quota below instead.
    let quotas = Quotas::default();
    let unbounded = Quotas {
        inline_policies_chars: usize::MAX,
        ..quotas
    };
    let built = build_with_quotas(&spec.access, ctx, &unbounded).map_err(DesiredError::from)?;
    let document = merge(&built.inline_policies);
    let chars = document.size();
    limits::check_inline_policies_size([chars], &quotas).map_err(|_| {
        IntegrationPolicyError::TooLarge {
            chars,
            limit: quotas.inline_policies_chars,
        }
    })?;
    let policy_name = spec.policy_name(logical_id);
    let proven = DesiredRole {
        inline_policies: BTreeMap::from([(policy_name.clone(), document.clone())]),
        ..built
    };
    let proof = prove_desired(&spec.access, ctx, &proven);
    if proof.widens_access() {
        return Err(DesiredError::WidensAccess {
            findings: summarize(&proof.findings),
        }
        .into());
    }
    let role_arn = spec.role_arn.to_string();
    let digest = policy_digest(&role_arn, &policy_name, &document);
    Ok(DesiredPolicy {
        role_arn,
        role_name: spec.role_name().to_owned(),
        policy_name,
        document,
        digest,
    })
}

/// The digest a record keeps: what the policy is, where.
pub fn policy_digest(role_arn: &str, policy_name: &str, document: &PolicyDocument) -> String {
    let canonical = document.canonical().to_json();
    sha256_hex(format!("{role_arn}\n{policy_name}\n{canonical}").as_bytes())
}

/// The builder's inline policies (one per grant, named by service and
/// resource, so the order is stable) as one document. A `Sid` must be
/// unique within a policy, so a repeated one gets a number.
fn merge(policies: &BTreeMap<String, PolicyDocument>) -> PolicyDocument {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let statements = policies
        .values()
        .flat_map(|doc| doc.statements().iter().cloned())
        .map(|mut s| {
            if let Some(sid) = &s.sid {
                let n = seen.entry(sid.clone()).or_insert(0);
                *n += 1;
                if *n > 1 {
                    s.sid = Some(format!("{sid}{n}"));
                }
            }
            s
        })
        .collect();
    PolicyDocument::new(statements)
}

/// Whether this deployment may put an integration policy on `spec`'s role:
/// the role is in the stack's account and on the deployment's `allowed`
/// list (`IntegrationPolicyRoleArns`; empty: on no role). Decided before
/// any I/O.
pub fn check_target(
    spec: &IntegrationPolicySpec,
    ctx: &BuildContext,
    allowed: &[String],
) -> Result<(), IntegrationPolicyError> {
    let role_arn = spec.role_arn.to_string();
    if spec.role_arn.account() != ctx.account_id {
        return Err(IntegrationPolicyError::OtherAccount {
            role_arn,
            account: spec.role_arn.account().to_owned(),
            stack_account: ctx.account_id.clone(),
        });
    }
    if !allowed.contains(&role_arn) {
        let listed = if allowed.is_empty() {
            " is empty: the feature is off".to_owned()
        } else {
            format!(" lists {}", allowed.join(", "))
        };
        return Err(IntegrationPolicyError::NotAllowed { role_arn, listed });
    }
    Ok(())
}

/// Whether the role IAM holds (`live_arn`, `live_tags`; `None` when there
/// is none) may receive `spec`'s policy: it exists at the ARN given, and
/// is not a Rolegate integration role (tagged as one, or with a role
/// record under its name: `has_role_record`).
pub fn check_existing_role(
    spec: &IntegrationPolicySpec,
    live: Option<(&str, &BTreeMap<String, String>)>,
    has_role_record: bool,
) -> Result<(), IntegrationPolicyError> {
    let role_name = spec.role_name().to_owned();
    let Some((live_arn, live_tags)) = live else {
        return Err(IntegrationPolicyError::NoSuchRole { role_name });
    };
    if live_arn != spec.role_arn.as_str() {
        return Err(IntegrationPolicyError::WrongPath {
            role_arn: spec.role_arn.to_string(),
            role_name,
            live_arn: live_arn.to_owned(),
        });
    }
    if live_tags.keys().any(|k| k.starts_with(tags::PREFIX)) {
        return Err(IntegrationPolicyError::ManagedRole {
            role_name,
            why: "it carries rolegate: tags",
        });
    }
    if has_role_record {
        return Err(IntegrationPolicyError::ManagedRole {
            role_name,
            why: "a Rolegate role record names it",
        });
    }
    Ok(())
}

/// What IAM holds under the policy's name: nothing, a document, or one
/// this crate cannot read (always rewritten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LivePolicy {
    Absent,
    Document(Box<PolicyDocument>),
    Unreadable,
}

/// The plan that makes `live` the `desired` policy: one PutRolePolicy of
/// that name on that role, or nothing when IAM holds it already (compared
/// in canonical form).
pub fn policy_plan(desired: &DesiredPolicy, live: &LivePolicy) -> Plan {
    let same = matches!(live, LivePolicy::Document(doc)
        if doc.canonical() == desired.document.canonical());
    let stage = if same {
        Vec::new()
    } else {
        vec![Operation::PutRolePolicy {
            name: desired.policy_name.clone(),
            document: desired.document.clone(),
        }]
    };
    Plan {
        role_name: desired.role_name.clone(),
        stages: vec![stage],
    }
}

/// The plan that removes the policy: one DeleteRolePolicy (the executor
/// counts a policy already gone as done).
pub fn policy_delete_plan(role_name: &str, policy_name: &str) -> Plan {
    Plan {
        role_name: role_name.to_owned(),
        stages: vec![vec![Operation::DeleteRolePolicy {
            name: policy_name.to_owned(),
        }]],
    }
}

/// Why [`spec_to_policy`] would fail for a build error, kept for callers
/// that match on the builder's own codes.
impl From<BuildError> for IntegrationPolicyError {
    fn from(e: BuildError) -> Self {
        IntegrationPolicyError::Desired(DesiredError::Build(e))
    }
}

/// The physical id of an integration policy: `<role ARN>#<policy name>`.
/// A policy name holds no `#`, so the last one splits it.
pub fn policy_physical_id(role_arn: &str, policy_name: &str) -> String {
    format!("{role_arn}#{policy_name}")
}

/// The role ARN and policy name of a [`policy_physical_id`].
pub fn parse_policy_physical_id(id: &str) -> Option<(String, String)> {
    let (role_arn, policy_name) = id.rsplit_once('#')?;
    let arn = crate::arn::Arn::parse(role_arn).ok()?;
    arn.iam_role_path_and_name()?;
    crate::spec::integration_policy::check_policy_name(policy_name, "PolicyName").ok()?;
    Some((role_arn.to_owned(), policy_name.to_owned()))
}

/// How the live policy departs from the desired one, for the guard's
/// report; `None` when IAM holds it exactly (in canonical form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDrift {
    Missing,
    Changed,
    Unreadable,
}

impl PolicyDrift {
    pub fn of(desired: &DesiredPolicy, live: &LivePolicy) -> Option<PolicyDrift> {
        match live {
            LivePolicy::Absent => Some(PolicyDrift::Missing),
            LivePolicy::Unreadable => Some(PolicyDrift::Unreadable),
            LivePolicy::Document(doc) if doc.canonical() != desired.document.canonical() => {
                Some(PolicyDrift::Changed)
            }
            LivePolicy::Document(_) => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PolicyDrift::Missing => "POLICY_MISSING",
            PolicyDrift::Changed => "POLICY_CHANGED",
            PolicyDrift::Unreadable => "POLICY_UNREADABLE",
        }
    }

    pub fn message(self, desired: &DesiredPolicy) -> String {
        let (policy, role) = (&desired.policy_name, &desired.role_name);
        match self {
            PolicyDrift::Missing => {
                format!("integration policy {policy} was deleted from role {role}")
            }
            PolicyDrift::Changed => format!(
                "integration policy {policy} on role {role} differs from what its stack resource asks"
            ),
            PolicyDrift::Unreadable => format!(
                "integration policy {policy} on role {role} holds a document Rolegate cannot read"
            ),
        }
    }
}

/// The guard's remediation for an integration policy: the spec's, else
/// `report` when the guard's default is `report`, else `restore` (a
/// quarantine is a Rolegate role's, and this role is not Rolegate's).
pub fn policy_remediation(
    spec_mode: Option<RemediationMode>,
    guard_default: RemediationMode,
) -> RemediationMode {
    match (spec_mode, guard_default) {
        (Some(mode), _) => mode,
        (None, RemediationMode::Report) => RemediationMode::Report,
        (None, _) => RemediationMode::Restore,
    }
}
