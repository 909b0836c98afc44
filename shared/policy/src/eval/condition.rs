//! Condition operators, compiled once and evaluated per request.
//!
//! Semantics follow the IAM User Guide ("Condition operators", "Single-valued
//! vs. multivalued context keys"): keys are ANDed, a key's values ORed, and a
//! negated operator is the NOR of its positive form. With a missing key a
//! positive operator fails and a negated one holds; `...IfExists` holds;
//! `ForAllValues:` holds and `ForAnyValue:` fails.
//!
//! A policy variable that cannot be resolved (its key is absent or
//! multivalued, and it has no default) makes the condition fail under every
//! operator, negated ones included: IAM's policy variables page says any
//! attempt to match it fails and the statement is invalid. The one escape it
//! names is `...IfExists` with the key absent, where nothing is compared.

use std::net::IpAddr;

use super::pattern::Pattern;
use super::request::{Request, Values};
use crate::document::{ConditionBlock, ConditionValue};
use crate::time::parse_rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub base: Base,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Option<SetOp>,
}

impl Operator {
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetOp::ForAllValues), r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetOp::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(r) => (r, true),
            None => (rest, false),
        };
        use Base::*;
        let (base, negated) = match rest {
            "StringEquals" => (StringEquals, false),
            "StringNotEquals" => (StringEquals, true),
            "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
            "StringLike" => (StringLike, false),
            "StringNotLike" => (StringLike, true),
            "NumericEquals" => (NumericEquals, false),
            "NumericNotEquals" => (NumericEquals, true),
            "NumericLessThan" => (NumericLessThan, false),
            "NumericLessThanEquals" => (NumericLessThanEquals, false),
            "NumericGreaterThan" => (NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (NumericGreaterThanEquals, false),
            "DateEquals" => (DateEquals, false),
            "DateNotEquals" => (DateEquals, true),
            "DateLessThan" => (DateLessThan, false),
            "DateLessThanEquals" => (DateLessThanEquals, false),
            "DateGreaterThan" => (DateGreaterThan, false),
            "DateGreaterThanEquals" => (DateGreaterThanEquals, false),
            "Bool" => (Bool, false),
            "BinaryEquals" => (BinaryEquals, false),
            "IpAddress" => (IpAddress, false),
            "NotIpAddress" => (IpAddress, true),
            "ArnEquals" | "ArnLike" => (ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
            "Null" if !if_exists => (Null, false),
            _ => return None,
        };
        Some(Operator {
            base,
            negated,
            if_exists,
            set,
        })
    }
}

/// A policy value, pre-parsed for its operator.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Text(Pattern),
    Number(f64),
    Date(i64),
    Cidr(IpAddr, u8),
    Bool(bool),
    /// Unparseable for the operator: matches nothing.
    Invalid(String),
}

