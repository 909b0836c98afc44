//! What a reviewer reads: the output formats of `render` and `lint` beyond
//! their JSON.
//!
//! Pure functions from what the commands already compute to text, so each
//! is tested by calling it (golden files for the markdown):
//! - [`sarif`]: lint findings as a SARIF 2.1.0 log for code scanning,
//!   located in the file by [`locate`];
//! - [`markdown`]: a reviewer's summary of each rendered role (trust, a
//!   table of access, the boundary) and, for several roles, their trust
//!   chain as a Mermaid diagram ([`chain`]);
//! - [`text`]: the same summary for a terminal, coloured only when asked.
//!
//! [`summary`] reads a role once for both views.

pub mod chain;
pub mod locate;
pub mod markdown;
pub mod sarif;
pub mod summary;
pub mod text;

#[cfg(test)]
mod golden;

use rolegate_policy::DesiredRole;
use rolegate_policy::arn::Partition;
use rolegate_policy::spec::RoleNaming;

/// One role as `render` computed it: the provisioner's desired role and
/// what render knows of where it goes.
#[derive(Debug, Clone, Copy)]
pub struct RenderedRole<'a> {
    pub role: &'a DesiredRole,
    /// The template resource it comes from, when the input is a template.
    pub logical_id: Option<&'a str>,
    /// Where the role is created (render's `--account` and its partition).
    pub partition: Partition,
    pub account: &'a str,
    /// The digest of its policies, as the provisioner records it.
    pub digest: &'a str,
    /// Where its permissions boundary came from (`--boundary`, the
    /// provisioner's variable, a placeholder, the spec).
    pub boundary_source: &'a str,
}

impl RenderedRole<'_> {
    /// The role's name, `prefix-<random>` for a name IAM completes.
    pub fn name(&self) -> String {
        match &self.role.naming {
            RoleNaming::Name(n) => n.clone(),
            RoleNaming::Prefix(p) => format!("{p}-<random>"),
        }
    }

    /// The ARN the role will have; with a name prefix the random part is a
    /// placeholder, so no trust policy can name it exactly.
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:role{}{}",
            self.partition,
            self.account,
            self.role.path,
            self.name()
        )
    }
}

/// What the demo and the tests' hygiene check show in place of an
/// ExternalId (`scripts/demo.py`'s `SECRET_MASK`): a reviewer learns that
/// one is required, never its value.
pub const SECRET_MASK: &str = "••••••••";
