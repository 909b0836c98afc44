//! Rolegate's validator, deployed in the vendor's account: for every
//! integration role a customer provisions (its `Integration Role Ready`
//! event), on a schedule, and on command, it proves with STS that the role
//! can be assumed with its ExternalId, that the session is that role, and
//! that the role refuses anyone without the ExternalId (AWS's confused-deputy
//! test). The meaning of each STS answer is decided in `checks`, purely.
//!
//! It trusts only what EventBridge vouches for: a registration is bound to
//! the account that sent it (`integration`, `store`), and a command is
//! accepted only from the vendor's command bus (`trigger`).
//!
//! The vendor's integrations live in its registry (DynamoDB, decided in
//! `rolegate_policy::registry`, stored by `rolegate_aws::registry`); the
//! schedule fans each cycle out on SQS, one message per due integration,
//! and the queue's batches come back to the handler (issue 19).

pub mod checks;
pub mod config;
pub mod handler;
pub mod integration;
pub mod metrics;
pub mod store;
pub mod sts;
pub mod trigger;

pub use config::ValidatorConfig;
pub use handler::Validator;
