//! What `simulate` checks in a request before trusting its decision.
//!
//! The evaluator answers any request: `s3:GetObjct` is simply allowed by
//! nothing, and a context key spelled wrong is simply a key no policy tests.
//! Both give a plausible, wrong answer, so each is reported with the
//! decision: an action or service the action database does not know, an ARN
//! that is not one, and a context key that is neither a global condition key
//! nor one any service defines. `--strict` makes them errors.

use std::fmt;

use rolegate_policy::actiondb::{ActionDb, ServiceInfo};
use rolegate_policy::arn::Arn;
use rolegate_policy::eval::Request;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// The IAM User Guide's "AWS global condition context keys" (with the
/// cross-service ones it lists), which the action database, built per
/// service, does not hold. `${TagKey}` stands for any tag key. The second
/// member is the key's type, spelt as the action database spells it.
const GLOBAL_KEYS: &[(&str, &str)] = &[
    // Properties of the principal.
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalType", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    // Properties of a role session.
    ("aws:AssumedRoot", "Bool"),
    ("aws:FederatedProvider", "String"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:ChatbotSourceArn", "ARN"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    ("aws:SourceIdentity", "String"),
    ("ec2:RoleDelivery", "Numeric"),
    ("ec2:SourceInstanceArn", "ARN"),
    ("glue:RoleAssumedBy", "String"),
    ("glue:CredentialIssuingService", "String"),
    ("codebuild:BuildArn", "ARN"),
    ("codebuild:ProjectArn", "ARN"),
    ("lambda:SourceFunctionArn", "ARN"),
    ("ssm:SourceInstanceArn", "ARN"),
    ("identitystore:UserId", "String"),
    // Properties of the network.
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    ("aws:VpcSourceIp", "IPAddress"),
    // Properties of the resource.
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/${TagKey}", "String"),
    // Properties of the request.
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:ViaAWSMCPService", "Bool"),
    ("aws:CalledViaAWSMCP", "String"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),
    ("aws:referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:UserAgent", "String"),
];

/// Something in the request that is probably not what its author meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Where it is: `request.action` in a case, `--action` on the command line.
    pub field: String,
    /// A stable code; the ones lint also has mean the same there.
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.code, self.field, self.message)
    }
}

/// How warnings name the parts of a request: by the case's JSON path, or by
/// the command-line flag that set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    Case,
    Flags,
}

impl Naming {
    fn field(self, member: &str) -> String {
        match self {
            Naming::Case => format!("request.{member}"),
            Naming::Flags => format!("--{member}"),
        }
    }

    fn context_field(self, key: &str) -> String {
        match self {
            Naming::Case => format!("request.context.{key}"),
            Naming::Flags => format!("--context {key}"),
        }
    }
}

/// What checking an action found: its service when the database knows
/// it, and the warning's code and message when something is wrong.
#[derive(Clone)]
struct ActionCheck {
    service: Option<&'static ServiceInfo>,
    problem: Option<(&'static str, String)>,
}

/// Keys (and actions) remembered at most; a batch names few distinct keys, but one
/// that invents a key per line must not grow the memory without bound.
const MAX_REMEMBERED_KEYS: usize = 4096;

/// Checks requests against the action database. One per run: a batch asks
/// about the same few actions and context keys on every line, and finding
/// a key may take a search of every service, so each answer is remembered.
pub struct Checker {
    db: &'static ActionDb,
    /// An action, as the request spells it → what checking it found.
    actions: FxHashMap<String, ActionCheck>,
    /// A key, as the request spells it → its type, or `None` when unknown.
    keys: FxHashMap<String, Option<&'static str>>,
}

impl Checker {
    pub fn new() -> Checker {
        Checker {
            db: ActionDb::global(),
            actions: FxHashMap::default(),
            keys: FxHashMap::default(),
        }
    }

    pub fn check(&mut self, req: &Request, naming: Naming) -> Vec<Warning> {
        let mut warnings = Vec::new();
        let action = self.check_action(&req.action);
        let service = action.service;
        if let Some((code, message)) = action.problem {
            warnings.push(Warning {
                field: naming.field("action"),
                code,
                message,
            });
        }
        if !req.principal_arn.is_empty() {
            check_arn(
                &req.principal_arn,
                || naming.field("principal"),
                &mut warnings,
            );
        }
        if req.resource != "*" {
            check_arn(&req.resource, || naming.field("resource"), &mut warnings);
        }
        for (key, value) in &req.context {
            match self.key_type(key) {
                None => warnings.push(Warning {
                    field: naming.context_field(key),
                    code: "UNKNOWN_CONDITION_KEY",
                    message: format!(
                        "{key} is neither a global condition key nor one any service defines, so no policy tests it{}",
                        self.suggest_key(key, service)
                    ),
                }),
                Some(kind) if kind.ends_with("ARN") => {
                    for v in value.values() {
                        check_arn(v, || naming.context_field(key), &mut warnings);
                    }
                }
                Some(_) => {}
            }
        }
        warnings
    }

    /// The action's service, when the database knows it, with what is
    /// wrong with the action: worked out once per action a run meets.
    fn check_action(&mut self, action: &str) -> ActionCheck {
        if let Some(checked) = self.actions.get(action) {
            return checked.clone();
        }
        let checked = self.look_up_action(action);
        if self.actions.len() >= MAX_REMEMBERED_KEYS {
            self.actions.clear();
        }
        self.actions.insert(action.to_owned(), checked.clone());
        checked
    }

