//! A case's request read straight from its JSON into a [`Request`], for
//! `simulate --batch`, without the JSON tree [`Request::from_value`] reads,
//! and into the same [`Request`] line after line, reusing its strings.
//!
//! It accepts only requests that `from_value` reads without error, and
//! makes the same [`Request`] of them: the members a tree would hold, tags
//! and context keys in the tree's (sorted) order. Anything else it gives up
//! on (an error to serde), from a bad type to a member named twice (a tree
//! keeps the last), and the caller reads the case with `from_value`, which
//! reports it or makes sense of it. After giving up, the request it was
//! filling holds anything: the caller does not use it.

use std::borrow::Cow;
use std::fmt;

use rolegate_policy::eval::{ContextValue, PrincipalKind, Request};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// Gives up on the request: the caller reads it the slow way.
fn give_up<E: de::Error>() -> E {
    E::custom("not read without a tree")
}

pub(super) fn fill(s: &mut String, with: &str) {
    s.clear();
    s.push_str(with);
}

/// Reads a request into the one it holds.
pub struct RequestSeed<'r>(pub &'r mut Request);

impl<'de> DeserializeSeed<'de> for RequestSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RequestSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let req = self.0;
        let mut principal: Option<Principal<'de>> = None;
        let [mut action, mut resource, mut account, mut tags, mut context] = [false; 5];
        // A member named twice: a tree keeps the last; give up.
        let once = |seen: &mut bool| -> Result<(), A::Error> {
            if std::mem::replace(seen, true) {
                return Err(give_up());
            }
            Ok(())
        };
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "principal" if principal.is_none() => {
                    principal = Some(map.next_value::<PrincipalValue>()?.0);
                }
                "action" => {
                    once(&mut action)?;
                    fill(&mut req.action, &map.next_value::<Str>()?.0);
                }
                "resource" => {
                    once(&mut resource)?;
                    fill(&mut req.resource, &map.next_value::<Str>()?.0);
                }
                "resource_account" => {
                    once(&mut account)?;
                    let value = map.next_value::<Str>()?.0;
                    match &mut req.resource_account {
                        Some(a) => fill(a, &value),
                        None => req.resource_account = Some(value.into_owned()),
                    }
                }
                "principal_tags" => {
                    once(&mut tags)?;
                    map.next_value_seed(Members(&mut req.principal_tags))?;
                }
                "context" => {
                    once(&mut context)?;
                    map.next_value_seed(Members(&mut req.context))?;
                }
                _ => return Err(give_up()),
            }
        }
        if !finish(req, principal, [action, resource, account, tags, context]) {
            return Err(give_up());
        }
        Ok(())
    }
}

pub(super) enum Principal<'a> {
    Arn(Cow<'a, str>),
    Accountless(PrincipalKind),
}

/// Completes a request read member by member: `read` says which of action,
/// resource, resource account, tags and context were there; the others
/// are emptied, and the principal is set as [`Request::from_value`] sets
/// it. `false` without an action or a resource, which `from_value` refuses.
pub(super) fn finish(req: &mut Request, principal: Option<Principal>, read: [bool; 5]) -> bool {
    let [action, resource, account, tags, context] = read;
    if !(action && resource) {
        return false;
    }
    if !account {
        req.resource_account = None;
    }
    if !tags {
        req.principal_tags.clear();
    }
    if !context {
        req.context.clear();
    }
    match principal {
        Some(Principal::Arn(arn)) => req.set_principal(&arn),
        Some(Principal::Accountless(kind)) => {
            req.principal_arn.clear();
            req.principal_account.clear();
            req.principal_kind = kind;
        }
        None => {
            req.principal_arn.clear();
            req.principal_account.clear();
            req.principal_kind = PrincipalKind::Anonymous;
        }
    }
    true
}

/// The first `n` members, in a tree's order (by key), each key once:
/// `false` when a key is there twice (a tree keeps the last).
pub(super) fn in_key_order<T>(members: &mut Vec<(String, T)>, n: usize) -> bool {
    members.truncate(n);
    members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    !members.windows(2).any(|w| w[0].0 == w[1].0)
}

/// An ARN, `{"service": NAME}` or `{"federated": PROVIDER}`.
struct PrincipalValue<'a>(Principal<'a>);

