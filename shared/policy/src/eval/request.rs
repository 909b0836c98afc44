//! The request context: who asks, for what, on which resource, with which keys.

use serde_json::Value;

use crate::json::scalar_string as scalar;

/// What kind of principal makes the request; it decides how principals in
/// resource policies match and which same-account rules apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PrincipalKind {
    /// `arn:aws:iam::A:user/...`
    User,
    /// `arn:aws:iam::A:role/...` (the role itself, as a resource policy names it).
    Role,
    /// `arn:aws:sts::A:assumed-role/NAME/SESSION`.
    RoleSession { role_name: String },
    /// `arn:aws:iam::A:root`.
    Root,
    /// `arn:aws:sts::A:federated-user/NAME`.
    FederatedUser,
    /// An AWS service such as `glue.amazonaws.com`.
    Service(String),
    /// A user of a web identity or SAML provider, as a trust policy's
    /// `Federated` principal names it: `cognito-identity.amazonaws.com`, an
    /// `oidc-provider` or a `saml-provider` ARN. Like a service it has no
    /// account and no identity-based policies.
    Federated(String),
    /// A caller with no credentials.
    #[default]
    Anonymous,
}

/// A context key's value: IAM distinguishes single- and multi-valued keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(v) => std::slice::from_ref(v),
            ContextValue::Multi(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    pub principal_arn: String,
    pub principal_account: String,
    pub principal_kind: PrincipalKind,
    pub principal_tags: Vec<(String, String)>,
    pub action: String,
    pub resource: String,
    /// The account that owns the resource; `None` means the principal's.
    pub resource_account: Option<String>,
    /// Keys compare case-insensitively; the request's own spelling is kept.
    pub context: Vec<(String, ContextValue)>,
}

/// A key's values as the evaluator sees them, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> Values<'a> {
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a str> {
        let (one, many): (Option<&'a str>, &'a [String]) = match self {
            Values::One(s) => (Some(s), &[]),
            Values::Many(v) => (None, v),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }

    pub(crate) fn is_empty(self) -> bool {
        matches!(self, Values::Many(v) if v.is_empty())
    }

    pub(crate) fn is_multi(self) -> bool {
        matches!(self, Values::Many(_))
    }
}

impl Request {
    /// A request by the principal `arn` (its kind and account read from the ARN).
    pub fn new(principal_arn: &str, action: &str, resource: &str) -> Request {
        let (kind, account) = classify(principal_arn);
        Request {
            principal_arn: principal_arn.to_owned(),
            principal_account: account,
            principal_kind: kind,
            action: action.to_owned(),
            resource: resource.to_owned(),
            ..Request::default()
        }
    }

    /// Makes `arn` the principal, its kind and account read from it as
    /// [`Request::new`] reads them, reusing this request's strings: a batch
    /// reads one request after another into the same one.
    pub fn set_principal(&mut self, arn: &str) {
        let (class, account) = principal_class(arn);
        self.principal_arn.clear();
        self.principal_arn.push_str(arn);
        self.principal_account.clear();
        self.principal_account.push_str(account);
        match (class, &mut self.principal_kind) {
            (Class::RoleSession(name), PrincipalKind::RoleSession { role_name }) => {
                role_name.clear();
                role_name.push_str(name);
            }
            (class, kind) => *kind = class.kind(arn),
        }
    }

    pub fn with_context(mut self, key: &str, value: ContextValue) -> Request {
        self.context.push((key.to_owned(), value));
        self
    }

