//! Drift: is a live integration role still what its spec asks, and what
//! should the guard do about it?
//!
//! [`assess`] judges a live role three ways, as the guard issue asks: the
//! reconcile diff against the stored desired state (so a reordered but
//! equivalent policy is not drift), lint findings the desired role does not
//! have, and the least-privilege proof run on the live policies ("does the
//! role allow anything the spec does not?"). [`explain`] also asks the
//! symbolic procedure whether the live policies allow any request the
//! desired role's do not, and names one ([`DriftFinding::NewAccess`]): the
//! new access the tamper opened. The sweep adds expiry and disuse. [`remedy`] turns the assessment and the remediation mode into
//! one action. Both are pure; the guard function only reads and applies.
//!
//! With a known desired state, lint and the proof can only find something
//! when the diff does (a role equal to its desired state inherits that
//! state's proof), so they never change the remedy, only explain it. The
//! guard therefore acts on [`decide`] and runs [`explain`] afterwards for
//! its report: the proof of the live role, the costliest step, stays off
//! the path between a tamper and its repair, and a clean role is never
//! proven twice.

mod summary;

pub use summary::RoleSummary;

use std::collections::BTreeSet;
use std::fmt;

use crate::document::PolicyDocument;
use crate::lint::{Finding, LintOptions, PolicyKind, lint_policy, lint_role};
use crate::proof::{ProofFinding, RolePolicies, prove};
use crate::reconcile::{
    DesiredState, LiveRole, Operation, Plan, Quarantine, Untrusted, diff, quarantine,
    quarantine_plan, with_quarantine,
};
use crate::spec::RemediationMode;
use crate::symbolic::{self, Counterexample, Permissions, Verdict};
use crate::time::Timestamp;

const SECONDS_PER_DAY: i64 = 86_400;

/// One way a live role falls short of its spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftFinding {
    /// The reconcile diff: this operation would restore the role.
    Changed(Operation),
    /// The proof on the live policies: the role allows more than the spec.
    WidensAccess(ProofFinding),
    /// A lint finding on a live document that the desired role does not have.
    Lint(Finding),
    /// The live policies allow a request the desired role's do not
    /// (`symbolic::compare`, the desired role as baseline): one such request.
    NewAccess(Box<Counterexample>),
    /// The spec's `ExpiresAt` has passed and access is not yet revoked.
    Expired { at: String },
    /// Nobody has assumed the role for longer than the configured limit.
    Unused {
        last_used: Option<String>,
        days: u32,
    },
    /// The stored desired state is missing or unusable.
    NoDesiredState { reason: String },
    /// The role's record is missing, unsealed, or does not verify: the guard
    /// will not act on it, and never restores to it.
    UntrustedRecord { code: &'static str, reason: String },
}

impl DriftFinding {
    pub fn code(&self) -> &'static str {
        match self {
            DriftFinding::Changed(_) => "DRIFT_CHANGED",
            DriftFinding::WidensAccess(f) => f.code(),
            DriftFinding::Lint(f) => f.code,
            DriftFinding::NewAccess(_) => "DRIFT_NEW_ACCESS",
            DriftFinding::Expired { .. } => "ROLE_EXPIRED",
            DriftFinding::Unused { .. } => "ROLE_UNUSED",
            DriftFinding::NoDesiredState { .. } => "DESIRED_STATE_UNKNOWN",
            DriftFinding::UntrustedRecord { code, .. } => code,
        }
    }

    /// Findings that mean the role is not what its spec says: the ones a
    /// remediation mode acts on. Expiry and disuse are about time, not
    /// drift; an untrusted record says nothing about the role.
    pub fn is_drift(&self) -> bool {
        !matches!(
            self,
            DriftFinding::Expired { .. }
                | DriftFinding::Unused { .. }
                | DriftFinding::UntrustedRecord { .. }
        )
    }
}