    fn look_up_action(&self, action: &str) -> ActionCheck {
        let problem = |service, code, message| ActionCheck {
            service,
            problem: Some((code, message)),
        };
        let Some((prefix, name)) = action
            .split_once(':')
            .filter(|(p, n)| !p.is_empty() && !n.is_empty())
        else {
            return problem(
                None,
                "INVALID_ACTION",
                format!("{action:?} is not service:Action"),
            );
        };
        if action.contains(['*', '?']) {
            return problem(
                self.db.service(prefix),
                "INVALID_ACTION",
                format!(
                    "{action} is a pattern; a request names one action, and policies match it literally here"
                ),
            );
        }
        let Some(service) = self.db.service(prefix) else {
            let hint = closest(prefix, self.db.services())
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            return problem(
                None,
                "UNKNOWN_SERVICE",
                format!("no AWS service has the prefix {prefix}{hint}"),
            );
        };
        if service.action(name).is_none() {
            let hint = closest(name, service.actions().map(|a| a.name()))
                .map(|a| format!(" (did you mean {}:{a}?)", service.prefix()))
                .unwrap_or_default();
            return problem(
                Some(service),
                "UNKNOWN_ACTION",
                format!("{} has no action {name}{hint}", service.prefix()),
            );
        }
        ActionCheck {
            service: Some(service),
            problem: None,
        }
    }

    /// The key's type if some policy could test it: a global key, or one
    /// any service defines. The key's own prefix is tried before every
    /// service, since services also list keys of other namespaces (`sts`
    /// lists `accounts.google.com:aud`).
    fn key_type(&mut self, key: &str) -> Option<&'static str> {
        if let Some(kind) = self.keys.get(key) {
            return *kind;
        }
        let db = self.db;
        let kind = GLOBAL_KEYS
            .iter()
            .find(|(k, _)| key_matches(k, key))
            .map(|(_, kind)| *kind)
            .or_else(|| {
                let own = key.split_once(':').and_then(|(p, _)| db.service(p));
                own.and_then(|s| service_key_type(s, key))
            })
            .or_else(|| {
                db.services()
                    .filter_map(|p| db.service(p))
                    .find_map(|s| service_key_type(s, key))
            });
        if self.keys.len() >= MAX_REMEMBERED_KEYS {
            self.keys.clear();
        }
        self.keys.insert(key.to_owned(), kind);
        kind
    }

    fn suggest_key(&self, key: &str, action_service: Option<&ServiceInfo>) -> String {
        let globals = GLOBAL_KEYS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !k.contains("${"));
        let own = action_service
            .into_iter()
            .flat_map(|s| s.condition_keys().map(|k| k.name()))
            .filter(|k| !k.contains(['$', '<']));
        closest(key, globals.chain(own))
            .map(|k| format!(" (did you mean {k}?)"))
            .unwrap_or_default()
    }
}

fn service_key_type(service: &ServiceInfo, key: &str) -> Option<&'static str> {
    service
        .condition_keys()
        .find(|k| key_matches(k.name(), key))
        .map(|k| k.value_type())
}

/// `field` is only spelt out for a warning: most ARNs are fine.
fn check_arn(value: &str, field: impl FnOnce() -> String, warnings: &mut Vec<Warning>) {
    if let Err(e) = Arn::check_pattern(value) {
        warnings.push(Warning {
            field: field(),
            code: "INVALID_ARN",
            message: format!("{value:?} is not an ARN: {e}"),
        });
    }
}

/// Does `key` fit the key name `template`, case-insensitively? A
/// placeholder (`${TagKey}`, `<key>`) stands for one or more characters.
fn key_matches(template: &str, key: &str) -> bool {
    fn go(t: &[u8], k: &[u8]) -> bool {
        let Some(start) = t.iter().position(|&b| b == b'$' || b == b'<') else {
            return t.eq_ignore_ascii_case(k);
        };
        let close = if t[start] == b'$' { b'}' } else { b'>' };
        let Some(len) = t[start..].iter().position(|&b| b == close) else {
            return t.eq_ignore_ascii_case(k);
        };
        let (prefix, rest) = (&t[..start], &t[start + len + 1..]);
        if k.len() <= prefix.len() || !k[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return false;
        }
        let k = &k[prefix.len()..];
        (1..=k.len()).any(|i| go(rest, &k[i..]))
    }
    // Most templates have no placeholder: compare lengths before anything.
    if !template.contains(['$', '<']) {
        return template.eq_ignore_ascii_case(key);
    }
    go(template.as_bytes(), key.as_bytes())
}

/// The candidate nearest to `word` (edit distance, ignoring case), if it is
/// near enough to be a typo: at most one edit per four characters.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.len() / 4).max(1);
    candidates
        .map(|c| (edit_distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_any_tag_key_and_nothing_empty() {
        assert!(key_matches(
            "aws:PrincipalTag/${TagKey}",
            "aws:principaltag/team"
        ));
        assert!(!key_matches(
            "aws:PrincipalTag/${TagKey}",
            "aws:PrincipalTag/"
        ));
        assert!(key_matches(
            "token.actions.${Domain}.ghe.com:repository",
            "token.actions.octo.ghe.com:repository"
        ));
        assert!(key_matches(
            "s3:ExistingObjectTag/<key>",
            "s3:ExistingObjectTag/x"
        ));
        assert!(!key_matches("aws:SourceIp", "aws:SourceIps"));
    }

    #[test]
    fn typos_get_the_nearest_name() {
        assert_eq!(
            closest("GetObjct", ["GetObject", "PutObject"].into_iter()),
            Some("GetObject")
        );
        assert_eq!(closest("Frobnicate", ["GetObject"].into_iter()), None);
    }
}