    pub fn with_tag(mut self, key: &str, value: &str) -> Request {
        self.principal_tags.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn in_account(mut self, resource_account: &str) -> Request {
        self.resource_account = Some(resource_account.to_owned());
        self
    }

    pub fn resource_account(&self) -> &str {
        self.resource_account
            .as_deref()
            .unwrap_or(&self.principal_account)
    }

    /// Does the caller belong to an account, and so have identity-based
    /// policies? A service, a federated (web identity or SAML) or an
    /// anonymous caller does not: only a resource-based policy can allow it.
    pub fn has_account(&self) -> bool {
        !self.principal_account.is_empty()
            && !matches!(
                self.principal_kind,
                PrincipalKind::Service(_) | PrincipalKind::Federated(_)
            )
    }

    /// A caller with an account asking for a resource in another account.
    pub fn is_cross_account(&self) -> bool {
        self.has_account() && self.resource_account() != self.principal_account
    }

    /// A context key's values, case-insensitively, including the keys IAM
    /// derives from the principal when the request does not set them.
    pub(crate) fn key(&self, key: &str) -> Option<Values<'_>> {
        if let Some((_, v)) = self
            .context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            return Some(match v {
                ContextValue::Single(s) => Values::One(s),
                ContextValue::Multi(m) => Values::Many(m),
            });
        }
        self.derived(key).map(Values::One)
    }

    /// A single value for `${key}` substitution.
    pub(crate) fn variable(&self, key: &str) -> Option<&str> {
        match self.key(key)? {
            Values::One(v) => Some(v),
            Values::Many(_) => None,
        }
    }

    fn derived(&self, key: &str) -> Option<&str> {
        let eq = |k: &str| key.eq_ignore_ascii_case(k);
        // For a role session IAM reports the role's ARN, whose path the
        // session ARN does not carry: callers set aws:PrincipalArn explicitly.
        if eq("aws:PrincipalArn") && !self.principal_arn.is_empty() {
            return Some(&self.principal_arn);
        }
        if eq("aws:PrincipalAccount") && !self.principal_account.is_empty() {
            return Some(&self.principal_account);
        }
        if eq("aws:ResourceAccount") {
            return Some(self.resource_account()).filter(|a| !a.is_empty());
        }
        if eq("aws:username") && self.principal_kind == PrincipalKind::User {
            return self.principal_arn.rsplit('/').next();
        }
        if eq("aws:PrincipalType") {
            return Some(match self.principal_kind {
                PrincipalKind::User => "User",
                PrincipalKind::Role | PrincipalKind::RoleSession { .. } => "AssumedRole",
                PrincipalKind::Root => "Account",
                PrincipalKind::FederatedUser => "FederatedUser",
                PrincipalKind::Service(_)
                | PrincipalKind::Federated(_)
                | PrincipalKind::Anonymous => return None,
            });
        }
        let prefix = "aws:principaltag/";
        if key.len() > prefix.len() && key[..prefix.len()].eq_ignore_ascii_case(prefix) {
            let tag = &key[prefix.len()..];
            return self
                .principal_tags
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(tag))
                .map(|(_, v)| v.as_str());
        }
        None
    }

    /// Reads the request part of a case file:
    /// `{"principal": ARN | {"service": NAME} | {"federated": PROVIDER},
    ///   "principal_tags": {...},
    ///   "action": ..., "resource": ..., "resource_account": ...,
    ///   "context": {"key": "v" | ["v", ...]}}`.
    pub fn from_value(v: &Value) -> Result<Request, String> {
        let obj = v.as_object().ok_or("request must be an object")?;
        for key in obj.keys() {
            if ![
                "principal",
                "principal_tags",
                "action",
                "resource",
                "resource_account",
                "context",
            ]
            .contains(&key.as_str())
            {
                return Err(format!("request: unknown field {key:?}"));
            }
        }
        let text = |k: &str| -> Result<String, String> {
            obj.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(format!("request.{k} must be a string"))
        };
        let mut req = match obj.get("principal") {
            Some(Value::String(arn)) => Request::new(arn, &text("action")?, &text("resource")?),
            Some(Value::Object(p)) => Request {
                principal_kind: accountless_principal(p)?,
                action: text("action")?,
                resource: text("resource")?,
                ..Request::default()
            },
            None => Request {
                action: text("action")?,
                resource: text("resource")?,
                ..Request::default()
            },
            Some(_) => return Err("request.principal must be an ARN string".into()),
        };
        if let Some(a) = obj.get("resource_account") {
            req.resource_account = Some(
                a.as_str()
                    .ok_or("request.resource_account must be a string")?
                    .to_owned(),
            );
        }
        if let Some(tags) = obj.get("principal_tags") {
            let tags = tags
                .as_object()
                .ok_or("request.principal_tags must be an object")?;
            for (k, v) in tags {
                let v = v
                    .as_str()
                    .ok_or(format!("request.principal_tags.{k} must be a string"))?;
                req.principal_tags.push((k.clone(), v.to_owned()));
            }
        }
        if let Some(ctx) = obj.get("context") {
            let ctx = ctx.as_object().ok_or("request.context must be an object")?;
            for (k, v) in ctx {
                let value = match v {
                    Value::Array(items) => ContextValue::Multi(
                        items
                            .iter()
                            .map(|i| {
                                scalar(i)
                                    .ok_or(format!("request.context.{k}: values must be scalars"))
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    other => ContextValue::Single(
                        scalar(other)
                            .ok_or(format!("request.context.{k}: values must be scalars"))?,
                    ),
                };
                req.context.push((k.clone(), value));
            }
        }
        Ok(req)
    }
}

/// `{"service": NAME}` or `{"federated": PROVIDER}`: a caller with no account.
fn accountless_principal(p: &serde_json::Map<String, Value>) -> Result<PrincipalKind, String> {
    let malformed = || {
        "request.principal must be an ARN, {\"service\": NAME} or {\"federated\": PROVIDER}"
            .to_owned()
    };
    let [(kind, Value::String(name))] = p.iter().collect::<Vec<_>>()[..] else {
        return Err(malformed());
    };
    match kind.as_str() {
        "service" => Ok(PrincipalKind::Service(name.clone())),
        "federated" => Ok(PrincipalKind::Federated(name.clone())),
        _ => Err(malformed()),
    }
}

/// The principal's kind and account, read from its ARN.
pub(crate) fn classify(arn: &str) -> (PrincipalKind, String) {
    let (class, account) = principal_class(arn);
    (class.kind(arn), account.to_owned())
}

/// What [`classify`] reads from an ARN, borrowed from it.
enum Class<'a> {
    /// A kind that holds no name.
    Plain(PrincipalKind),
    RoleSession(&'a str),
    Federated,
}

impl Class<'_> {
    fn kind(self, arn: &str) -> PrincipalKind {
        match self {
            Class::Plain(kind) => kind,
            Class::RoleSession(name) => PrincipalKind::RoleSession {
                role_name: name.to_owned(),
            },
            Class::Federated => PrincipalKind::Federated(arn.to_owned()),
        }
    }
}

fn principal_class(arn: &str) -> (Class<'_>, &str) {
    // `arn:partition:service:region:account:resource`, split at its first
    // five colons (bytes: an ARN is short, and a search per part costs more).
    let mut colons = [0usize; 5];
    let mut found = 0;
    for (i, b) in arn.bytes().enumerate() {
        if b == b':' {
            colons[found] = i;
            found += 1;
            if found == colons.len() {
                break;
            }
        }
    }
    if found < colons.len() || &arn[..colons[0]] != "arn" {
        return (Class::Plain(PrincipalKind::Anonymous), "");
    }
    let service = &arn[colons[1] + 1..colons[2]];
    let account = &arn[colons[3] + 1..colons[4]];
    let resource = &arn[colons[4] + 1..];
    let slash = resource.bytes().position(|b| b == b'/');
    let resource_type = slash.map(|i| (&resource[..i], &resource[i + 1..]));
    let class = match (service, resource_type) {
        ("iam", None) if resource == "root" => Class::Plain(PrincipalKind::Root),
        ("iam", Some(("user", _))) => Class::Plain(PrincipalKind::User),
        ("iam", Some(("role", _))) => Class::Plain(PrincipalKind::Role),
        ("sts", Some(("assumed-role", rest))) => {
            let name = rest.bytes().position(|b| b == b'/');
            Class::RoleSession(name.map_or(rest, |i| &rest[..i]))
        }
        ("sts", Some(("federated-user", _))) => Class::Plain(PrincipalKind::FederatedUser),
        // An identity provider's users have no account of their own.
        ("iam", Some(("saml-provider" | "oidc-provider", _))) => return (Class::Federated, ""),
        _ => Class::Plain(PrincipalKind::Anonymous),
    };
    (class, account)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `classify` as it was written first, with `str` searches.
    fn classify_by_splitting(arn: &str) -> (PrincipalKind, String) {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_), Some(service), Some(_), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return (PrincipalKind::Anonymous, String::new());
        };
        let kind = match (service, resource.split_once('/')) {
            ("iam", None) if resource == "root" => PrincipalKind::Root,
            ("iam", Some(("user", _))) => PrincipalKind::User,
            ("iam", Some(("role", _))) => PrincipalKind::Role,
            ("sts", Some(("assumed-role", rest))) => PrincipalKind::RoleSession {
                role_name: rest.split('/').next().unwrap_or_default().to_owned(),
            },
            ("sts", Some(("federated-user", _))) => PrincipalKind::FederatedUser,
            ("iam", Some(("saml-provider" | "oidc-provider", _))) => {
                return (PrincipalKind::Federated(arn.to_owned()), String::new());
            }
            _ => PrincipalKind::Anonymous,
        };
        (kind, account.to_owned())
    }

    #[test]
    fn classify_reads_every_arn_as_splitting_it_did() {
        let arns = [
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:user/path/to/alice",
            "arn:aws:iam::111122223333:role/r",
            "arn:aws-cn:iam::111122223333:role/a:b/c",
            "arn:aws:sts::111122223333:assumed-role/r/session",
            "arn:aws:sts::111122223333:assumed-role/r",
            "arn:aws:sts::111122223333:assumed-role/",
            "arn:aws:sts::111122223333:assumed-role",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:root/x",
            "arn:aws:sts::111122223333:federated-user/bob",
            "arn:aws:iam::111122223333:saml-provider/corp",
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            "arn:aws:iam::111122223333:mfa/x",
            "arn:aws:s3:::bucket/key",
            "arn:aws:iam::111122223333:",
            "arn:aws:iam::111122223333",
            "arn:aws:iam::",
            "arn::::::",
            "ar:aws:iam::111122223333:root",
            "xarn:aws:iam::111122223333:root",
            "arn:aws:iam::ééé:user/é",
            "arn:aws:iam:::::::user/x",
            ":::::",
            "not an arn",
            "",
        ];
        for arn in arns {
            assert_eq!(classify(arn), classify_by_splitting(arn), "{arn}");
        }
    }

    #[test]
    fn set_principal_reads_the_arn_as_new_does_whatever_came_before() {
        let arns = [
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:role/path/r",
            "arn:aws:sts::111122223333:assumed-role/r/session",
            "arn:aws:sts::111122223333:assumed-role/other/s2",
            "arn:aws:iam::111122223333:root",
            "arn:aws:sts::111122223333:federated-user/bob",
            "arn:aws:iam::111122223333:saml-provider/corp",
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            "arn:aws:s3:::bucket",
            "not an arn",
            "",
        ];
        for before in arns {
            for arn in arns {
                let mut req = Request::new(before, "s3:GetObject", "*");
                req.set_principal(arn);
                let want = Request::new(arn, "s3:GetObject", "*");
                assert_eq!(req, want, "{before} then {arn}");
            }
        }
    }
}