/// `CODE: what is wrong`. Secret-free: operations and findings never
/// print a document.
impl fmt::Display for DriftFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            // These two print their own code first.
            DriftFinding::WidensAccess(finding) => write!(f, "{finding}"),
            DriftFinding::Lint(finding) => write!(f, "{code}: {}", finding.message),
            DriftFinding::NewAccess(cx) => write!(
                f,
                "{code}: the live role allows {} on {}, which the desired role does not ({cx})",
                cx.action, cx.resource
            ),
            DriftFinding::Changed(op) => {
                write!(f, "{code}: live role differs; restoring needs {op}")
            }
            DriftFinding::Expired { at } => write!(f, "{code}: the integration expired at {at}"),
            DriftFinding::Unused { last_used, days } => match last_used {
                Some(at) => write!(f, "{code}: last used {at}, more than {days} days ago"),
                None => write!(
                    f,
                    "{code}: never used, and created more than {days} days ago"
                ),
            },
            DriftFinding::NoDesiredState { reason } => {
                write!(f, "{code}: the desired state is unknown: {reason}")
            }
            DriftFinding::UntrustedRecord { reason, .. } => {
                write!(f, "{code}: {reason}; the guard will not act on it")
            }
        }
    }
}

/// The findings as a report shows them: at most `per_code` of each code,
/// then one line saying how many more there were. A wildcard grant makes
/// the proof find hundreds of excess actions; the first few tell the story.
pub fn condensed(findings: &[DriftFinding], per_code: usize) -> Vec<(&'static str, String)> {
    let mut shown: Vec<(&'static str, String)> = Vec::new();
    let mut hidden: Vec<(&'static str, usize)> = Vec::new();
    for finding in findings {
        let code = finding.code();
        if shown.iter().filter(|(c, _)| *c == code).count() < per_code {
            shown.push((code, finding.to_string()));
        } else if let Some((_, n)) = hidden.iter_mut().find(|(c, _)| *c == code) {
            *n += 1;
        } else {
            hidden.push((code, 1));
        }
    }
    for (code, n) in hidden {
        shown.push((code, format!("{code}: and {n} more like these")));
    }
    shown
}

/// Everything the guard knows about one role at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Inspection<'a> {
    pub live: &'a LiveRole,
    /// Attached managed policies' default versions; `None` when unreadable.
    pub managed_policies: &'a [(String, Option<PolicyDocument>)],
    /// What the stored record says, or why there is nothing usable.
    pub desired: Result<&'a DesiredState, &'a str>,
    /// Why the stored record is not believed, when it is not; `desired` is
    /// then an error.
    pub untrusted: Option<&'a Untrusted>,
    pub quarantine: Option<&'a Quarantine>,
    pub now: &'a Timestamp,
    /// Report roles unused for longer than this many days; `None` skips it.
    pub unused_after_days: Option<u32>,
}

/// What [`assess`] found, and the plan that would restore the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub findings: Vec<DriftFinding>,
    /// Brings the role to its desired state, quarantine included; `None`
    /// when the desired state is unknown.
    pub restore: Option<Plan>,
    /// Puts the quarantine policies in place, touching nothing else.
    pub quarantine: Plan,
}

impl Assessment {
    pub fn drifted(&self) -> bool {
        self.findings.iter().any(DriftFinding::is_drift)
    }
}

/// [`decide`] and [`explain`] together: every finding.
pub fn assess(inspection: &Inspection<'_>) -> Assessment {
    let mut assessment = decide(inspection);
    let explained = explain(inspection, &assessment);
    assessment.findings.extend(explained);
    assessment
}

/// The findings that choose the remedy: the diff against the desired
/// state (or that it is unknown), expiry and disuse.
pub fn decide(inspection: &Inspection<'_>) -> Assessment {
    let Inspection {
        live,
        desired,
        untrusted,
        quarantine,
        now,
        unused_after_days,
        ..
    } = *inspection;
    let mut findings = Vec::new();
    let mut restore = None;

    match desired {
        Ok(state) => {
            let want = with_quarantine(state.role.clone(), quarantine, now);
            let changes = diff(live, &want);
            findings.extend(
                changes
                    .operations
                    .iter()
                    .cloned()
                    .map(DriftFinding::Changed),
            );
            if let Some(expiry) = &state.spec.expires_at
                && expiry.epoch_seconds() <= now.epoch_seconds()
                && !quarantine.is_some_and(Quarantine::is_active)
            {
                findings.push(DriftFinding::Expired {
                    at: expiry.to_string(),
                });
            }
            restore = Some(changes.into_plan(&live.name));
        }
        Err(reason) => findings.push(match untrusted {
            Some(why) => DriftFinding::UntrustedRecord {
                code: why.code(),
                reason: why.to_string(),
            },
            None => DriftFinding::NoDesiredState {
                reason: reason.to_owned(),
            },
        }),
    }
    if let Some(days) = unused_after_days
        && let Some(finding) = unused(live, now, days)
    {
        findings.push(finding);
    }

    Assessment {
        findings,
        restore,
        quarantine: quarantine_plan(live, &quarantine::impose(quarantine, "", now), now),
    }
}

