//! One role at a time: read it, judge it with `rolegate-policy::drift`, act
//! through the reconcile engine, report. The guard's commands (revoke,
//! restore, validate) and its automatic reactions all come through here.

use rolegate_aws::{AwsError, Clients};
use rolegate_policy::drift::{self, DriftFinding, Inspection, Remedy};
use rolegate_policy::events::drift::{
    AccessRestored, AccessRevoked, DriftDetected, RecordUntrusted, RevokedBy, RevokedSessions,
};
use rolegate_policy::reconcile::{
    DesiredState, LiveRole, Quarantine, RoleRecord, Untrusted, diff, effective_quarantine,
    external_id_of, is_managed, quarantine, quarantine_plan, with_quarantine,
};
use rolegate_policy::spec::RemediationMode;
use rolegate_policy::{PolicyDocument, Timestamp};
use serde::Serialize;
use thiserror::Error;

use crate::config::GuardConfig;
use rolegate_policy::redact::Secrets;

use crate::report;

#[derive(Debug, Error)]
pub enum EnforceError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "role {role}: not managed by Rolegate (no role record and no ownership tags); the guard never touches it"
    )]
    NotManaged { role: String },
    #[error("role {role}: does not exist")]
    NoSuchRole { role: String },
    #[error("role {role}: cannot restore, the desired state is unknown ({reason})")]
    NoDesiredState { role: String, reason: String },
}

/// What happened to one role, for the handler's answer and the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleOutcome {
    pub role: String,
    /// `clean`, `gone`, `unmanaged`, `reported`, `restored`, `quarantined`,
    /// `revoked` or `access-restored`.
    pub status: &'static str,
    pub findings: Vec<String>,
    pub write_calls: usize,
    /// The code of each finding reported, for the metrics (not answered).
    #[serde(skip)]
    pub finding_codes: Vec<&'static str>,
    /// Whether the role's record was not trusted, for the metrics.
    #[serde(skip)]
    pub untrusted_record: bool,
}

impl RoleOutcome {
    fn quiet(role: &str, status: &'static str) -> RoleOutcome {
        RoleOutcome {
            role: role.to_owned(),
            status,
            findings: Vec::new(),
            write_calls: 0,
            finding_codes: Vec::new(),
            untrusted_record: false,
        }
    }
}

/// A managed role as the guard sees it.
struct Guarded {
    live: LiveRole,
    /// The role's record, when it may be believed (sealed by the
    /// provisioner, for this role, with the digest the role is tagged with).
    record: Option<RoleRecord>,
    /// Why the stored record is not believed, when it is not.
    untrusted: Option<Untrusted>,
    desired: Result<DesiredState, String>,
    /// The quarantine that holds: the role's tags, or the sealed record's.
    quarantine: Option<Quarantine>,
    managed_policies: Vec<(String, Option<PolicyDocument>)>,
}

impl Guarded {
    fn mode(&self, config: &GuardConfig) -> RemediationMode {
        self.desired
            .as_ref()
            .ok()
            .and_then(|d| d.spec.remediation)
            .unwrap_or(config.default_remediation)
    }

    /// Every ExternalId this role's report could quote.
    fn secrets(&self) -> Secrets {
        let stored = self
            .record
            .as_ref()
            .and_then(|r| r.external_id().map(str::to_owned));
        let live = self.live.trust_policy.as_ref().and_then(external_id_of);
        Secrets::new(stored.into_iter().chain(live))
    }
}

enum Load {
    Gone,
    Unmanaged,
    Managed(Box<Guarded>),
}