impl<'de> Deserialize<'de> for PrincipalValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PrincipalValue<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PrincipalValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a principal")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(PrincipalValue(Principal::Arn(Cow::Borrowed(s))))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(PrincipalValue(Principal::Arn(Cow::Owned(s.to_owned()))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let kind = match map.next_key::<&'de str>()? {
                    Some("service") => PrincipalKind::Service(map.next_value::<Str>()?.0.into()),
                    Some("federated") => {
                        PrincipalKind::Federated(map.next_value::<Str>()?.0.into())
                    }
                    _ => return Err(give_up()),
                };
                match map.next_key::<de::IgnoredAny>()? {
                    None => Ok(PrincipalValue(Principal::Accountless(kind))),
                    Some(_) => Err(give_up()),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON string, borrowed from the line unless it has escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A value that can be read into the one a slot holds.
trait Slot {
    fn empty() -> Self;
    fn read<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error>;
}

impl Slot for String {
    fn empty() -> String {
        String::new()
    }

    fn read<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        fill(self, &Str::deserialize(d)?.0);
        Ok(())
    }
}

impl Slot for ContextValue {
    fn empty() -> ContextValue {
        ContextValue::Single(String::new())
    }

    fn read<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Values(self))
    }
}

struct SlotSeed<'s, T>(&'s mut T);

impl<'de, T: Slot> DeserializeSeed<'de> for SlotSeed<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.read(d)
    }
}

/// An object's members into a list of them, reusing its entries, then put
/// in key order, each key once, as a tree holds them.
struct Members<'m, T>(&'m mut Vec<(String, T)>);

impl<'de, T: Slot> DeserializeSeed<'de> for Members<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Slot> Visitor<'de> for Members<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let members = self.0;
        let mut n = 0;
        while let Some(key) = map.next_key::<Str>()? {
            if n == members.len() {
                members.push((String::new(), T::empty()));
            }
            let (k, v) = &mut members[n];
            fill(k, &key.0);
            map.next_value_seed(SlotSeed(v))?;
            n += 1;
        }
        if !in_key_order(members, n) {
            return Err(give_up());
        }
        Ok(())
    }
}

/// A context key's value: a scalar, or an array of them. `from_value`
/// spells a bool and a number as the tree prints them.
struct Values<'v>(&'v mut ContextValue);

impl Values<'_> {
    fn single(self, s: &str) {
        set_single(self.0, s);
    }
}

/// Makes `value` the single `s`, in its own string when it has one.
pub(super) fn set_single(value: &mut ContextValue, s: &str) {
    match value {
        ContextValue::Single(v) => fill(v, s),
        other => *other = ContextValue::Single(s.to_owned()),
    }
}

impl<'de> Visitor<'de> for Values<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar or an array of scalars")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !matches!(self.0, ContextValue::Multi(_)) {
            *self.0 = ContextValue::Multi(Vec::new());
        }
        let ContextValue::Multi(values) = self.0 else {
            return Err(give_up());
        };
        let mut n = 0;
        loop {
            if n == values.len() {
                values.push(String::new());
            }
            if seq.next_element_seed(Scalar(&mut values[n]))?.is_none() {
                break;
            }
            n += 1;
        }
        values.truncate(n);
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.single(s);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        self.single(if b { "true" } else { "false" });
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        self.single(&Number::from(n).to_string());
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        self.single(&Number::from(n).to_string());
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        self.single(&Number::from_f64(n).ok_or_else(give_up)?.to_string());
        Ok(())
    }
}

/// One of an array's values: a string, a bool or a number.
struct Scalar<'s>(&'s mut String);

