//! IAM's quotas and naming rules, checked in one place.
//!
//! The spec parser rejects input that breaks them, and lint reports them on
//! policies and roles that came from elsewhere; both call these functions so
//! the rules cannot drift apart.

use thiserror::Error;

/// Size quotas that AWS may raise; everything else here is fixed by IAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Trust policy length in characters (IAM default quota 2,048; raisable to 4,096).
    pub trust_policy_chars: usize,
    /// All inline policies of one role together, whitespace not counted.
    pub inline_policies_chars: usize,
    /// One customer managed policy, whitespace not counted.
    pub managed_policy_chars: usize,
    /// Managed policies attached to one role (IAM default quota 10; raisable
    /// to 20). A permissions boundary is not an attachment and does not
    /// count. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
    /// (and https://repost.aws/knowledge-center/iam-increase-policy-size).
    pub managed_policies_per_role: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            trust_policy_chars: 2048,
            inline_policies_chars: 10_240,
            managed_policy_chars: 6_144,
            managed_policies_per_role: 10,
        }
    }
}

pub const ROLE_NAME_MAX: usize = 64;
/// Generated names append `-` and 12 random characters to the prefix.
pub const ROLE_NAME_PREFIX_MAX: usize = ROLE_NAME_MAX - 13;
pub const PATH_MAX: usize = 512;
pub const DESCRIPTION_MAX: usize = 1000;
pub const SESSION_DURATION_MIN: u32 = 3600;
pub const SESSION_DURATION_MAX: u32 = 43_200;
pub const TAGS_MAX: usize = 50;
pub const TAG_KEY_MAX: usize = 128;
pub const TAG_VALUE_MAX: usize = 256;
pub const EXTERNAL_ID_MIN: usize = 2;
pub const EXTERNAL_ID_MAX: usize = 1224;

/// A broken IAM rule. `code()` is stable; the message states the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Violation {
    #[error("role name must be 1-{max} characters, found {len}")]
    RoleNameLength { len: usize, max: usize },
    #[error("role name may contain only letters, digits and +=,.@_-; found {found:?}")]
    RoleNameCharacter { found: char },
    #[error("path must be 1-512 characters that start and end with '/', found {found:?}")]
    PathShape { found: String },
    #[error("path may contain only printable ASCII without spaces; found {found:?}")]
    PathCharacter { found: char },
    #[error("description must be at most 1000 characters, found {len}")]
    DescriptionLength { len: usize },
    #[error("description may not contain the character {found:?}")]
    DescriptionCharacter { found: char },
    #[error("MaxSessionDuration must be between 3600 and 43200 seconds, found {value}")]
    SessionDuration { value: u64 },
    #[error("external ID must be 2-1224 characters, found {len}")]
    ExternalIdLength { len: usize },
    #[error("external ID may contain only letters, digits and +=,.@:/_-; found {found:?}")]
    ExternalIdCharacter { found: char },
    #[error("a role may have at most {max} tags, found {count}")]
    TooManyTags { count: usize, max: usize },
    #[error("tag key must be 1-128 characters, found {len}")]
    TagKeyLength { len: usize },
    #[error("tag value must be at most 256 characters, found {len}")]
    TagValueLength { len: usize },
    #[error("tags may contain only letters, digits, spaces and _.:/=+-@; found {found:?}")]
    TagCharacter { found: char },
    #[error("tag key {key:?} uses the reserved prefix {prefix:?}")]
    TagReservedPrefix { key: String, prefix: &'static str },
    #[error("trust policy is {chars} characters, over the quota of {limit}")]
    TrustPolicyTooLarge { chars: usize, limit: usize },
    #[error("inline policies total {chars} non-whitespace characters, over the quota of {limit}")]
    InlinePoliciesTooLarge { chars: usize, limit: usize },
    #[error("managed policy is {chars} non-whitespace characters, over the quota of {limit}")]
    ManagedPolicyTooLarge { chars: usize, limit: usize },
    #[error(
        "the policies need {count} managed policies beside the inline ones, over the quota of {max} per role"
    )]
    TooManyManagedPolicies { count: usize, max: usize },
}

