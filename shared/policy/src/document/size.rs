//! Sizes of compact JSON as IAM counts them toward its policy quotas:
//! characters other than whitespace, computed from the structure.

use super::{ConditionValue, OneOrMany, PolicyDocument, Principal, Statement};

impl PolicyDocument {
    /// Characters IAM counts toward its policy size quotas: the compact JSON
    /// less whitespace. Computed from the structure, without serialising: the
    /// provisioner and lint measure every policy on every event. A property
    /// test holds it equal to `limits::policy_size(&self.to_json())`.
    pub fn size(&self) -> usize {
        let mut fields = Vec::with_capacity(3);
        if let Some(v) = &self.version {
            fields.push(entry("Version", string(v)));
        }
        if let Some(id) = &self.id {
            fields.push(entry("Id", string(id)));
        }
        fields.push(entry(
            "Statement",
            one_or_many(&self.statement, Statement::size),
        ));
        object(fields.into_iter())
    }
}

impl Statement {
    fn size(&self) -> usize {
        let mut fields = [0usize; 6];
        if let Some(sid) = &self.sid {
            fields[0] = entry("Sid", string(sid));
        }
        fields[1] = entry("Effect", string(self.effect.as_str()));
        if let Some(p) = &self.principal {
            let key = if p.is_negated() {
                "NotPrincipal"
            } else {
                "Principal"
            };
            fields[2] = entry(key, p.value().size());
        }
        let key = if self.action.is_negated() {
            "NotAction"
        } else {
            "Action"
        };
        fields[3] = entry(key, strings(self.action.value()));
        if let Some(r) = &self.resource {
            let key = if r.is_negated() {
                "NotResource"
            } else {
                "Resource"
            };
            fields[4] = entry(key, strings(r.value()));
        }
        if let Some(c) = &self.condition {
            let ops = c.iter().map(|(op, keys)| {
                let keys = keys
                    .iter()
                    .map(|(k, vs)| entry(k, one_or_many(vs, ConditionValue::size)));
                entry(op, object(keys))
            });
            fields[5] = entry("Condition", object(ops));
        }
        object(fields.into_iter().filter(|f| *f > 0))
    }
}

impl ConditionValue {
    fn size(&self) -> usize {
        match self {
            ConditionValue::String(s) => string(s),
            ConditionValue::Bool(true) => 4,
            ConditionValue::Bool(false) => 5,
            ConditionValue::Number(n) => n.to_string().len(),
        }
    }
}

impl Principal {
    fn size(&self) -> usize {
        match self {
            Principal::Any => 3,
            Principal::Typed(types) => {
                object(types.iter().map(|(t, vs)| entry(t.as_str(), strings(vs))))
            }
        }
    }
}

/// A JSON string: quotes plus each character as serde_json escapes it.
/// Counted over bytes, without decoding UTF-8 (`PolicyDocument::size` was a
/// quarter of the spec pipeline's instructions): a continuation byte
/// (0x80..=0xBF) belongs to a character its leading byte already counted,
/// so counting the other bytes counts characters.
fn string(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b' ' => 0,
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0x00..=0x1f => 6,
            0x80..=0xbf => 0,
            _ => 1,
        })
        .sum::<usize>()
}

fn strings(v: &OneOrMany<String>) -> usize {
    one_or_many(v, |s| string(s))
}

fn one_or_many<T>(v: &OneOrMany<T>, f: impl Fn(&T) -> usize) -> usize {
    match v {
        OneOrMany::One(x) => f(x),
        OneOrMany::Many(xs) => 2 + xs.iter().map(f).sum::<usize>() + xs.len().saturating_sub(1),
    }
}

/// `"key":` followed by a value of `value` characters.
fn entry(key: &str, value: usize) -> usize {
    string(key) + 1 + value
}

/// Braces, entries and the commas between them.
fn object(entries: impl Iterator<Item = usize>) -> usize {
    let (sum, n) = entries.fold((0usize, 0usize), |(s, n), e| (s + e, n + 1));
    2 + sum + n.saturating_sub(1)
}