/// Reads the role, its record and its attached policies. A role is managed
/// when its trusted record names it (tags can be removed by the tamper
/// being judged) or when it carries Rolegate's ownership tags. A record
/// that is not trusted never makes a role managed: anyone who can write a
/// parameter could otherwise point the guard at any role under the path.
async fn load(aws: &Clients, role: &str) -> Result<Load, AwsError> {
    let (live, stored) = tokio::join!(
        rolegate_aws::read_role(&aws.iam, role),
        rolegate_aws::get_stored_record(&aws.ssm, role)
    );
    let Some(live) = live? else {
        return Ok(Load::Gone);
    };
    let trusted = rolegate_aws::trust_stored(aws, stored?, &live).await?;
    let tagged = is_managed(&live.tags);
    let (record, untrusted) = match trusted {
        Ok(record) => (Some(record), None),
        Err(why) => {
            if !tagged {
                if !matches!(why, Untrusted::Missing { .. }) {
                    tracing::warn!(role, code = why.code(), reason = %why, "a record names a role without Rolegate's ownership tags; left alone");
                }
                return Ok(Load::Unmanaged);
            }
            tracing::error!(
                role,
                security_alarm = UNTRUSTED_RECORD_ALARM,
                code = why.code(),
                reason = %why,
                "role record not trusted; the guard will not restore from it"
            );
            (None, Some(why))
        }
    };
    let desired = match (&record, &untrusted) {
        (Some(r), _) => r.desired_state().map_err(|e| e.to_string()),
        (None, Some(why)) => Err(why.to_string()),
        (None, None) => Err(String::new()),
    };
    let quarantine = effective_quarantine(
        &live.tags,
        live.inline_policies.keys(),
        record.as_ref().and_then(|r| r.quarantine.as_ref()),
    );
    let managed_policies =
        rolegate_aws::managed_policy_documents(&aws.iam, role, &live.attached_policy_arns).await?;
    Ok(Load::Managed(Box::new(Guarded {
        live,
        record,
        untrusted,
        desired,
        quarantine,
        managed_policies,
    })))
}

/// The `security_alarm` log field of an untrusted record: the template's
/// metric filter counts it and an alarm fires on it.
pub const UNTRUSTED_RECORD_ALARM: &str = "RECORD_UNTRUSTED";

async fn load_managed(aws: &Clients, role: &str) -> Result<Guarded, EnforceError> {
    match load(aws, role).await? {
        Load::Managed(g) => Ok(*g),
        Load::Gone => Err(EnforceError::NoSuchRole {
            role: role.to_owned(),
        }),
        Load::Unmanaged => Err(EnforceError::NotManaged {
            role: role.to_owned(),
        }),
    }
}

/// Validates `role` and acts as its remediation mode says. `trigger`
/// describes what caused the check, for the report.
pub async fn check(
    aws: &Clients,
    config: &GuardConfig,
    role: &str,
    trigger: &str,
    unused_after_days: Option<u32>,
) -> Result<RoleOutcome, EnforceError> {
    let guarded = match load(aws, role).await? {
        Load::Gone => return Ok(RoleOutcome::quiet(role, "gone")),
        Load::Unmanaged => {
            tracing::info!(role, trigger, "not a Rolegate role; left alone");
            return Ok(RoleOutcome::quiet(role, "unmanaged"));
        }
        Load::Managed(g) => *g,
    };
    let now = rolegate_aws::now();
    let inspection = Inspection {
        live: &guarded.live,
        managed_policies: &guarded.managed_policies,
        desired: guarded.desired.as_ref().map_err(String::as_str),
        untrusted: guarded.untrusted.as_ref(),
        quarantine: guarded.quarantine.as_ref(),
        now: &now,
        unused_after_days,
    };
    // Act first, explain after: lint and the proof of the live role only
    // add to the report (see `drift`), and the repair should not wait.
    let mut assessment = drift::decide(&inspection);
    let mode = guarded.mode(config);
    let remedy = drift::remedy(&assessment, mode);
    let codes: Vec<&str> = assessment.findings.iter().map(DriftFinding::code).collect();
    tracing::info!(role, trigger, mode = mode.name(), findings = ?codes, remedy = ?remedy_name(&remedy), "role checked");

    let (status, write_calls) = match &remedy {
        Remedy::Nothing => return Ok(RoleOutcome::quiet(role, "clean")),
        Remedy::Report => ("reported", 0),
        Remedy::Restore => {
            // remedy() restores only with a known desired state.
            let Some(plan) = &assessment.restore else {
                return Err(EnforceError::NoDesiredState {
                    role: role.to_owned(),
                    reason: guarded.desired.err().unwrap_or_default(),
                });
            };
            let applied = rolegate_aws::apply(&aws.iam, plan).await?;
            ("restored", applied.write_calls)
        }
        Remedy::Quarantine { reason } => {
            let writes = impose_quarantine(aws, &guarded, reason, &now).await?;
            ("quarantined", writes)
        }
    };

    let explained = drift::explain(&inspection, &assessment);
    assessment.findings.extend(explained);
    let secrets = guarded.secrets();
    let detail = DriftDetected {
        role: report::role_report(aws, &guarded.live, trigger, write_calls).await?,
        judgement: report::judgement(mode, status, &assessment.findings),
    };
    report::emit(aws, config, report::DRIFT_DETECTED, &detail, &secrets).await?;
    if let Some(why) = &guarded.untrusted {
        let alarm = RecordUntrusted {
            drift: detail.clone(),
            code: why.code().to_owned(),
            reason: why.to_string(),
        };
        report::emit(aws, config, report::RECORD_UNTRUSTED, &alarm, &secrets).await?;
    }
    if let Remedy::Quarantine { reason } = &remedy {
        let revoked = AccessRevoked {
            role: detail.role,
            reason: reason.clone(),
            by: RevokedBy::Judgement(detail.judgement),
        };
        report::emit(aws, config, report::ACCESS_REVOKED, &revoked, &secrets).await?;
    }
    Ok(RoleOutcome {
        role: role.to_owned(),
        status,
        findings: drift::condensed(&assessment.findings, report::FINDINGS_PER_CODE)
            .into_iter()
            .map(|(_, message)| secrets.scrub(&message))
            .collect(),
        write_calls,
        finding_codes: assessment.findings.iter().map(DriftFinding::code).collect(),
        untrusted_record: guarded.untrusted.is_some(),
    })
}