impl Violation {
    pub fn code(&self) -> &'static str {
        match self {
            Violation::RoleNameLength { .. } => "ROLE_NAME_LENGTH",
            Violation::RoleNameCharacter { .. } => "ROLE_NAME_CHARACTER",
            Violation::PathShape { .. } => "ROLE_PATH_SHAPE",
            Violation::PathCharacter { .. } => "ROLE_PATH_CHARACTER",
            Violation::DescriptionLength { .. } => "DESCRIPTION_LENGTH",
            Violation::DescriptionCharacter { .. } => "DESCRIPTION_CHARACTER",
            Violation::SessionDuration { .. } => "MAX_SESSION_DURATION_RANGE",
            Violation::ExternalIdLength { .. } => "EXTERNAL_ID_LENGTH",
            Violation::ExternalIdCharacter { .. } => "EXTERNAL_ID_CHARACTER",
            Violation::TooManyTags { .. } => "TOO_MANY_TAGS",
            Violation::TagKeyLength { .. } => "TAG_KEY_LENGTH",
            Violation::TagValueLength { .. } => "TAG_VALUE_LENGTH",
            Violation::TagCharacter { .. } => "TAG_CHARACTER",
            Violation::TagReservedPrefix { .. } => "TAG_RESERVED_PREFIX",
            Violation::TrustPolicyTooLarge { .. } => "TRUST_POLICY_TOO_LARGE",
            Violation::InlinePoliciesTooLarge { .. } => "INLINE_POLICIES_TOO_LARGE",
            Violation::ManagedPolicyTooLarge { .. } => "MANAGED_POLICY_TOO_LARGE",
            Violation::TooManyManagedPolicies { .. } => "MANAGED_POLICIES_PER_ROLE",
        }
    }

    /// What to do about it, for lint output.
    pub fn fix_hint(&self) -> &'static str {
        match self {
            Violation::RoleNameLength { .. } | Violation::RoleNameCharacter { .. } => {
                "shorten the name or use RoleNamePrefix; allowed characters are [A-Za-z0-9+=,.@_-]"
            }
            Violation::PathShape { .. } | Violation::PathCharacter { .. } => {
                "use a path such as /integrations/vendor/"
            }
            Violation::DescriptionLength { .. } | Violation::DescriptionCharacter { .. } => {
                "shorten the description to printable Latin-1 text"
            }
            Violation::SessionDuration { .. } => {
                "use a value from 3600 (1 hour) to 43200 (12 hours)"
            }
            Violation::ExternalIdLength { .. } | Violation::ExternalIdCharacter { .. } => {
                "omit ExternalId to have a random one generated"
            }
            Violation::TooManyTags { .. } => {
                "drop tags; Rolegate reserves some of the 50 for ownership"
            }
            Violation::TagKeyLength { .. }
            | Violation::TagValueLength { .. }
            | Violation::TagCharacter { .. } => "shorten the tag or remove the character",
            Violation::TagReservedPrefix { .. } => {
                "rename the tag: aws: and rolegate: keys are reserved"
            }
            Violation::TrustPolicyTooLarge { .. } => {
                "trust fewer principals, or ask AWS to raise the role trust policy length quota"
            }
            Violation::InlinePoliciesTooLarge { .. } => {
                "split the grants across roles, or move them into customer managed policies"
            }
            Violation::ManagedPolicyTooLarge { .. } => {
                "split the policy into several managed policies"
            }
            Violation::TooManyManagedPolicies { .. } => {
                "split the grants across roles, or ask AWS to raise the managed policies per role quota"
            }
        }
    }
}

pub fn check_role_name(name: &str, max: usize) -> Result<(), Violation> {
    let len = name.chars().count();
    if len == 0 || len > max {
        return Err(Violation::RoleNameLength { len, max });
    }
    match name.chars().find(|c| !is_word_or(*c, "+=,.@-")) {
        Some(found) => Err(Violation::RoleNameCharacter { found }),
        None => Ok(()),
    }
}

