//! Amazon Resource Names.
//!
//! `arn:partition:service:region:account:resource`. Spec fields take concrete
//! ARNs ([`Arn::parse`]); policy `Resource` elements may hold patterns with
//! `*` and `?` in any part ([`Arn::parse_pattern`]).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The AWS partitions Rolegate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The DNS suffix of service endpoints and S3 presigned URLs.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
            Partition::AwsCn => "amazonaws.com.cn",
        }
    }

    /// The partition a region belongs to.
    pub fn of_region(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::AwsCn
        } else if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }
}

impl FromStr for Partition {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aws" => Ok(Partition::Aws),
            "aws-cn" => Ok(Partition::AwsCn),
            "aws-us-gov" => Ok(Partition::AwsUsGov),
            other => Err(ArnError::UnknownPartition(other.to_owned())),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed ARN. Kept as the original text plus the positions of its five
/// ':' separators, so `to_string()` returns the input and parsing allocates once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    text: String,
    /// Byte offsets of the ':' ending partition, service, region and account.
    ends: [usize; 4],
}

/// Why a string is not an acceptable ARN.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArnError {
    #[error("an ARN must start with \"arn:\"")]
    MissingPrefix,
    #[error(
        "an ARN has six ':'-separated parts (arn:partition:service:region:account:resource), found {0}"
    )]
    TooFewParts(usize),
    #[error("unknown partition {0:?}: expected aws, aws-cn or aws-us-gov")]
    UnknownPartition(String),
    #[error("the service part is empty")]
    EmptyService,
    #[error("invalid service {0:?}: lowercase letters, digits and '-' only")]
    InvalidService(String),
    #[error("invalid region {0:?}: lowercase letters, digits and '-' only")]
    InvalidRegion(String),
    #[error("invalid account {0:?}: expected 12 digits, \"aws\" or empty")]
    InvalidAccount(String),
    #[error("the resource part is empty")]
    EmptyResource,
    #[error("wildcards are not allowed in a concrete ARN (found in the {0} part)")]
    WildcardNotAllowed(&'static str),
    #[error("whitespace or control characters are not allowed in an ARN")]
    InvalidCharacter,
}

impl Arn {
    /// Parses a concrete ARN: no `*` or `?` anywhere.
    pub fn parse(s: &str) -> Result<Arn, ArnError> {
        let ends = check(s)?;
        let parts = split(s, &ends);
        for (name, part) in ["partition", "service", "region", "account", "resource"]
            .into_iter()
            .zip(parts)
        {
            if has_wildcard(part) {
                return Err(ArnError::WildcardNotAllowed(name));
            }
        }
        Ok(Arn {
            text: s.to_owned(),
            ends,
        })
    }

    /// Parses an ARN that may contain `*` and `?` wildcards in any part,
    /// as a policy `Resource` or an `ArnLike` condition value may.
    pub fn parse_pattern(s: &str) -> Result<Arn, ArnError> {
        let ends = check(s)?;
        Ok(Arn {
            text: s.to_owned(),
            ends,
        })
    }

    /// Validates an ARN pattern without keeping it (lint's hot path).
    pub fn check_pattern(s: &str) -> Result<(), ArnError> {
        check(s).map(|_| ())
    }

    /// Builds an ARN from parts the caller has already validated.
    pub fn new(
        partition: Partition,
        service: &str,
        region: &str,
        account: &str,
        resource: &str,
    ) -> Arn {
        let text = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
        let p = 4 + partition.as_str().len();
        let s = p + 1 + service.len();
        let r = s + 1 + region.len();
        let a = r + 1 + account.len();
        Arn {
            text,
            ends: [p, s, r, a],
        }
    }