/// Revokes the role's access now: the `Revoke Integration Access` command.
pub async fn revoke(
    aws: &Clients,
    config: &GuardConfig,
    role: &str,
    reason: &str,
    trigger: &str,
) -> Result<RoleOutcome, EnforceError> {
    let guarded = load_managed(aws, role).await?;
    let now = rolegate_aws::now();
    let writes = impose_quarantine(aws, &guarded, reason, &now).await?;
    let detail = AccessRevoked {
        role: report::role_report(aws, &guarded.live, trigger, writes).await?,
        reason: reason.to_owned(),
        by: RevokedBy::Command(RevokedSessions {
            revoked_sessions_issued_before: now.to_string(),
        }),
    };
    report::emit(
        aws,
        config,
        report::ACCESS_REVOKED,
        &detail,
        &guarded.secrets(),
    )
    .await?;
    Ok(RoleOutcome {
        role: role.to_owned(),
        status: "revoked",
        findings: Vec::new(),
        write_calls: writes,
        finding_codes: Vec::new(),
        untrusted_record: false,
    })
}

/// Lifts a quarantine and re-applies the desired state: the `Restore
/// Integration Access` command. Sessions issued before the revocation stay
/// revoked until they would have expired anyway.
pub async fn restore(
    aws: &Clients,
    config: &GuardConfig,
    role: &str,
    trigger: &str,
) -> Result<RoleOutcome, EnforceError> {
    let guarded = load_managed(aws, role).await?;
    // Access comes back only to what a trusted record says.
    let (Some(_), Ok(desired)) = (&guarded.record, &guarded.desired) else {
        let reason = guarded.desired.as_ref().err().cloned().unwrap_or_default();
        return Err(EnforceError::NoDesiredState {
            role: role.to_owned(),
            reason,
        });
    };
    let now = rolegate_aws::now();
    let lifted = quarantine::lift(guarded.quarantine.clone(), &now);
    let want = with_quarantine(desired.role.clone(), lifted.as_ref(), &now);
    let plan = diff(&guarded.live, &want).into_plan(role);
    let applied = rolegate_aws::apply(&aws.iam, &plan).await?;
    let since = lifted.as_ref().map(|q| q.since.clone());
    let detail = AccessRestored {
        role: report::role_report(aws, &guarded.live, trigger, applied.write_calls).await?,
        revoked_sessions_issued_before: since,
    };
    report::emit(
        aws,
        config,
        report::ACCESS_RESTORED,
        &detail,
        &guarded.secrets(),
    )
    .await?;
    Ok(RoleOutcome {
        role: role.to_owned(),
        status: "access-restored",
        findings: Vec::new(),
        write_calls: applied.write_calls,
        finding_codes: Vec::new(),
        untrusted_record: false,
    })
}

/// Puts the quarantine on the role: its policies, and its tags, which are
/// where a quarantine is kept (the guard cannot write role records). An
/// active quarantine stays as it is; a new one starts now.
async fn impose_quarantine(
    aws: &Clients,
    guarded: &Guarded,
    reason: &str,
    now: &Timestamp,
) -> Result<usize, AwsError> {
    let q = quarantine::impose(guarded.quarantine.as_ref(), reason, now);
    let plan = quarantine_plan(&guarded.live, &q, now);
    Ok(rolegate_aws::apply(&aws.iam, &plan).await?.write_calls)
}

fn remedy_name(remedy: &Remedy) -> &'static str {
    match remedy {
        Remedy::Nothing => "nothing",
        Remedy::Report => "report",
        Remedy::Restore => "restore",
        Remedy::Quarantine { .. } => "quarantine",
    }
}