pub fn check_path(path: &str) -> Result<(), Violation> {
    if path.is_empty() || path.len() > PATH_MAX || !path.starts_with('/') || !path.ends_with('/') {
        return Err(Violation::PathShape {
            found: path.to_owned(),
        });
    }
    match path.chars().find(|c| !('\u{21}'..='\u{7e}').contains(c)) {
        Some(found) => Err(Violation::PathCharacter { found }),
        None => Ok(()),
    }
}

pub fn check_description(text: &str) -> Result<(), Violation> {
    let len = text.chars().count();
    if len > DESCRIPTION_MAX {
        return Err(Violation::DescriptionLength { len });
    }
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
    match text.chars().find(|c| !allowed(*c)) {
        Some(found) => Err(Violation::DescriptionCharacter { found }),
        None => Ok(()),
    }
}

pub fn check_session_duration(seconds: u64) -> Result<(), Violation> {
    if (u64::from(SESSION_DURATION_MIN)..=u64::from(SESSION_DURATION_MAX)).contains(&seconds) {
        Ok(())
    } else {
        Err(Violation::SessionDuration { value: seconds })
    }
}

pub fn check_external_id(id: &str) -> Result<(), Violation> {
    let len = id.chars().count();
    if !(EXTERNAL_ID_MIN..=EXTERNAL_ID_MAX).contains(&len) {
        return Err(Violation::ExternalIdLength { len });
    }
    match id.chars().find(|c| !is_word_or(*c, "+=,.@:/-")) {
        Some(found) => Err(Violation::ExternalIdCharacter { found }),
        None => Ok(()),
    }
}

/// Tag count against a budget (`TAGS_MAX` less what the caller reserves).
pub fn check_tag_count(count: usize, max: usize) -> Result<(), Violation> {
    if count > max {
        Err(Violation::TooManyTags { count, max })
    } else {
        Ok(())
    }
}

pub fn check_tag(key: &str, value: &str) -> Result<(), Violation> {
    let len = key.chars().count();
    if len == 0 || len > TAG_KEY_MAX {
        return Err(Violation::TagKeyLength { len });
    }
    let len = value.chars().count();
    if len > TAG_VALUE_MAX {
        return Err(Violation::TagValueLength { len });
    }
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    match key.chars().chain(value.chars()).find(|c| !allowed(*c)) {
        Some(found) => Err(Violation::TagCharacter { found }),
        None => Ok(()),
    }
}

/// User tags may not use AWS's or Rolegate's own prefixes.
pub fn check_user_tag_key(key: &str) -> Result<(), Violation> {
    for prefix in ["aws:", crate::tags::PREFIX] {
        // `get`, not indexing: the key's bytes there may split a character.
        if key
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        {
            return Err(Violation::TagReservedPrefix {
                key: key.to_owned(),
                prefix,
            });
        }
    }
    Ok(())
}

/// Characters IAM counts toward policy size quotas: all but whitespace.
pub fn policy_size(json: &str) -> usize {
    json.chars().filter(|c| !c.is_ascii_whitespace()).count()
}

pub fn check_trust_policy_size(json: &str, quotas: &Quotas) -> Result<(), Violation> {
    // The trust policy quota counts characters including whitespace.
    let chars = json.chars().count();
    if chars > quotas.trust_policy_chars {
        Err(Violation::TrustPolicyTooLarge {
            chars,
            limit: quotas.trust_policy_chars,
        })
    } else {
        Ok(())
    }
}

/// `sizes`: each inline policy's [`policy_size`].
pub fn check_inline_policies_size(
    sizes: impl IntoIterator<Item = usize>,
    quotas: &Quotas,
) -> Result<(), Violation> {
    let chars: usize = sizes.into_iter().sum();
    if chars > quotas.inline_policies_chars {
        Err(Violation::InlinePoliciesTooLarge {
            chars,
            limit: quotas.inline_policies_chars,
        })
    } else {
        Ok(())
    }
}

