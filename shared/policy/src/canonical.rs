//! Canonical form and digest of a policy document.
//!
//! Two documents that IAM evaluates identically but spell differently
//! (statement order, duplicate entries, `"x"` versus `["x"]`, action case,
//! a bare account id versus its root ARN, `true` versus `"true"`) have the
//! same canonical form and so the same digest. The guard relies on this to
//! tell drift from reformatting: IAM itself rewrites trust policies it stores.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::arn::is_account_id;
use crate::document::{
    ConditionBlock, ConditionValue, OneOrMany, Polarity, PolicyDocument, Principal, PrincipalType,
    Statement,
};

impl PolicyDocument {
    /// The semantic normal form: labels (`Id`, `Sid`) dropped, every list
    /// sorted and deduplicated, statements sorted and deduplicated.
    /// Idempotent: `p.canonical().canonical() == p.canonical()`.
    pub fn canonical(&self) -> PolicyDocument {
        let mut statements: Vec<Statement> =
            self.statements().iter().map(canonical_statement).collect();
        // Sort by the canonical JSON: a total order that ignores nothing.
        let mut keyed: Vec<(String, Statement)> = statements
            .drain(..)
            .map(|s| (serde_json::to_string(&s).unwrap_or_default(), s))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        PolicyDocument {
            version: self.version.clone(),
            id: None,
            statement: OneOrMany::Many(keyed.into_iter().map(|(_, s)| s).collect()),
        }
    }

    /// SHA-256 of the canonical form's compact JSON, as 64 lowercase hex digits.
    pub fn digest(&self) -> String {
        sha256_hex(self.canonical().to_json().as_bytes())
    }

    /// True when both documents have the same canonical form.
    pub fn equivalent(&self, other: &PolicyDocument) -> bool {
        self.canonical() == other.canonical()
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in hash.iter() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn canonical_statement(s: &Statement) -> Statement {
    Statement {
        sid: None,
        effect: s.effect,
        principal: s.principal.as_ref().map(|p| match p {
            Polarity::Is(p) => Polarity::Is(canonical_principal(p)),
            Polarity::Not(p) => Polarity::Not(canonical_principal(p)),
        }),
        // Action names are case-insensitive in IAM.
        action: map_polarity(&s.action, |a| {
            sorted(a.iter().map(|x| x.to_ascii_lowercase()))
        }),
        resource: s
            .resource
            .as_ref()
            .map(|r| map_polarity(r, |r| sorted(r.iter().cloned()))),
        condition: s.condition.as_ref().and_then(canonical_condition),
    }
}

fn map_polarity<T>(
    p: &Polarity<OneOrMany<T>>,
    f: impl Fn(&OneOrMany<T>) -> OneOrMany<T>,
) -> Polarity<OneOrMany<T>> {
    match p {
        Polarity::Is(v) => Polarity::Is(f(v)),
        Polarity::Not(v) => Polarity::Not(f(v)),
    }
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> OneOrMany<T> {
    let mut v: Vec<T> = items.collect();
    v.sort();
    v.dedup();
    OneOrMany::Many(v)
}

fn canonical_principal(p: &Principal) -> Principal {
    match p {
        Principal::Any => Principal::Any,
        Principal::Typed(map) => Principal::Typed(
            map.iter()
                .map(|(t, vs)| {
                    let values = vs.iter().map(|v| {
                        if *t == PrincipalType::Aws && is_account_id(v) {
                            // IAM stores a bare account id as its root ARN.
                            format!("arn:aws:iam::{v}:root")
                        } else {
                            v.clone()
                        }
                    });
                    (*t, sorted(values))
                })
                .collect(),
        ),
    }
}

fn canonical_condition(block: &ConditionBlock) -> Option<ConditionBlock> {
    let mut out: ConditionBlock = BTreeMap::new();
    for (op, keys) in block {
        // Condition key names are case-insensitive; lower-case them unless two
        // keys would collide, which would change the meaning (AND vs one key).
        let lowered: Vec<String> = keys.keys().map(|k| k.to_ascii_lowercase()).collect();
        let mut unique = lowered.clone();
        unique.sort();
        unique.dedup();
        let lower_keys = unique.len() == lowered.len();
        let mut key_map = BTreeMap::new();
        for ((key, values), low) in keys.iter().zip(lowered) {
            let values = sorted(
                values
                    .iter()
                    .map(|v| ConditionValue::String(v.as_iam_string().into_owned()))
                    .map(CanonicalValue),
            );
            let values = OneOrMany::Many(values.iter().map(|v| v.0.clone()).collect());
            key_map.insert(if lower_keys { low } else { key.clone() }, values);
        }
        // An operator with no keys constrains nothing.
        if !key_map.is_empty() {
            out.insert(op.clone(), key_map);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Orders condition values by their IAM string form.
#[derive(PartialEq, Eq)]
struct CanonicalValue(ConditionValue);

impl Ord for CanonicalValue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.as_iam_string().cmp(&other.0.as_iam_string())
    }
}

impl PartialOrd for CanonicalValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use crate::document::parsed as parse;

    #[test]
    fn reordered_and_respelled_documents_share_a_digest() {
        let a = parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"One","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
                {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}
            ]}"#,
        );
        let b = parse(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["sts:assumerole"],"Condition":{"StringEquals":{"STS:ExternalID":["x"]}}},
                {"Effect":"Allow","Action":["S3:ListBucket","s3:GetObject","s3:GetObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"]},
                {"Effect":"Allow","Action":["S3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"]}
            ]}"#,
        );
        assert_eq!(a.digest(), b.digest());
        assert!(a.equivalent(&b));
    }

    #[test]
    fn a_changed_resource_changes_the_digest() {
        let a = parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        let b = parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/*"}]}"#,
        );
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn boolean_and_string_condition_values_are_equivalent() {
        let a = parse(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#,
        );
        let b = parse(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        );
        assert!(a.equivalent(&b));
    }

    #[test]
    fn digest_is_64_lowercase_hex_digits() {
        let d = parse(r#"{"Statement":[]}"#).digest();
        assert_eq!(d.len(), 64);
        assert!(
            d.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn colliding_condition_keys_keep_their_spelling() {
        let a = parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/a":"1","aws:principaltag/A":"2"}}}]}"#,
        );
        let c = a.canonical();
        let keys = c.statements()[0]
            .condition
            .as_ref()
            .map(|c| c["StringEquals"].len());
        assert_eq!(keys, Some(2));
    }
}
