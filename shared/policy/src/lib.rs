//! Rolegate's policy crate: the pure core shared by every Rolegate Lambda.
//!
//! It models IAM policy documents and ARNs, parses the `Custom::IntegrationRole`
//! integration spec, builds least-privilege roles from it, lints policies,
//! evaluates requests and plans the IAM calls that reconcile a live role.
//! Nothing here performs I/O or depends on the AWS SDK, so every decision
//! Rolegate makes can be tested offline.

pub mod actiondb;
pub mod arn;
pub mod build;
pub mod canonical;
pub mod delivery;
pub mod document;
pub mod drift;
pub mod eval;
pub mod events;
pub mod glob;
pub mod json;
pub mod limits;
pub mod lint;
pub mod proof;
pub mod reconcile;
pub mod redact;
pub mod registry;
pub mod spec;
pub mod symbolic;
pub mod tags;
pub mod time;

pub use arn::{Arn, ArnError, Partition};
pub use build::{BuildContext, BuildError, DesiredRole, build};
pub use document::{
    ConditionBlock, ConditionValue, Effect, OneOrMany, Polarity, PolicyDocument, PolicyParseError,
    Principal, PrincipalType, Statement,
};
pub use spec::{Grant, IntegrationSpec, SpecError, Trust};
pub use time::Timestamp;