/// What the drift `decided` found means for access: lint findings on the
/// live documents that the desired role lacks, and the proof of the live
/// policies. Empty when nothing changed or the desired state is unknown.
pub fn explain(inspection: &Inspection<'_>, decided: &Assessment) -> Vec<DriftFinding> {
    let Ok(state) = inspection.desired else {
        return Vec::new();
    };
    if !decided
        .findings
        .iter()
        .any(|f| matches!(f, DriftFinding::Changed(_)))
    {
        return Vec::new();
    }
    let (live, managed) = (inspection.live, inspection.managed_policies);
    let mut findings = new_lint_findings(live, managed, state);
    findings.extend(new_access(live, managed, state));
    findings.extend(widening(live, managed, state));
    findings
}

/// The live role's permission policies, readable ones only (an unreadable
/// one is already a diff finding); quarantine policies only deny.
fn live_permissions<'a>(
    live: &'a LiveRole,
    managed: &'a [(String, Option<PolicyDocument>)],
) -> Vec<&'a PolicyDocument> {
    live.inline_policies
        .values()
        .chain(managed.iter().map(|(_, doc)| doc))
        .flatten()
        .collect()
}

/// Does the live role allow a request the desired role does not? The
/// desired role's permission policies are the baseline, the live ones the
/// candidate; neither boundary is a document here (the role names it by
/// ARN, and the diff judges a changed one). Unknown adds nothing: the
/// proof of the live role reports it (`PROOF_UNDECIDED`).
fn new_access(
    live: &LiveRole,
    managed: &[(String, Option<PolicyDocument>)],
    state: &DesiredState,
) -> Option<DriftFinding> {
    let desired: Vec<&PolicyDocument> = state.role.permission_policies().collect();
    let candidate = live_permissions(live, managed);
    let ctx = &state.context;
    let options = symbolic::Options {
        principal: format!(
            "arn:{}:sts::{}:assumed-role/{}/rolegate-guard",
            ctx.partition, ctx.account_id, live.name
        ),
        ..symbolic::Options::default()
    };
    let verdict = symbolic::compare_with(
        &Permissions {
            identity: &desired,
            boundary: None,
        },
        &Permissions {
            identity: &candidate,
            boundary: None,
        },
        &options,
    );
    match verdict {
        Verdict::NewAccess(cx) => Some(DriftFinding::NewAccess(cx)),
        Verdict::NoNewAccess | Verdict::Unknown(_) => None,
    }
}

/// What the guard does about an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Nothing to report.
    Nothing,
    /// Emit the findings; change nothing.
    Report,
    /// Apply the assessment's restore plan.
    Restore,
    /// Revoke access: record the quarantine and apply the quarantine plan.
    Quarantine { reason: String },
}

