//! What the validator checks: one integration role and its ExternalId,
//! read from an `Integration Role Ready` event, a command or the store.
//! Pure: every bad input becomes a reason naming the field.
//!
//! A registration (a Ready event) is bound to its sender: the envelope's
//! `account`, which EventBridge sets and no sender can forge, must be the
//! account of the role it names and the account its detail claims. So a
//! customer allowed on the vendor bus can register only its own roles, and
//! can never register, or overwrite, another customer's.

use std::fmt;

use rolegate_policy::Arn;
use rolegate_policy::events::{IntegrationRoleReady, IntegrationRoleRemoved, ValidateIntegration};
use rolegate_policy::limits::check_external_id;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::checks::Check;

/// A customer's integration role as the vendor knows it. Debug hides the
/// ExternalId: it is a shared secret and must never reach a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Integration {
    pub role_arn: String,
    pub external_id: String,
    /// The account that registered it: its Ready event's envelope
    /// `account`. `None` for an integration stored before registrations
    /// were bound to their sender, or named by a command alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_account: Option<String>,
    /// The vendor's tenant reference from the spec (`VendorTenantId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_tenant_id: Option<String>,
}

impl fmt::Debug for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Integration")
            .field("role_arn", &self.role_arn)
            .field("external_id", &"[redacted]")
            .field("sender_account", &self.sender_account)
            .field("vendor_tenant_id", &self.vendor_tenant_id)
            .finish()
    }
}

/// The role's name and account, from its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTarget {
    pub arn: String,
    pub partition: String,
    pub account: String,
    pub name: String,
}

impl Integration {
    pub fn target(&self) -> Result<RoleTarget, String> {
        role_target(&self.role_arn, "RoleArn")
    }
}

pub fn role_target(arn: &str, field: &str) -> Result<RoleTarget, String> {
    let parsed = Arn::parse(arn).map_err(|e| format!("{field}: {arn:?} is not an ARN ({e})"))?;
    let Some((_, name)) = parsed.iam_role_path_and_name() else {
        return Err(format!("{field}: {arn:?} is not an IAM role ARN"));
    };
    if parsed.account().len() != 12 || !parsed.account().bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{field}: {arn:?} has no 12-digit account id"));
    }
    Ok(RoleTarget {
        arn: arn.to_owned(),
        partition: parsed.partition_str().to_owned(),
        account: parsed.account().to_owned(),
        name: name.to_owned(),
    })
}

/// A registration whose sender is not the account it registers for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SenderMismatch {
    #[error(
        "account: the event has no envelope account, so it did not come through EventBridge and cannot be bound to a sender"
    )]
    Unknown,
    #[error(
        "account: the event was sent by account {sender}, but detail.RoleArn names a role in account {role_account}; an account may register only its own roles"
    )]
    RoleOfAnotherAccount {
        sender: String,
        role_account: String,
    },
    #[error(
        "detail.Account: {claimed} is not the sending account {sender} (the envelope's account, which EventBridge sets)"
    )]
    ClaimedAccount { claimed: String, sender: String },
}

impl SenderMismatch {
    /// A stable code for logs, metrics and alarms.
    pub fn code(&self) -> &'static str {
        match self {
            SenderMismatch::Unknown => "REGISTRATION_SENDER_UNKNOWN",
            SenderMismatch::RoleOfAnotherAccount { .. } | SenderMismatch::ClaimedAccount { .. } => {
                "REGISTRATION_ACCOUNT_MISMATCH"
            }
        }
    }

    /// The check it fails, named in the outcome event.
    pub fn check(&self) -> Check {
        Check::SenderAccount
    }
}

/// Why a Ready event registers nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// The detail cannot be read as an integration.
    #[error("{0}")]
    Invalid(String),
    /// The registration is not bound to its sender: nothing is stored and
    /// the role is never assumed.
    #[error(transparent)]
    Sender(#[from] SenderMismatch),
}

/// The sender binding: `sender` (the envelope account) must be the role's
/// account and the account the detail claims.
pub fn bind_sender(
    sender: Option<&str>,
    target: &RoleTarget,
    claimed: &str,
) -> Result<String, SenderMismatch> {
    let sender = sender.ok_or(SenderMismatch::Unknown)?;
    if sender != target.account {
        return Err(SenderMismatch::RoleOfAnotherAccount {
            sender: sender.to_owned(),
            role_account: target.account.clone(),
        });
    }
    if claimed != sender {
        return Err(SenderMismatch::ClaimedAccount {
            claimed: claimed.to_owned(),
            sender: sender.to_owned(),
        });
    }
    Ok(sender.to_owned())
}