    fn parts(&self) -> [&str; 5] {
        split(&self.text, &self.ends)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The partition, or `None` when it is a wildcard pattern.
    pub fn partition(&self) -> Option<Partition> {
        Partition::from_str(self.partition_str()).ok()
    }

    pub fn partition_str(&self) -> &str {
        self.parts()[0]
    }

    pub fn service(&self) -> &str {
        self.parts()[1]
    }

    pub fn region(&self) -> &str {
        self.parts()[2]
    }

    pub fn account(&self) -> &str {
        self.parts()[3]
    }

    /// Everything after the fifth ':', e.g. `role/integrations/x` or `table/T/index/*`.
    pub fn resource(&self) -> &str {
        self.parts()[4]
    }

    /// The resource type prefix, up to the first `/` or `:` (`role`, `table`,
    /// `function`), or `None` for resources that are a bare name (S3 buckets,
    /// SQS queues, SNS topics).
    pub fn resource_type(&self) -> Option<&str> {
        let resource = self.resource();
        resource.find(['/', ':']).map(|i| &resource[..i])
    }

    /// The resource after its type prefix, or the whole resource.
    pub fn resource_id(&self) -> &str {
        let resource = self.resource();
        match resource.find(['/', ':']) {
            Some(i) => &resource[i + 1..],
            None => resource,
        }
    }

    /// True when any part holds `*` or `?`.
    pub fn is_pattern(&self) -> bool {
        has_wildcard(&self.text)
    }

    /// For an IAM role ARN, its path and name: `role/integrations/x` → (`/integrations/`, `x`).
    pub fn iam_role_path_and_name(&self) -> Option<(String, &str)> {
        if self.service() != "iam" {
            return None;
        }
        let rest = self.resource().strip_prefix("role/")?;
        let (path, name) = match rest.rfind('/') {
            Some(i) => (format!("/{}/", &rest[..i]), &rest[i + 1..]),
            None => ("/".to_owned(), rest),
        };
        (!name.is_empty()).then_some((path, name))
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Arn {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arn::parse(s)
    }
}

/// Validates `s` as an ARN pattern; returns the separator offsets.
fn check(s: &str) -> Result<[usize; 4], ArnError> {
    // ASCII bytes first: whitespace and control characters there are the
    // bytes up to ' ' and DEL. Only text with other bytes is decoded. (No
    // early exit: the loop then runs a vector of bytes at a time.)
    let unusual = s.bytes().fold(false, |u, b| u | (b <= b' ') | (b >= 0x7f));
    if unusual && s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ArnError::InvalidCharacter);
    }
    let rest = s.strip_prefix("arn:").ok_or(ArnError::MissingPrefix)?;
    let mut ends = [0usize; 4];
    let mut found = 0;
    for (i, b) in rest.bytes().enumerate() {
        if b == b':' {
            ends[found] = 4 + i;
            found += 1;
            if found == 4 {
                break;
            }
        }
    }
    if found < 4 {
        return Err(ArnError::TooFewParts(found + 2));
    }
    let [partition, service, region, account, resource] = split(s, &ends);
    if !has_wildcard(partition) {
        Partition::from_str(partition)?;
    }
    if service.is_empty() {
        return Err(ArnError::EmptyService);
    }
    if !service
        .bytes()
        .all(|b| is_lower_alnum_dash(b) || is_wild(b))
    {
        return Err(ArnError::InvalidService(service.to_owned()));
    }
    if !region.bytes().all(|b| is_lower_alnum_dash(b) || is_wild(b)) {
        return Err(ArnError::InvalidRegion(region.to_owned()));
    }
    let account_ok = account.is_empty()
        || account == "aws"
        || has_wildcard(account) && account.bytes().all(|b| b.is_ascii_digit() || is_wild(b))
        || is_account_id(account);
    if !account_ok {
        return Err(ArnError::InvalidAccount(account.to_owned()));
    }
    if resource.is_empty() {
        return Err(ArnError::EmptyResource);
    }
    Ok(ends)
}

fn split<'s>(s: &'s str, ends: &[usize; 4]) -> [&'s str; 5] {
    [
        &s[4..ends[0]],
        &s[ends[0] + 1..ends[1]],
        &s[ends[1] + 1..ends[2]],
        &s[ends[2] + 1..ends[3]],
        &s[ends[3] + 1..],
    ]
}

fn has_wildcard(s: &str) -> bool {
    s.bytes().any(is_wild)
}

fn is_wild(b: u8) -> bool {
    b == b'*' || b == b'?'
}

