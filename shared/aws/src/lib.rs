//! Rolegate's imperative shell over AWS: reads a role's live state from IAM,
//! applies the policy crate's reconcile [`Plan`](rolegate_policy::reconcile::Plan),
//! keeps the durable role record in SSM and notifies vendors on EventBridge.
//!
//! Every decision is made in `rolegate-policy`; this crate only talks to AWS,
//! so the provisioner and the guard share one IAM choreography.

mod clients;
mod clock;
mod conflict_retry;
mod error;
mod executor;
mod live;
mod managed;
pub mod metrics;
mod notify;
mod policy_records;
mod records;
pub mod registry;
mod runtime;
mod settings;

pub use clients::{Clients, RECORD_KEY_VARIABLE};
pub use clock::{budget, now};
pub use conflict_retry::again_on;
pub use error::AwsError;
pub use executor::{Applied, apply};
pub use live::{read_instance_profile, read_role};
pub use managed::{managed_policy_documents, roles_with_policy};
pub use notify::{EVENT_SOURCE, INTEGRATION_ROLE_READY, notify_ready, put_event};
pub use policy_records::{
    RoleIdentity, delete_policy_record, get_stored_policy_record, put_policy_record,
    read_inline_policy, read_role_identity, trusted_policy_record,
};
pub use records::{
    StoredRecord, delete_marker, delete_record, get_marker, get_secure, get_stored_record,
    list_records, list_secure, put_marker, put_record, put_secure, trust_stored, trusted_record,
};
pub use runtime::{AWS_MAX_ATTEMPTS, init_tracing, load_sdk_config, retry_config};
pub use settings::{ConfigError, number_setting, setting};
