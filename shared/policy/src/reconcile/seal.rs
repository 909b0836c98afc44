//! The role record's seal: why the guard may believe a stored record.
//!
//! The guard restores a role to what its record says, with IAM write power
//! the record's writer may not have. An unauthenticated record would let
//! anyone who can write one SSM parameter choose what the guard "restores".
//! So the provisioner seals every record it writes with an HMAC from a KMS
//! key whose key policy lets only the provisioner generate MACs, and the
//! guard acts only on a record that is sealed, verifies, names the role it
//! is stored for, and carries the digest the role itself is tagged with.
//!
//! The stored value is [`SealedRecord`]: the record's JSON kept as the exact
//! text that was sealed (so no canonical form is needed), and the MAC. KMS
//! MACs at most 4,096 bytes, so the MAC covers [`mac_message`]: a context
//! string, the role ARN and the SHA-256 of the body. The key that verifies
//! is the function's configured key, never the `KeyId` a record names.
//!
//! This module decides; `rolegate-aws` calls KMS and SSM.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::record::RoleRecord;
use crate::canonical::sha256_hex;
use crate::tags;

/// Domain separation: a MAC over anything else Rolegate might ever seal
/// with the same key cannot pass for a record's.
pub const MAC_CONTEXT: &str = "rolegate-role-record-v1";

/// A record as it is stored: the sealed body and its MAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SealedRecord {
    /// The record's JSON, exactly the text that was sealed.
    pub body: String,
    /// The key that sealed it, for operators; verification ignores it.
    pub key_id: String,
    /// The HMAC of [`mac_message`], as lowercase hex.
    pub mac: String,
}

impl SealedRecord {
    /// The body to seal for `record`.
    pub fn body_of(record: &RoleRecord) -> Result<String, serde_json::Error> {
        serde_json::to_string(record)
    }

    /// What the MAC of this stored record covers.
    pub fn message(&self) -> Result<Vec<u8>, Untrusted> {
        let record = self.record()?;
        Ok(mac_message(&record.role_arn, &self.body))
    }

    /// The record inside, whether or not it verifies.
    pub fn record(&self) -> Result<RoleRecord, Untrusted> {
        serde_json::from_str(&self.body).map_err(|e| Untrusted::Unreadable {
            reason: format!("Body: {e}"),
        })
    }

    /// The MAC's bytes; `None` when it is not hex.
    pub fn mac_bytes(&self) -> Option<Vec<u8>> {
        from_hex(&self.mac)
    }
}

/// `MAC_CONTEXT \n role ARN \n sha256(body)`: what a record's MAC covers.
pub fn mac_message(role_arn: &str, body: &str) -> Vec<u8> {
    format!("{MAC_CONTEXT}\n{role_arn}\n{}", sha256_hex(body.as_bytes())).into_bytes()
}

/// A stored parameter's value, read without trusting it.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredValue {
    Sealed(SealedRecord),
    /// A record written before records were sealed: readable, never trusted.
    Unsealed(RoleRecord),
    Unreadable(String),
}

impl StoredValue {
    pub fn parse(value: &str) -> StoredValue {
        if let Ok(sealed) = serde_json::from_str::<SealedRecord>(value) {
            return StoredValue::Sealed(sealed);
        }
        match serde_json::from_str::<RoleRecord>(value) {
            Ok(record) => StoredValue::Unsealed(record),
            Err(e) => StoredValue::Unreadable(e.to_string()),
        }
    }

    /// The record it holds, trusted or not: for bookkeeping that cannot be
    /// abused (finding the roles a stack resource owns, which their
    /// ownership tags then confirm), never for deciding what a role allows.
    pub fn untrusted_record(&self) -> Option<RoleRecord> {
        match self {
            StoredValue::Sealed(sealed) => sealed.record().ok(),
            StoredValue::Unsealed(record) => Some(record.clone()),
            StoredValue::Unreadable(_) => None,
        }
    }
}

/// Why a stored record is not believed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Untrusted {
    #[error("no role record at {parameter}")]
    Missing { parameter: String },
    #[error("the role record is unreadable: {reason}")]
    Unreadable { reason: String },
    #[error(
        "the role record is not sealed (written before records were sealed, or by something other than the provisioner); the next stack Update re-seals it"
    )]
    Unsealed,
    #[error(
        "the role record's seal does not verify with the record key: it was not written by the provisioner"
    )]
    BadSeal,
    #[error("the role record names {record_arn}, not this role ({live_arn})")]
    WrongRole {
        record_arn: String,
        live_arn: String,
    },
    #[error(
        "the role record's PolicyDigest {record} is not the {} tag {tagged} of the role: an older record replayed, or an update that did not finish",
        tags::SPEC_DIGEST
    )]
    StaleDigest { record: String, tagged: String },
}

