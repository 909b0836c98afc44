//! A registry record as the store holds it: a flat map of named
//! attributes, each a string or a number (DynamoDB's `S` and `N`). The
//! shell converts the SDK's `AttributeValue` to and from [`Attr`], so the
//! reading and its errors stay here, pure and tested.
//!
//! Attributes: `pk` (`account#<id>`), `sk` (`role#<role ARN>`), `RoleArn`,
//! `Account`, `ExternalId`, `SenderAccount`?, `VendorTenantId`?,
//! `FirstSeen`, `LastValidated`?, `LastOutcome`? (`Validated` or
//! `Rejected`), `FailedCheck`?, `Reason`?, `FailingSince`?,
//! `ConsecutiveFailures` (N), `Version` (N). Timestamps are RFC 3339.

use std::collections::BTreeMap;

use crate::events::validation::Check;
use crate::limits::check_external_id;
use crate::time::Timestamp;

use super::err::RegistryError;
use super::{Key, Outcome, Record};

/// One attribute's value. `Other` is any type Rolegate never writes,
/// named by its DynamoDB type code so an error can say what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    S(String),
    N(String),
    Other(&'static str),
}

pub type Item = BTreeMap<String, Attr>;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const VERSION: &str = "Version";

fn found(attr: &Attr) -> &'static str {
    match attr {
        Attr::S(_) => "a string",
        Attr::N(_) => "a number",
        Attr::Other(t) => t,
    }
}

fn string<'a>(item: &'a Item, field: &'static str) -> Result<Option<&'a str>, RegistryError> {
    match item.get(field) {
        None => Ok(None),
        Some(Attr::S(s)) => Ok(Some(s)),
        Some(other) => Err(RegistryError::WrongType {
            field,
            expected: "a string",
            found: found(other),
        }),
    }
}

fn required<'a>(item: &'a Item, field: &'static str) -> Result<&'a str, RegistryError> {
    string(item, field)?.ok_or(RegistryError::MissingField { field })
}

fn number(item: &Item, field: &'static str) -> Result<u64, RegistryError> {
    match item.get(field) {
        None => Err(RegistryError::MissingField { field }),
        Some(Attr::N(n)) => n.parse().map_err(|_| RegistryError::InvalidField {
            field,
            rule: "must be a whole number from 0".into(),
        }),
        Some(other) => Err(RegistryError::WrongType {
            field,
            expected: "a number",
            found: found(other),
        }),
    }
}

fn timestamp(item: &Item, field: &'static str) -> Result<Option<Timestamp>, RegistryError> {
    string(item, field)?
        .map(|t| {
            Timestamp::parse(t).ok_or(RegistryError::InvalidField {
                field,
                rule: "must be an RFC 3339 timestamp".into(),
            })
        })
        .transpose()
}

fn check(name: &str) -> Result<Check, RegistryError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|_| {
        RegistryError::InvalidField {
            field: "FailedCheck",
            rule: format!("{name:?} is not a check the validator runs"),
        }
    })
}

fn check_name(check: Check) -> String {
    match serde_json::to_value(check) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{check:?}"),
    }
}