/// The action `mode` calls for. Drift in restore mode with no known desired
/// state fails closed (quarantine): the guard cannot restore what it does
/// not know, and must not leave a tampered role working. An expired role is
/// revoked in every mode but `report`; disuse is only ever reported. An
/// untrusted record is reported (and alarmed on), and quarantines only in
/// `quarantine` mode: whoever can write a parameter must not be able to
/// cut a vendor off in the other modes, nor choose what is restored in any.
pub fn remedy(assessment: &Assessment, mode: RemediationMode) -> Remedy {
    if assessment.findings.is_empty() {
        return Remedy::Nothing;
    }
    if assessment
        .findings
        .iter()
        .any(|f| matches!(f, DriftFinding::UntrustedRecord { .. }))
    {
        return match mode {
            RemediationMode::Quarantine => Remedy::Quarantine {
                reason: quarantine_reason(assessment),
            },
            _ => Remedy::Report,
        };
    }
    let expired = assessment
        .findings
        .iter()
        .find(|f| matches!(f, DriftFinding::Expired { .. }));
    match mode {
        RemediationMode::Report => Remedy::Report,
        _ if assessment.drifted() => match (mode, &assessment.restore) {
            (RemediationMode::Restore, Some(_)) if expired.is_none() => Remedy::Restore,
            _ => Remedy::Quarantine {
                reason: quarantine_reason(assessment),
            },
        },
        _ if expired.is_some() => Remedy::Quarantine {
            reason: quarantine_reason(assessment),
        },
        _ => Remedy::Report,
    }
}

fn quarantine_reason(assessment: &Assessment) -> String {
    let codes: BTreeSet<&str> = assessment.findings.iter().map(DriftFinding::code).collect();
    let codes: Vec<&str> = codes.into_iter().collect();
    format!("guard: {}", codes.join(", "))
}

/// Lint findings on the live documents that the desired role does not
/// also have (compared by code and location).
fn new_lint_findings(
    live: &LiveRole,
    managed: &[(String, Option<PolicyDocument>)],
    state: &DesiredState,
) -> Vec<DriftFinding> {
    let opts = LintOptions {
        own_account: Some(state.context.account_id.clone()),
        ..LintOptions::default()
    };
    let expected: BTreeSet<(&str, String)> = lint_role(&state.role, &opts)
        .into_iter()
        .map(|f| (f.code, f.path))
        .collect();
    let mut documents: Vec<(String, &PolicyDocument, PolicyKind)> = Vec::new();
    if let Some(trust) = &live.trust_policy {
        documents.push(("AssumeRolePolicyDocument".into(), trust, PolicyKind::Trust));
    }
    for (name, doc) in &live.inline_policies {
        if let Some(doc) = doc
            && !name.starts_with(quarantine::NAME_PREFIX)
        {
            documents.push((format!("Policies.{name}"), doc, PolicyKind::Identity));
        }
    }
    for (arn, doc) in managed {
        if let Some(doc) = doc {
            documents.push((format!("ManagedPolicies.{arn}"), doc, PolicyKind::Identity));
        }
    }
    let mut out = Vec::new();
    for (prefix, doc, kind) in documents {
        for mut finding in lint_policy(doc, kind, &opts) {
            finding.path = if finding.path.is_empty() {
                prefix.clone()
            } else {
                format!("{prefix}.{}", finding.path)
            };
            if !expected.contains(&(finding.code, finding.path.clone())) {
                out.push(DriftFinding::Lint(finding));
            }
        }
    }
    out
}

/// The proof on what IAM holds: every finding that widens access.
fn widening(
    live: &LiveRole,
    managed: &[(String, Option<PolicyDocument>)],
    state: &DesiredState,
) -> Vec<DriftFinding> {
    // An unreadable trust policy is already a diff finding; nothing to prove.
    let Some(trust) = &live.trust_policy else {
        return Vec::new();
    };
    let permissions = live_permissions(live, managed);
    let proof = prove(
        &state.spec,
        &state.context,
        &RolePolicies {
            role_name: &live.name,
            path: &live.path,
            trust,
            permissions: &permissions,
        },
    );
    proof
        .findings
        .into_iter()
        .filter(ProofFinding::widens_access)
        .map(DriftFinding::WidensAccess)
        .collect()
}

fn unused(live: &LiveRole, now: &Timestamp, days: u32) -> Option<DriftFinding> {
    let limit = i64::from(days) * SECONDS_PER_DAY;
    let reference = live.last_used.as_ref().or(live.created.as_ref())?;
    (now.epoch_seconds() - reference.epoch_seconds() > limit).then(|| DriftFinding::Unused {
        last_used: live.last_used.as_ref().map(ToString::to_string),
        days,
    })
}