fn is_lower_alnum_dash(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

/// An AWS account ID: exactly twelve ASCII digits. The one reading of it
/// that ARNs, specs and canonical forms share.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_partition_and_keeps_parts_verbatim() {
        for (s, p) in [
            (
                "arn:aws:dynamodb:us-east-1:966208727603:table/AtmosphereSampleTable",
                Partition::Aws,
            ),
            ("arn:aws-cn:s3:::bucket/key", Partition::AwsCn),
            (
                "arn:aws-us-gov:iam::111122223333:role/integrations/x",
                Partition::AwsUsGov,
            ),
        ] {
            let arn = Arn::parse(s).map_err(|e| e.to_string());
            assert_eq!(arn.as_ref().map(|a| a.partition()), Ok(Some(p)));
            assert_eq!(arn.map(|a| a.to_string()).as_deref(), Ok(s));
        }
    }

    #[test]
    fn splits_resource_type_and_id() {
        let a =
            Arn::parse("arn:aws:lambda:us-east-1:966208727603:function:atmosphereSampleFunction");
        let a = a.ok();
        assert_eq!(a.as_ref().and_then(|a| a.resource_type()), Some("function"));
        assert_eq!(
            a.as_ref().map(|a| a.resource_id()),
            Some("atmosphereSampleFunction")
        );
        let bucket = Arn::parse("arn:aws:s3:::atmospheresamplebucket").ok();
        assert_eq!(bucket.as_ref().and_then(|a| a.resource_type()), None);
    }

    #[test]
    fn role_path_and_name_are_extracted() {
        let a = Arn::parse("arn:aws:iam::111122223333:role/integrations/vendor/x").ok();
        assert_eq!(
            a.as_ref().and_then(|a| a.iam_role_path_and_name()),
            Some(("/integrations/vendor/".to_owned(), "x"))
        );
        let b = Arn::parse("arn:aws:iam::111122223333:role/atc-node").ok();
        assert_eq!(
            b.as_ref().and_then(|a| a.iam_role_path_and_name()),
            Some(("/".to_owned(), "atc-node"))
        );
    }

    #[test]
    fn wildcards_are_patterns_not_concrete_arns() {
        let s = "arn:aws:s3:::bucket/prefix/*";
        assert_eq!(Arn::parse(s), Err(ArnError::WildcardNotAllowed("resource")));
        assert!(Arn::parse_pattern(s).is_ok_and(|a| a.is_pattern()));
        assert!(Arn::parse_pattern("arn:*:iam::*:role/*").is_ok());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("s3:::bucket", ArnError::MissingPrefix),
            ("arn:aws:s3", ArnError::TooFewParts(3)),
            (
                "arn:aws-eu:s3:::b",
                ArnError::UnknownPartition("aws-eu".into()),
            ),
            ("arn:aws::us-east-1:1:x", ArnError::EmptyService),
            ("arn:aws:S3:::b", ArnError::InvalidService("S3".into())),
            (
                "arn:aws:sqs:US-EAST-1:111122223333:q",
                ArnError::InvalidRegion("US-EAST-1".into()),
            ),
            (
                "arn:aws:sqs:us-east-1:1234:q",
                ArnError::InvalidAccount("1234".into()),
            ),
            (
                "arn:aws:sqs:us-east-1:111122223333:",
                ArnError::EmptyResource,
            ),
            ("arn:aws:s3:::my bucket", ArnError::InvalidCharacter),
        ];
        for (input, want) in cases {
            assert_eq!(Arn::parse(input), Err(want), "{input}");
        }
    }

    #[test]
    fn aws_managed_policy_account_is_accepted() {
        assert!(Arn::parse("arn:aws:iam::aws:policy/AdministratorAccess").is_ok());
    }

    #[test]
    fn partition_of_region() {
        assert_eq!(Partition::of_region("cn-north-1"), Partition::AwsCn);
        assert_eq!(Partition::of_region("us-gov-west-1"), Partition::AwsUsGov);
        assert_eq!(Partition::of_region("eu-central-1"), Partition::Aws);
    }

    #[test]
    fn whitespace_and_control_characters_are_refused_ascii_or_not() {
        let mut chars: Vec<char> = (0u8..=0x7f).map(char::from).collect();
        chars.extend([
            '\u{80}', '\u{85}', '\u{9f}', '\u{a0}', 'é', '\u{2028}', '\u{3000}', '\u{feff}',
        ]);
        for c in chars {
            let arn = format!("arn:aws:s3:::bucket{c}/key");
            let refused = matches!(check(&arn), Err(ArnError::InvalidCharacter));
            assert_eq!(refused, c.is_whitespace() || c.is_control(), "{c:?}");
        }
    }
}