impl Record {
    /// Reads a stored record; the first unreadable field is the error.
    /// Its key must agree with its role: a record under another account's
    /// key was not written by the validator and is never validated.
    pub fn from_item(item: &Item) -> Result<Record, RegistryError> {
        let role_arn = required(item, "RoleArn")?;
        let key = Key::of_role_arn(role_arn).map_err(|rule| RegistryError::InvalidField {
            field: "RoleArn",
            rule,
        })?;
        if required(item, PK)? != key.pk() {
            return Err(RegistryError::KeyMismatch {
                field: PK,
                rule: format!("the role is in account {}", key.account),
            });
        }
        if required(item, SK)? != key.sk() {
            return Err(RegistryError::KeyMismatch {
                field: SK,
                rule: "the sort key names another role".into(),
            });
        }
        if required(item, "Account")? != key.account {
            return Err(RegistryError::KeyMismatch {
                field: "Account",
                rule: format!("the role is in account {}", key.account),
            });
        }
        let external_id = required(item, "ExternalId")?;
        check_external_id(external_id).map_err(|v| RegistryError::InvalidField {
            field: "ExternalId",
            rule: v.to_string(),
        })?;
        let sender_account = string(item, "SenderAccount")?.map(str::to_owned);
        if let Some(sender) = &sender_account
            && sender != &key.account
        {
            return Err(RegistryError::KeyMismatch {
                field: "SenderAccount",
                rule: format!(
                    "a registration is bound to the role's account {}",
                    key.account
                ),
            });
        }
        let first_seen = timestamp(item, "FirstSeen")?
            .ok_or(RegistryError::MissingField { field: "FirstSeen" })?;
        let last_validated = timestamp(item, "LastValidated")?;
        let last_outcome = match string(item, "LastOutcome")? {
            None => None,
            Some("Validated") => Some(Outcome::Validated),
            Some("Rejected") => Some(Outcome::Rejected {
                failed_check: string(item, "FailedCheck")?.map(check).transpose()?,
                reason: string(item, "Reason")?.unwrap_or_default().to_owned(),
            }),
            Some(_) => {
                return Err(RegistryError::InvalidField {
                    field: "LastOutcome",
                    rule: "must be Validated or Rejected".into(),
                });
            }
        };
        if last_outcome.is_some() != last_validated.is_some() {
            return Err(RegistryError::InvalidField {
                field: "LastValidated",
                rule: "is set exactly when LastOutcome is".into(),
            });
        }
        let consecutive_failures = number(item, "ConsecutiveFailures")?;
        let consecutive_failures =
            u32::try_from(consecutive_failures).map_err(|_| RegistryError::InvalidField {
                field: "ConsecutiveFailures",
                rule: "must be at most 4294967295".into(),
            })?;
        Ok(Record {
            key,
            external_id: external_id.to_owned(),
            sender_account,
            vendor_tenant_id: string(item, "VendorTenantId")?.map(str::to_owned),
            first_seen,
            last_validated,
            last_outcome,
            failing_since: timestamp(item, "FailingSince")?,
            consecutive_failures,
            version: number(item, VERSION)?,
        })
    }

    /// The record as stored.
    pub fn to_item(&self) -> Item {
        let mut item = Item::new();
        let mut put = |name: &str, value: Attr| {
            item.insert(name.to_owned(), value);
        };
        put(PK, Attr::S(self.key.pk()));
        put(SK, Attr::S(self.key.sk()));
        put("RoleArn", Attr::S(self.key.role_arn.clone()));
        put("Account", Attr::S(self.key.account.clone()));
        put("ExternalId", Attr::S(self.external_id.clone()));
        if let Some(s) = &self.sender_account {
            put("SenderAccount", Attr::S(s.clone()));
        }
        if let Some(t) = &self.vendor_tenant_id {
            put("VendorTenantId", Attr::S(t.clone()));
        }
        put("FirstSeen", Attr::S(self.first_seen.to_string()));
        if let Some(t) = &self.last_validated {
            put("LastValidated", Attr::S(t.to_string()));
        }
        match &self.last_outcome {
            None => {}
            Some(Outcome::Validated) => put("LastOutcome", Attr::S("Validated".into())),
            Some(Outcome::Rejected {
                failed_check,
                reason,
            }) => {
                put("LastOutcome", Attr::S("Rejected".into()));
                if let Some(c) = failed_check {
                    put("FailedCheck", Attr::S(check_name(*c)));
                }
                put("Reason", Attr::S(reason.clone()));
            }
        }
        if let Some(t) = &self.failing_since {
            put("FailingSince", Attr::S(t.to_string()));
        }
        put(
            "ConsecutiveFailures",
            Attr::N(self.consecutive_failures.to_string()),
        );
        put(VERSION, Attr::N(self.version.to_string()));
        item
    }
}
