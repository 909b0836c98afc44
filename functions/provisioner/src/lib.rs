//! Rolegate's provisioner: the `Custom::IntegrationRole` CloudFormation
//! custom resource. A thin shell: the spec, the least-privilege build, the
//! proof and the reconcile plan come from `rolegate-policy`; IAM, SSM and
//! EventBridge calls from `rolegate-aws`. This crate adds the
//! CloudFormation protocol: parsing requests defensively, physical ids,
//! the deadline guard and response delivery.

pub mod event;
pub mod handler;
pub mod lifecycle;
pub mod naming;
pub mod responder;
pub mod response;
pub mod rules;

pub use handler::Provisioner;
