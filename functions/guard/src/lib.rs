//! Rolegate's guard: keeps every integration role what its spec says.
//!
//! It wakes on CloudTrail IAM changes (through EventBridge, us-east-1 only),
//! on a schedule (the sweep) and on commands (revoke, restore, validate).
//! Judgement is `rolegate-policy`'s (`drift::assess`, `drift::remedy`);
//! changes go through the same reconcile engine as the provisioner
//! (`rolegate_aws::apply`). This crate reads events, loads roles, applies
//! and reports.

pub mod config;
pub mod enforce;
pub mod event;
pub mod handler;
pub mod metrics;
pub mod policy_enforce;
pub mod report;
pub mod sweep;

pub use config::GuardConfig;
pub use handler::{Guard, GuardError};