impl Untrusted {
    /// A stable code for reports, logs and the alarm's metric filter.
    pub fn code(&self) -> &'static str {
        match self {
            Untrusted::Missing { .. } => "RECORD_MISSING",
            Untrusted::Unreadable { .. } => "RECORD_UNREADABLE",
            Untrusted::Unsealed => "RECORD_UNSEALED",
            Untrusted::BadSeal => "RECORD_BAD_SEAL",
            Untrusted::WrongRole { .. } => "RECORD_WRONG_ROLE",
            Untrusted::StaleDigest { .. } => "RECORD_STALE_DIGEST",
        }
    }
}

/// The record the guard may act on, given what KMS said of its seal
/// (`seal_verified`) and the role it is stored for.
pub fn trust(
    stored: &StoredValue,
    seal_verified: bool,
    live_arn: &str,
    live_tags: &BTreeMap<String, String>,
) -> Result<RoleRecord, Untrusted> {
    let sealed = match stored {
        StoredValue::Sealed(sealed) => sealed,
        StoredValue::Unsealed(_) => return Err(Untrusted::Unsealed),
        StoredValue::Unreadable(reason) => {
            return Err(Untrusted::Unreadable {
                reason: reason.clone(),
            });
        }
    };
    let record = sealed.record()?;
    if !seal_verified {
        return Err(Untrusted::BadSeal);
    }
    if record.role_arn != live_arn {
        return Err(Untrusted::WrongRole {
            record_arn: record.role_arn,
            live_arn: live_arn.to_owned(),
        });
    }
    // The tag is written by the same provisioner run, through IAM, which a
    // writer of SSM parameters cannot reach. Without the tag (removed by an
    // IAM tamper the guard is about to repair) the seal alone decides.
    if let Some(tagged) = live_tags.get(tags::SPEC_DIGEST)
        && *tagged != record.policy_digest
    {
        return Err(Untrusted::StaleDigest {
            record: record.policy_digest,
            tagged: tagged.clone(),
        });
    }
    Ok(record)
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:iam::123456789012:role/integrations/vendor";

    fn record() -> RoleRecord {
        RoleRecord {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            logical_resource_id: "Role".into(),
            role_arn: ARN.into(),
            role_name: "vendor".into(),
            policy_digest: "d1".into(),
            properties: json!({"RoleName": "vendor"}),
            quarantine: None,
        }
    }

    fn sealed(record: &RoleRecord) -> StoredValue {
        let body = SealedRecord::body_of(record).unwrap_or_default();
        StoredValue::Sealed(SealedRecord {
            body,
            key_id: "k".into(),
            mac: "00".into(),
        })
    }

    fn tags(digest: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(tags::SPEC_DIGEST.to_owned(), digest.to_owned())])
    }

    #[test]
    fn a_verified_record_for_this_role_with_its_tagged_digest_is_trusted() {
        assert_eq!(
            trust(&sealed(&record()), true, ARN, &tags("d1")),
            Ok(record())
        );
        assert_eq!(
            trust(&sealed(&record()), true, ARN, &BTreeMap::new()),
            Ok(record())
        );
    }

    #[test]
    fn a_record_whose_seal_does_not_verify_is_not_trusted() {
        let e = trust(&sealed(&record()), false, ARN, &tags("d1")).unwrap_err();
        assert_eq!(e.code(), "RECORD_BAD_SEAL");
    }

    #[test]
    fn an_unsealed_record_is_never_trusted() {
        let plain = serde_json::to_string(&record()).unwrap_or_default();
        let stored = StoredValue::parse(&plain);
        assert!(matches!(stored, StoredValue::Unsealed(_)));
        assert_eq!(stored.untrusted_record(), Some(record()));
        let e = trust(&stored, true, ARN, &tags("d1")).unwrap_err();
        assert_eq!(e.code(), "RECORD_UNSEALED");
    }

    #[test]
    fn another_roles_sealed_record_copied_here_is_not_trusted() {
        let e = trust(
            &sealed(&record()),
            true,
            "arn:aws:iam::123456789012:role/integrations/other",
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "RECORD_WRONG_ROLE");
    }

    #[test]
    fn an_older_sealed_record_replayed_is_not_trusted() {
        let e = trust(&sealed(&record()), true, ARN, &tags("d2")).unwrap_err();
        assert_eq!(e.code(), "RECORD_STALE_DIGEST");
    }

    #[test]
    fn the_mac_covers_the_role_and_every_byte_of_the_body() {
        let body = SealedRecord::body_of(&record()).unwrap_or_default();
        let m = mac_message(ARN, &body);
        assert_ne!(m, mac_message("arn:aws:iam::1:role/x", &body));
        assert_ne!(m, mac_message(ARN, &body.replace("vendor", "vendos")));
        assert!(m.len() < 4096, "KMS MACs at most 4,096 bytes");
    }

    #[test]
    fn hex_round_trips_and_refuses_non_hex() {
        assert_eq!(from_hex(&to_hex(&[0, 15, 255])), Some(vec![0, 15, 255]));
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("é0"), None);
    }
}