impl<'de> DeserializeSeed<'de> for Scalar<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let mut value = ContextValue::Single(std::mem::take(self.0));
        d.deserialize_any(Values(&mut value))?;
        match value {
            ContextValue::Single(s) => {
                *self.0 = s;
                Ok(())
            }
            ContextValue::Multi(_) => Err(give_up()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Read into a request that held another one before.
    fn quick(text: &str) -> Option<Request> {
        let mut req = Request::new("arn:aws:sts::1:assumed-role/x/y", "a:b", "c")
            .in_account("2")
            .with_tag("t", "v")
            .with_tag("u", "w")
            .with_context("k", ContextValue::Multi(vec!["1".into(), "2".into()]))
            .with_context("j", ContextValue::Single("1".into()))
            .with_context("i", ContextValue::Multi(vec![]));
        let mut de = serde_json::Deserializer::from_str(text);
        RequestSeed(&mut req).deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(req)
    }

    fn from_tree(text: &str) -> Option<Request> {
        let value: Value = serde_json::from_str(text).ok()?;
        Request::from_value(&value).ok()
    }

    const ARN: &str = r#""principal":"arn:aws:sts::111122223333:assumed-role/r/s""#;
    const ACTION: &str = r#""action":"s3:GetObject","resource":"arn:aws:s3:::b/k""#;

    #[test]
    fn the_requests_of_a_batch_are_read_as_the_tree_reads_them() {
        let read_quickly = [
            format!("{{{ARN},{ACTION}}}"),
            format!("{{{ACTION},{ARN}}}"),
            format!("{{{ACTION}}}"),
            format!(r#"{{"principal":"arn:aws:iam::111122223333:user/u",{ACTION}}}"#),
            format!(r#"{{"principal":{{"service":"glue.amazonaws.com"}},{ACTION}}}"#),
            format!(r#"{{"principal":{{"federated":"accounts.google.com"}},{ACTION}}}"#),
            format!(
                r#"{{{ARN},{ACTION},"resource_account":"444455556666","principal_tags":{{"team":"a","Env":"b","env":"c"}}}}"#
            ),
            format!(
                r#"{{{ARN},{ACTION},"context":{{"z:k":"1","aws:SecureTransport":true,"aws:MultiFactorAuthAge":300,"n":-4,"f":1.5e3,"big":18446744073709551616,"aws:SourceIp":["10.0.0.1","10.0.0.2"],"m":[1,false,"x"],"e":[]}}}}"#
            ),
            format!(r#"{{{ARN},{ACTION},"context":{{"k":["1"],"j":"2","i":[]}}}}"#),
            format!(r#"{{{ARN},{ACTION},"context":{{"k":"1","j":["2","3","4"],"i":"x"}}}}"#),
            format!(r#"{{{ARN},"action":"s3:Get\"Object\"","resource":"arn:aws:s3:::b/\u00e9"}}"#),
            format!(
                r#"{{"principal":"arn:aws:iam::1:user/\u00e9",{ACTION},"context":{{"k\u00e9":"v\n"}}}}"#
            ),
        ];
        for text in &read_quickly {
            let got = quick(text);
            assert!(got.is_some(), "{text}");
            assert_eq!(got, from_tree(text), "{text}");
        }
    }

    #[test]
    fn what_the_tree_reads_otherwise_or_refuses_is_left_to_it() {
        let left = [
            format!("{{{ARN}}}"),
            format!(r#"{{{ARN},"action":"s3:GetObject"}}"#),
            format!(r#"{{{ARN},"action":null,"resource":"*"}}"#),
            format!(r#"{{{ARN},"action":7,"resource":"*"}}"#),
            format!(r#"{{"principal":null,{ACTION}}}"#),
            format!(r#"{{"principal":7,{ACTION}}}"#),
            format!(r#"{{"principal":{{}},{ACTION}}}"#),
            format!(r#"{{"principal":{{"service":"a","federated":"b"}},{ACTION}}}"#),
            format!(r#"{{"principal":{{"service":"a","service":"b"}},{ACTION}}}"#),
            format!(r#"{{"principal":{{"other":"a"}},{ACTION}}}"#),
            format!(r#"{{"principal":{{"service":7}},{ACTION}}}"#),
            format!(r#"{{{ARN},{ARN},{ACTION}}}"#),
            format!(r#"{{{ARN},{ACTION},"action":"s3:PutObject"}}"#),
            format!(r#"{{{ARN},{ACTION},"surprise":1}}"#),
            format!(r#"{{{ARN},"act\u0069on":"s3:GetObject","resource":"*"}}"#),
            format!(r#"{{{ARN},{ACTION},"resource_account":null}}"#),
            format!(r#"{{{ARN},{ACTION},"resource_account":"1","resource_account":"1"}}"#),
            format!(r#"{{{ARN},{ACTION},"principal_tags":{{"team":"a","team":"b"}}}}"#),
            format!(r#"{{{ARN},{ACTION},"principal_tags":{{"team":1}}}}"#),
            format!(r#"{{{ARN},{ACTION},"principal_tags":[]}}"#),
            format!(r#"{{{ARN},{ACTION},"principal_tags":{{}},"principal_tags":{{}}}}"#),
            format!(r#"{{{ARN},{ACTION},"context":{{"k":"1","k":"2"}}}}"#),
            format!(r#"{{{ARN},{ACTION},"context":{{"k":null}}}}"#),
            format!(r#"{{{ARN},{ACTION},"context":{{"k":[null]}}}}"#),
            format!(r#"{{{ARN},{ACTION},"context":{{"k":[[1]]}}}}"#),
            format!(r#"{{{ARN},{ACTION},"context":{{"k":{{}}}}}}"#),
            format!(r#"{{{ARN},{ACTION},"context":[]}}"#),
            "[]".to_owned(),
            "7".to_owned(),
        ];
        for text in &left {
            assert_eq!(quick(text), None, "{text}");
        }
    }
}
