//! The EC2 instance profile of a role EC2 assumes, in the reconcile engine:
//! the profile as IAM holds it ([`LiveInstanceProfile`]), whether it is
//! Rolegate's, and the operations that give the role its profile
//! ([`super::diff`], [`super::plan_create`]) or take it away
//! ([`super::plan_delete`]).
//!
//! The rule. A role whose [`DesiredRole::instance_profile`] is set has one
//! instance profile of its own name and path, tagged with the role's
//! ownership tags ([`instance_profile_tags`]): that profile is desired
//! state, made with the role, put back by the guard, deleted with the role.
//! Any other profile holding an integration role is drift (it hands the
//! role to instances nobody reviewed in the spec), as an attached managed
//! policy is: a restore removes the role from it and leaves the profile,
//! which is not Rolegate's to delete; a quarantine leaves it where it is
//! (the quarantined role denies everything, and lifting the quarantine
//! restores); report mode reports it. A customer's profile that already
//! bears the role's name is never adopted: a Create refuses it
//! ([`check_instance_profile`]) before writing anything.

use std::collections::BTreeMap;

use thiserror::Error;

use super::plan::Operation;
use super::{LiveRole, Owner, is_managed};
use crate::build::DesiredRole;
use crate::tags;

/// The role's tags that its instance profile carries too: who owns it.
const PROFILE_TAG_KEYS: [&str; 3] = [tags::MANAGED, tags::STACK_ID, tags::LOGICAL_ID];

/// An instance profile that holds the role, or that bears the role's name
/// (which may be Rolegate's even when a tamper took the role out of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveInstanceProfile {
    pub name: String,
    pub path: String,
    /// The profile's tags, as far as IAM returned them: always for the
    /// profile of the role's name (read with GetInstanceProfile).
    pub tags: BTreeMap<String, String>,
    /// Whether the profile holds the role (IAM lets a profile hold one).
    pub holds_role: bool,
}

impl LiveInstanceProfile {
    /// A profile holding the role, untagged: anyone's but Rolegate's.
    pub fn holding(name: &str, path: &str) -> LiveInstanceProfile {
        LiveInstanceProfile {
            name: name.to_owned(),
            path: path.to_owned(),
            tags: BTreeMap::new(),
            holds_role: true,
        }
    }
}

/// The tags of a role's instance profile: the role's ownership tags
/// (`rolegate:managed`, stack id, logical id), taken from `role_tags`.
pub fn instance_profile_tags(role_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    PROFILE_TAG_KEYS
        .iter()
        .filter_map(|key| Some(((*key).to_owned(), role_tags.get(*key)?.clone())))
        .collect()
}

/// True when `profile` is the instance profile Rolegate made for role
/// `role_name` whose (ownership) tags are `role_tags`: the role's name, and
/// the same owner's tags. Anything else is someone else's.
pub fn is_rolegates_profile(
    profile: &LiveInstanceProfile,
    role_name: &str,
    role_tags: &BTreeMap<String, String>,
) -> bool {
    let want = instance_profile_tags(role_tags);
    profile.name == role_name
        && is_managed(&want)
        && want.iter().all(|(k, v)| profile.tags.get(k) == Some(v))
}

/// The operations that bring the role's instance profiles to `desired`:
/// its own profile made (CreateInstanceProfile, then AddRoleToInstanceProfile,
/// which [`super::RoleDiff::into_plan`] puts in a later stage) or given the
/// role back, and the role removed from every other profile. A same-named
/// profile that is not Rolegate's is only emptied of the role: creating
/// over it would fail, and filling it would adopt it.
pub(super) fn profile_changes(live: &LiveRole, desired: &DesiredRole) -> Vec<Operation> {
    let mut ops = Vec::new();
    let ours = |p: &&LiveInstanceProfile| {
        desired.instance_profile && is_rolegates_profile(p, &live.name, &desired.tags)
    };
    match live.instance_profiles.iter().find(ours) {
        Some(own) if !own.holds_role => ops.push(Operation::AddRoleToInstanceProfile {
            instance_profile: own.name.clone(),
        }),
        Some(_) => {}
        None if desired.instance_profile
            && !live.instance_profiles.iter().any(|p| p.name == live.name) =>
        {
            ops.push(Operation::CreateInstanceProfile {
                name: live.name.clone(),
                path: desired.path.clone(),
                tags: instance_profile_tags(&desired.tags),
            });
            ops.push(Operation::AddRoleToInstanceProfile {
                instance_profile: live.name.clone(),
            });
        }
        None => {}
    }
    for profile in &live.instance_profiles {
        if profile.holds_role && !ours(&profile) {
            ops.push(Operation::RemoveRoleFromInstanceProfile {
                instance_profile: profile.name.clone(),
            });
        }
    }
    ops
}

/// Creating the role's profile: made in the stage after CreateRole (so a
/// refused CreateRole leaves no profile behind), filled in the stage after.
pub(super) fn profile_create(role_name: &str, desired: &DesiredRole) -> Option<[Operation; 2]> {
    desired.instance_profile.then(|| {
        [
            Operation::CreateInstanceProfile {
                name: role_name.to_owned(),
                path: desired.path.clone(),
                tags: instance_profile_tags(&desired.tags),
            },
            Operation::AddRoleToInstanceProfile {
                instance_profile: role_name.to_owned(),
            },
        ]
    })
}

/// Deleting the role: out of every profile first (IAM refuses DeleteRole
/// while a profile holds it), then Rolegate's own profile deleted beside
/// DeleteRole (IAM refuses to delete a profile that holds a role). Only
/// Rolegate's profile is deleted; anyone else's is left, emptied.
pub(super) fn profile_removals(live: &LiveRole) -> (Vec<Operation>, Vec<Operation>) {
    let empty = live
        .instance_profiles
        .iter()
        .filter(|p| p.holds_role)
        .map(|p| Operation::RemoveRoleFromInstanceProfile {
            instance_profile: p.name.clone(),
        })
        .collect();
    let delete = live
        .instance_profiles
        .iter()
        .filter(|p| is_rolegates_profile(p, &live.name, &live.tags))
        .map(|p| Operation::DeleteInstanceProfile {
            instance_profile: p.name.clone(),
        })
        .collect();
    (empty, delete)
}

/// A role EC2 assumes gets the instance profile of its own name, which a
/// customer's profile may already bear.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "RoleName: instance profile {name} already exists and is not Rolegate's for this stack's {logical_id}; a role EC2 assumes gets an instance profile of its own name, and Rolegate never adopts one it did not create: choose another RoleName or remove that instance profile"
)]
pub struct InstanceProfileTaken {
    pub name: String,
    pub logical_id: String,
}

impl InstanceProfileTaken {
    pub fn code(&self) -> &'static str {
        "INSTANCE_PROFILE_TAKEN"
    }
}

/// Whether role `name`, as `desired`, may have its instance profile:
/// `existing` is the profile of that name IAM holds, if any. Only a
/// profile this stack resource's own earlier attempt made may be there.
pub fn check_instance_profile(
    name: &str,
    desired: &DesiredRole,
    existing: Option<&LiveInstanceProfile>,
    owner: &Owner,
) -> Result<(), InstanceProfileTaken> {
    match existing {
        Some(profile) if desired.instance_profile && !owner.owns(&profile.tags) => {
            Err(InstanceProfileTaken {
                name: name.to_owned(),
                logical_id: owner.logical_id.clone(),
            })
        }
        _ => Ok(()),
    }
}
