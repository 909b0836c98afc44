//! A case's request read straight from its JSON into a [`Request`], for
//! `simulate --batch`, without the JSON tree [`Request::from_value`] reads.
//!
//! It accepts only requests that `from_value` reads without error, and
//! makes the same [`Request`] of them: the members a tree would hold, tags
//! and context keys in the tree's (sorted) order. Anything else it gives up
//! on (an error to serde), from a bad type to a member named twice (a tree
//! keeps the last), and the caller reads the case with `from_value`, which
//! reports it or makes sense of it.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use rolegate_policy::eval::{ContextValue, PrincipalKind, Request};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// Gives up on the request: the caller reads it the slow way.
fn give_up<E: de::Error>() -> E {
    E::custom("not read without a tree")
}

/// The request of a case, when it is read without a tree.
pub struct QuickRequest(pub Request);

impl<'de> Deserialize<'de> for QuickRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<QuickRequest, D::Error> {
        d.deserialize_map(RequestVisitor).map(QuickRequest)
    }
}

struct RequestVisitor;

enum Principal<'a> {
    Arn(Cow<'a, str>),
    Accountless(PrincipalKind),
}

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = Request;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Request, A::Error> {
        let mut principal: Option<Principal<'de>> = None;
        let (mut action, mut resource): (Option<Str>, Option<Str>) = (None, None);
        let mut resource_account: Option<String> = None;
        let mut tags: Option<Vec<(String, String)>> = None;
        let mut context: Option<Vec<(String, ContextValue)>> = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            // A member named twice: a tree keeps the last; give up.
            match key {
                "principal" if principal.is_none() => {
                    principal = Some(map.next_value::<PrincipalValue>()?.0);
                }
                "action" if action.is_none() => action = Some(map.next_value()?),
                "resource" if resource.is_none() => resource = Some(map.next_value()?),
                "resource_account" if resource_account.is_none() => {
                    resource_account = Some(map.next_value::<Str>()?.0.into_owned());
                }
                "principal_tags" if tags.is_none() => {
                    let members = map.next_value::<Members<Text>>()?.0;
                    tags = Some(sorted(
                        members.into_iter().map(|(k, v)| (k, v.0)).collect(),
                    )?);
                }
                "context" if context.is_none() => {
                    let members = map.next_value::<Members<Values>>()?.0;
                    context = Some(sorted(
                        members.into_iter().map(|(k, v)| (k, v.0)).collect(),
                    )?);
                }
                _ => return Err(give_up()),
            }
        }
        let (Some(action), Some(resource)) = (action, resource) else {
            return Err(give_up());
        };
        let (action, resource) = (action.0, resource.0);
        let mut req = match principal {
            Some(Principal::Arn(arn)) => Request::new(&arn, &action, &resource),
            Some(Principal::Accountless(kind)) => Request {
                principal_kind: kind,
                action: action.into_owned(),
                resource: resource.into_owned(),
                ..Request::default()
            },
            None => Request {
                action: action.into_owned(),
                resource: resource.into_owned(),
                ..Request::default()
            },
        };
        req.resource_account = resource_account;
        req.principal_tags = tags.unwrap_or_default();
        req.context = context.unwrap_or_default();
        Ok(req)
    }
}

/// A tree's members come in key order, each key once.
fn sorted<T, E: de::Error>(mut members: Vec<(String, T)>) -> Result<Vec<(String, T)>, E> {
    members.sort_by(|a, b| a.0.cmp(&b.0));
    if members.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(give_up());
    }
    Ok(members)
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
                    Some("service") => PrincipalKind::Service(map.next_value::<Text>()?.0),
                    Some("federated") => PrincipalKind::Federated(map.next_value::<Text>()?.0),
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

/// A JSON string.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        String::deserialize(d).map(Text)
    }
}

/// An object's members in the order written.
struct Members<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Members<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Members<T>, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Members<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(2));
                while let Some(member) = map.next_entry::<String, T>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A context key's value: a scalar, or an array of them. `from_value`
/// spells a bool and a number as the tree prints them.
struct Values(ContextValue);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Values, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar or an array of scalars")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(2));
                while let Some(Scalar(v)) = seq.next_element()? {
                    values.push(v);
                }
                Ok(Values(ContextValue::Multi(values)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Values, E> {
                Ok(Values(ContextValue::Single(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Values, E> {
                Ok(Values(ContextValue::Single(s)))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Values, E> {
                Ok(Values(ContextValue::Single(b.to_string())))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Values, E> {
                Ok(Values(ContextValue::Single(Number::from(n).to_string())))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Values, E> {
                Ok(Values(ContextValue::Single(Number::from(n).to_string())))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Values, E> {
                let n = Number::from_f64(n).ok_or_else(give_up)?;
                Ok(Values(ContextValue::Single(n.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// One of an array's values: a string, a bool or a number.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        match Values::deserialize(d)?.0 {
            ContextValue::Single(s) => Ok(Scalar(s)),
            ContextValue::Multi(_) => Err(give_up()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn quick(text: &str) -> Option<Request> {
        serde_json::from_str::<QuickRequest>(text).ok().map(|q| q.0)
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
            format!(r#"{{"principal":{{"service":"glue.amazonaws.com"}},{ACTION}}}"#),
            format!(r#"{{"principal":{{"federated":"accounts.google.com"}},{ACTION}}}"#),
            format!(
                r#"{{{ARN},{ACTION},"resource_account":"444455556666","principal_tags":{{"team":"a","Env":"b","env":"c"}}}}"#
            ),
            format!(
                r#"{{{ARN},{ACTION},"context":{{"z:k":"1","aws:SecureTransport":true,"aws:MultiFactorAuthAge":300,"n":-4,"f":1.5e3,"big":18446744073709551616,"aws:SourceIp":["10.0.0.1","10.0.0.2"],"m":[1,false,"x"],"e":[]}}}}"#
            ),
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
            format!(r#"{{{ARN},{ACTION},"action":"s3:PutObject"}}"#),
            format!(r#"{{{ARN},{ACTION},"surprise":1}}"#),
            format!(r#"{{{ARN},"act\u0069on":"s3:GetObject","resource":"*"}}"#),
            format!(r#"{{{ARN},{ACTION},"resource_account":null}}"#),
            format!(r#"{{{ARN},{ACTION},"principal_tags":{{"team":"a","team":"b"}}}}"#),
            format!(r#"{{{ARN},{ACTION},"principal_tags":{{"team":1}}}}"#),
            format!(r#"{{{ARN},{ACTION},"principal_tags":[]}}"#),
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