/// The refusal of a Ready or Removed event whose detail does not read. A
/// malformed event about another account's role is still an attempt on
/// that role: it is refused, and alarmed, as one (the sender's binding is
/// checked first); else it is refused as invalid.
fn malformed(sender: Option<&str>, detail: &Value, error: String) -> Refusal {
    let target = detail
        .get("RoleArn")
        .and_then(Value::as_str)
        .and_then(|arn| role_target(arn, "detail.RoleArn").ok());
    if let Some(target) = target
        && let Err(refusal) = bind_sender(sender, &target, &target.account)
    {
        return Refusal::Sender(refusal);
    }
    Refusal::Invalid(error)
}

/// Reads the integration an `Integration Role Ready` event registers,
/// bound to `sender`, the event's envelope account.
pub fn from_ready(sender: Option<&str>, detail: &Value) -> Result<Integration, Refusal> {
    let ready = match IntegrationRoleReady::from_detail(detail) {
        Ok(ready) => ready,
        Err(e) => return Err(malformed(sender, detail, e.to_string())),
    };
    let target = role_target(&ready.role_arn, "detail.RoleArn").map_err(Refusal::Invalid)?;
    let sender = bind_sender(sender, &target, &ready.account)?;
    let external_id = ready.external_id.ok_or_else(|| {
        Refusal::Invalid(
            "detail.ExternalId: is required; without it the role cannot be validated".into(),
        )
    })?;
    check_external_id(&external_id)
        .map_err(|v| Refusal::Invalid(format!("detail.ExternalId: {v}")))?;
    Ok(Integration {
        role_arn: ready.role_arn,
        external_id,
        sender_account: Some(sender),
        vendor_tenant_id: ready.vendor_tenant_id,
    })
}

/// Reads the role an `Integration Role Removed` event names, bound to
/// `sender` as a registration is: only the role's own account, claiming
/// itself, may remove it. Returns the role ARN and the bound sender.
pub fn from_removed(sender: Option<&str>, detail: &Value) -> Result<(String, String), Refusal> {
    let removed = match IntegrationRoleRemoved::from_detail(detail) {
        Ok(removed) => removed,
        Err(e) => return Err(malformed(sender, detail, e.to_string())),
    };
    let target = role_target(&removed.role_arn, "detail.RoleArn").map_err(Refusal::Invalid)?;
    let sender = bind_sender(sender, &target, &removed.account)?;
    Ok((removed.role_arn, sender))
}

/// Reads the integration a `Validate Integration Role` command names.
/// `ExternalId` may come from `stored` when the detail leaves it out; the
/// stored sender and tenant are kept when `stored` is this role's.
pub fn from_command(detail: &Value, stored: Option<&Integration>) -> Result<Integration, String> {
    let command = ValidateIntegration::from_detail(detail).map_err(|e| e.to_string())?;
    let role_arn = command.role_arn;
    let target = role_target(&role_arn, "detail.RoleArn")?;
    if let Some(account) = command.account
        && account != target.account
    {
        return Err(format!(
            "detail.Account: {account} is not the account of RoleArn ({})",
            target.account
        ));
    }
    let stored = stored.filter(|s| s.role_arn == role_arn);
    let external_id = match command.external_id {
        Some(id) => id,
        None => stored.map(|s| s.external_id.clone()).ok_or(
            "detail.ExternalId: is required (none is in the event and none is stored for this role); without it the role cannot be validated",
        )?,
    };
    check_external_id(&external_id).map_err(|v| format!("detail.ExternalId: {v}"))?;
    Ok(Integration {
        role_arn,
        external_id,
        sender_account: stored.and_then(|s| s.sender_account.clone()),
        vendor_tenant_id: stored.and_then(|s| s.vendor_tenant_id.clone()),
    })
}