impl Operand {
    /// A text value whose variable cannot be resolved for `req`.
    pub(crate) fn unresolved(&self, req: &Request) -> bool {
        matches!(self, Operand::Text(p) if p.unresolved(req))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledCondition {
    pub operator_name: String,
    pub operator: Option<Operator>,
    pub key: String,
    pub values: Vec<Operand>,
}

pub(crate) fn compile(block: &ConditionBlock, variables: bool) -> Vec<CompiledCondition> {
    let mut out = Vec::new();
    for (op_name, keys) in block {
        let operator = Operator::parse(op_name);
        for (key, values) in keys {
            let values = values
                .iter()
                .map(|v| operand(operator.map(|o| o.base), v, variables))
                .collect();
            out.push(CompiledCondition {
                operator_name: op_name.clone(),
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    out
}

fn operand(base: Option<Base>, v: &ConditionValue, variables: bool) -> Operand {
    let text = v.as_iam_string();
    let has_var = variables && text.contains("${");
    match base {
        Some(
            Base::NumericEquals
            | Base::NumericLessThan
            | Base::NumericLessThanEquals
            | Base::NumericGreaterThan
            | Base::NumericGreaterThanEquals,
        ) if !has_var => text
            .trim()
            .parse()
            .map(Operand::Number)
            .unwrap_or_else(|_| Operand::Invalid(text.into_owned())),
        Some(
            Base::DateEquals
            | Base::DateLessThan
            | Base::DateLessThanEquals
            | Base::DateGreaterThan
            | Base::DateGreaterThanEquals,
        ) if !has_var => parse_date(&text)
            .map(Operand::Date)
            .unwrap_or_else(|| Operand::Invalid(text.into_owned())),
        Some(Base::IpAddress) if !has_var => parse_cidr(&text)
            .map(|(ip, len)| Operand::Cidr(ip, len))
            .unwrap_or_else(|| Operand::Invalid(text.into_owned())),
        Some(Base::Bool | Base::Null) => match text.to_ascii_lowercase().as_str() {
            "true" => Operand::Bool(true),
            "false" => Operand::Bool(false),
            _ => Operand::Invalid(text.into_owned()),
        },
        Some(Base::StringLike | Base::ArnLike) => {
            Operand::Text(Pattern::compile(&text, true, variables))
        }
        _ => Operand::Text(Pattern::compile(&text, false, variables)),
    }
}

/// Why a condition did not hold, for explanations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    UnknownOperator,
    MissingKey,
    NoMatch,
    /// A policy value holds a variable with no value in the request and no default.
    UnresolvedVariable,
}

impl CompiledCondition {
    pub(crate) fn holds(&self, req: &Request) -> Result<(), Failure> {
        let Some(op) = self.operator else {
            return Err(Failure::UnknownOperator);
        };
        let values = req.key(&self.key);
        if op.base == Base::Null {
            // Null: "true" asks that the key be absent (or empty), "false" present.
            let absent = values.is_none_or(Values::is_empty);
            let ok = self
                .values
                .iter()
                .any(|v| matches!(v, Operand::Bool(b) if *b == absent));
            return if ok { Ok(()) } else { Err(Failure::NoMatch) };
        }
        if op.if_exists && values.is_none() {
            return Ok(());
        }
        if self.values.iter().any(|v| v.unresolved(req)) {
            return Err(Failure::UnresolvedVariable);
        }
        let Some(values) = values else {
            let holds = op.if_exists
                || match op.set {
                    Some(SetOp::ForAllValues) => true,
                    Some(SetOp::ForAnyValue) => false,
                    None => op.negated,
                };
            return if holds {
                Ok(())
            } else {
                Err(Failure::MissingKey)
            };
        };
        // One request value against the policy values: OR, or NOR if negated.
        let one = |v: &str| {
            let any = self
                .values
                .iter()
                .any(|p| operand_matches(op.base, p, v, req));
            any != op.negated
        };
        let holds = match op.set {
            Some(SetOp::ForAllValues) => values.iter().all(one),
            Some(SetOp::ForAnyValue) => values.iter().any(one),
            // A multivalued key without a set operator: the positive form
            // holds if any value matches; the negated form if none does.
            None if values.is_multi() => {
                let any = values.iter().any(|v| {
                    self.values
                        .iter()
                        .any(|p| operand_matches(op.base, p, v, req))
                });
                any != op.negated
            }
            None => values.iter().all(one),
        };
        if holds { Ok(()) } else { Err(Failure::NoMatch) }
    }
}

fn operand_matches(base: Base, policy: &Operand, value: &str, req: &Request) -> bool {
    match (base, policy) {
        (_, Operand::Invalid(_)) => false,
        (Base::StringEquals | Base::BinaryEquals | Base::StringLike, Operand::Text(p)) => {
            p.matches(value, false, req) == Some(true)
        }
        (Base::StringEqualsIgnoreCase, Operand::Text(p)) => {
            p.matches(value, true, req) == Some(true)
        }
        (Base::ArnLike, Operand::Text(p)) => p.matches_arn_condition(value, req) == Some(true),
        (Base::Bool, Operand::Bool(b)) => {
            value.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (_, Operand::Text(p)) => {
            // A numeric, date or address value written with a policy variable.
            let Some(resolved) = p.resolve(req) else {
                return false;
            };
            match operand(
                Some(base),
                &ConditionValue::String(resolved.into_owned()),
                false,
            ) {
                Operand::Text(_) => false,
                other => operand_matches(base, &other, value, req),
            }
        }
        (base, Operand::Number(n)) => value.trim().parse::<f64>().is_ok_and(|v| match base {
            Base::NumericEquals => v == *n,
            Base::NumericLessThan => v < *n,
            Base::NumericLessThanEquals => v <= *n,
            Base::NumericGreaterThan => v > *n,
            Base::NumericGreaterThanEquals => v >= *n,
            _ => false,
        }),
        (base, Operand::Date(d)) => parse_date(value).is_some_and(|v| match base {
            Base::DateEquals => v == *d,
            Base::DateLessThan => v < *d,
            Base::DateLessThanEquals => v <= *d,
            Base::DateGreaterThan => v > *d,
            Base::DateGreaterThanEquals => v >= *d,
            _ => false,
        }),
        (Base::IpAddress, Operand::Cidr(net, len)) => value
            .trim()
            .parse::<IpAddr>()
            .is_ok_and(|ip| in_cidr(ip, *net, *len)),
        _ => false,
    }
}

/// ISO 8601 as IAM accepts it (full RFC 3339, a bare date, or minutes
/// without seconds), or epoch seconds.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if let Some(t) = parse_rfc3339(s) {
        return Some(t);
    }
    if s.len() == 10 {
        return parse_rfc3339(&format!("{s}T00:00:00Z"));
    }
    if s.len() == 17 && s.ends_with('Z') {
        return parse_rfc3339(&format!("{}:00Z", &s[..16]));
    }
    None
}

pub(crate) fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max)?,
        None => max,
    };
    Some((ip, len))
}

pub(crate) fn in_cidr(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}