/// `chars`: the policy's [`policy_size`].
pub fn check_managed_policy_size(chars: usize, quotas: &Quotas) -> Result<(), Violation> {
    if chars > quotas.managed_policy_chars {
        Err(Violation::ManagedPolicyTooLarge {
            chars,
            limit: quotas.managed_policy_chars,
        })
    } else {
        Ok(())
    }
}

/// `\w` in IAM's patterns is ASCII letters, digits and `_`.
fn is_word_or(c: char, extra: &str) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || extra.contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_name_rules() {
        assert!(check_role_name("atmosphere-integration", ROLE_NAME_MAX).is_ok());
        assert!(check_role_name("a+=,.@_-b", ROLE_NAME_MAX).is_ok());
        assert_eq!(
            check_role_name("", ROLE_NAME_MAX),
            Err(Violation::RoleNameLength { len: 0, max: 64 })
        );
        assert_eq!(
            check_role_name(&"x".repeat(65), ROLE_NAME_MAX).map_err(|v| v.code()),
            Err("ROLE_NAME_LENGTH")
        );
        assert_eq!(
            check_role_name("my role", ROLE_NAME_MAX),
            Err(Violation::RoleNameCharacter { found: ' ' })
        );
    }

    #[test]
    fn path_rules() {
        assert!(check_path("/").is_ok());
        assert!(check_path("/integrations/vendor/").is_ok());
        assert!(check_path("integrations/").is_err());
        assert!(check_path("/integrations").is_err());
        assert_eq!(
            check_path("/a b/"),
            Err(Violation::PathCharacter { found: ' ' })
        );
    }

    #[test]
    fn session_duration_bounds_are_inclusive() {
        assert!(check_session_duration(3600).is_ok());
        assert!(check_session_duration(43_200).is_ok());
        assert!(check_session_duration(3599).is_err());
        assert!(check_session_duration(43_201).is_err());
    }

    #[test]
    fn external_id_rules() {
        assert!(check_external_id("ab").is_ok());
        assert!(check_external_id("Ab0+=,.@:/_-").is_ok());
        assert_eq!(
            check_external_id("a"),
            Err(Violation::ExternalIdLength { len: 1 })
        );
        assert_eq!(
            check_external_id("abc def"),
            Err(Violation::ExternalIdCharacter { found: ' ' })
        );
        assert!(check_external_id(&"a".repeat(1225)).is_err());
    }

    #[test]
    fn tag_rules() {
        assert!(check_tag("team", "data platform").is_ok());
        assert!(check_tag("", "v").is_err());
        assert!(check_tag(&"k".repeat(129), "v").is_err());
        assert!(check_tag("k", &"v".repeat(257)).is_err());
        assert_eq!(
            check_tag("k", "a;b"),
            Err(Violation::TagCharacter { found: ';' })
        );
        assert!(check_user_tag_key("AWS:cloudformation:stack-id").is_err());
        assert!(check_user_tag_key("rolegate:managed").is_err());
        assert!(check_user_tag_key("owner").is_ok());
    }

    #[test]
    fn a_tag_key_with_a_wide_character_where_a_prefix_would_end_is_checked_without_panic() {
        // Found by `make fuzz`: byte 4 falls inside the third character.
        assert!(check_user_tag_key(":H\u{2D5A3}").is_ok());
        assert!(check_user_tag_key("aw\u{2D5A3}").is_ok());
    }

    #[test]
    fn policy_size_ignores_whitespace() {
        assert_eq!(policy_size("{ \"a\" :\n 1 }"), 7);
        let q = Quotas::default();
        assert!(check_inline_policies_size([10_240], &q).is_ok());
        assert!(check_inline_policies_size([6000, 5000], &q).is_err());
        assert_eq!(policy_size("{\"\u{e9}\": 1}"), 7);
        assert!(check_trust_policy_size(&" ".repeat(2049), &q).is_err());
    }
}