/// An ExternalId that is certainly not `real`, for the negative check.
pub fn wrong_external_id(real: &str) -> String {
    let wrong = "rolegate-validator-wrong-external-id";
    if real == wrong {
        format!("{wrong}-2")
    } else {
        wrong.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "123456789012";
    const B: &str = "999988887777";
    const ROLE_IN_A: &str = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";

    fn detail(role_arn: &str, account: &str) -> Value {
        json!({"RoleArn": role_arn, "RoleName": "atmosphere-s3", "ExternalId": "the-real-external-id-1234",
               "Account": account, "Region": "us-east-1", "PolicyDigest": "ab",
               "Grants": [{"Service": "s3", "Resource": "s3://atmosphere-exports"}],
               "VendorTenantId": "tenant-42"})
    }

    #[test]
    fn a_registration_from_the_roles_own_account_is_bound_to_it() {
        let got = from_ready(Some(A), &detail(ROLE_IN_A, A));
        let Ok(integration) = got else {
            panic!("{got:?}");
        };
        assert_eq!(integration.sender_account.as_deref(), Some(A));
        assert_eq!(integration.vendor_tenant_id.as_deref(), Some("tenant-42"));
        assert_eq!(integration.external_id, "the-real-external-id-1234");
    }

    #[test]
    fn a_registration_for_a_role_in_another_account_is_refused_as_a_sender_mismatch() {
        // Account B names A's role, and claims to be A in the detail too.
        for claimed in [A, B] {
            let got = from_ready(Some(B), &detail(ROLE_IN_A, claimed));
            let Err(Refusal::Sender(mismatch)) = got else {
                panic!("{claimed}: {got:?}");
            };
            assert_eq!(mismatch.code(), "REGISTRATION_ACCOUNT_MISMATCH");
            assert_eq!(mismatch.check(), Check::SenderAccount);
            let message = mismatch.to_string();
            assert!(message.starts_with("account: "), "{message}");
            assert!(message.contains(B) && message.contains(A), "{message}");
        }
    }

    #[test]
    fn a_detail_account_other_than_the_sender_is_refused_as_a_sender_mismatch() {
        let got = from_ready(Some(A), &detail(ROLE_IN_A, B));
        let Err(Refusal::Sender(mismatch)) = got else {
            panic!("{got:?}");
        };
        assert_eq!(mismatch.code(), "REGISTRATION_ACCOUNT_MISMATCH");
        assert!(mismatch.to_string().starts_with("detail.Account: "));
    }

    #[test]
    fn a_malformed_registration_of_another_accounts_role_is_still_a_sender_mismatch() {
        let mut bad = detail(ROLE_IN_A, A);
        bad["Grants"] = json!("everything");
        let got = from_ready(Some(B), &bad);
        assert!(
            matches!(&got, Err(Refusal::Sender(m)) if m.code() == "REGISTRATION_ACCOUNT_MISMATCH"),
            "{got:?}"
        );
        let got = from_ready(Some(A), &bad);
        assert!(
            matches!(&got, Err(Refusal::Invalid(r)) if r.starts_with("detail.Grants")),
            "{got:?}"
        );
    }

    #[test]
    fn a_registration_without_an_envelope_account_is_refused() {
        let got = from_ready(None, &detail(ROLE_IN_A, A));
        assert_eq!(got, Err(Refusal::Sender(SenderMismatch::Unknown)));
        assert_eq!(
            SenderMismatch::Unknown.code(),
            "REGISTRATION_SENDER_UNKNOWN"
        );
    }

    #[test]
    fn a_bad_ready_detail_from_the_roles_account_is_invalid_naming_the_field() {
        let mut bad = detail(ROLE_IN_A, A);
        bad["VendorTenantId"] = json!("acme corp");
        let got = from_ready(Some(A), &bad);
        assert!(
            matches!(&got, Err(Refusal::Invalid(r)) if r.starts_with("detail.VendorTenantId")),
            "{got:?}"
        );
        bad = detail(ROLE_IN_A, A);
        bad["ExternalId"] = Value::Null;
        let got = from_ready(Some(A), &bad);
        assert!(
            matches!(&got, Err(Refusal::Invalid(r)) if r.starts_with("detail.ExternalId: is required")),
            "{got:?}"
        );
    }

    #[test]
    fn a_command_takes_the_external_id_sender_and_tenant_of_the_stored_integration() {
        let stored = Integration {
            role_arn: ROLE_IN_A.into(),
            external_id: "the-real-external-id-1234".into(),
            sender_account: Some(A.into()),
            vendor_tenant_id: Some("tenant-42".into()),
        };
        let command = json!({"RoleArn": ROLE_IN_A});
        assert_eq!(from_command(&command, Some(&stored)), Ok(stored.clone()));
        let other = Integration {
            role_arn: "arn:aws:iam::123456789012:role/integrations/other".into(),
            ..stored
        };
        assert!(
            from_command(&command, Some(&other))
                .is_err_and(|e| e.starts_with("detail.ExternalId: is required"))
        );
    }

    #[test]
    fn an_integration_stored_before_sender_binding_still_reads() {
        let old = r#"{"RoleArn": "arn:aws:iam::123456789012:role/integrations/x", "ExternalId": "abcdef123456"}"#;
        let got = serde_json::from_str::<Integration>(old);
        assert!(got.is_ok_and(|i| i.sender_account.is_none() && i.vendor_tenant_id.is_none()));
    }
}
