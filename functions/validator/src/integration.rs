//! What the validator checks: one integration role and its ExternalId,
//! read from an `Integration Role Ready` event, a command or the store.
//! Pure: every bad input becomes a reason naming the field.

use std::fmt;

use rolegate_policy::Arn;
use rolegate_policy::limits::check_external_id;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A customer's integration role as the vendor knows it. Debug hides the
/// ExternalId: it is a shared secret and must never reach a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Integration {
    pub role_arn: String,
    pub external_id: String,
}

impl fmt::Debug for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Integration")
            .field("role_arn", &self.role_arn)
            .field("external_id", &"[redacted]")
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

/// Reads `RoleArn` and `ExternalId` from an event detail. `ExternalId` may
/// come from `stored` when the detail leaves it out (a command).
pub fn from_detail(detail: &Value, stored: Option<&str>) -> Result<Integration, String> {
    let Some(detail) = detail.as_object() else {
        return Err("detail: must be an object with RoleArn and ExternalId".into());
    };
    let text = |key: &str| match detail.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(format!("detail.{key}: must be a non-empty string")),
    };
    let role_arn = text("RoleArn")?.ok_or("detail.RoleArn: is required")?;
    let target = role_target(&role_arn, "detail.RoleArn")?;
    if let Some(account) = text("Account")?
        && account != target.account
    {
        return Err(format!(
            "detail.Account: {account} is not the account of RoleArn ({})",
            target.account
        ));
    }
    let external_id = match text("ExternalId")? {
        Some(id) => id,
        None => stored.map(str::to_owned).ok_or(
            "detail.ExternalId: is required (none is in the event and none is stored for this role); without it the role cannot be validated",
        )?,
    };
    check_external_id(&external_id).map_err(|v| format!("detail.ExternalId: {v}"))?;
    Ok(Integration {
        role_arn,
        external_id,
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
