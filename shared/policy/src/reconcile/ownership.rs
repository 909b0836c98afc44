//! Ownership tags: how Rolegate recognises the roles it may change or delete.

use std::collections::BTreeMap;

use crate::build::{DesiredRole, TAG_MANAGED};

/// CloudFormation stack that owns the role.
pub const TAG_STACK_ID: &str = "rolegate:stack-id";
/// The `Custom::IntegrationRole` resource's logical id in that stack.
pub const TAG_LOGICAL_ID: &str = "rolegate:logical-id";
/// [`DesiredRole::digest`] of the role before ownership tags were added.
pub const TAG_SPEC_DIGEST: &str = "rolegate:spec-digest";

/// The stack resource a role belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub stack_id: String,
    pub logical_id: String,
}

impl Owner {
    /// True only when the tags say Rolegate manages the role for exactly
    /// this stack and logical id; any other role is someone else's.
    pub fn owns(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(TAG_MANAGED).map(String::as_str) == Some("true")
            && tags.get(TAG_STACK_ID) == Some(&self.stack_id)
            && tags.get(TAG_LOGICAL_ID) == Some(&self.logical_id)
    }
}

/// `role` with the ownership tags added. The digest tag covers everything
/// else, so a role whose digest tag matches needs no change.
pub fn with_ownership(mut role: DesiredRole, owner: &Owner) -> DesiredRole {
    let digest = role.digest();
    role.tags
        .insert(TAG_STACK_ID.to_owned(), owner.stack_id.clone());
    role.tags
        .insert(TAG_LOGICAL_ID.to_owned(), owner.logical_id.clone());
    role.tags.insert(TAG_SPEC_DIGEST.to_owned(), digest);
    role
}
