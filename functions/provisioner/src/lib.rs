//! Rolegate's provisioner: the `Custom::IntegrationRole` CloudFormation
//! custom resource. A thin shell: the spec, the least-privilege build, the
//! proof and the reconcile plan come from `rolegate-policy`; IAM, SSM and
//! EventBridge calls from `rolegate-aws`. This crate adds the
//! CloudFormation protocol: parsing requests defensively, physical ids,
//! the deadline guard and response delivery.

pub mod config;
pub mod event;
pub mod external_id;
pub mod handler;
pub mod lifecycle;
pub mod metrics;
pub mod physical_id;
pub mod policy_lifecycle;
pub mod response;
pub mod role_name;

pub use handler::Provisioner;
