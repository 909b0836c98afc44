//! Rolegate's imperative shell over AWS: reads a role's live state from IAM,
//! applies the policy crate's reconcile [`Plan`](rolegate_policy::reconcile::Plan),
//! keeps the durable role record in SSM and notifies vendors on EventBridge.
//!
//! Every decision is made in `rolegate-policy`; this crate only talks to AWS,
//! so the provisioner and the guard share one IAM choreography.

mod clients;
mod clock;
mod error;
mod executor;
mod live;
mod notify;
mod records;

pub use clients::Clients;
pub use clock::now;
pub use error::AwsError;
pub use executor::{Applied, apply};
pub use live::read_role;
pub use notify::{EVENT_SOURCE, INTEGRATION_ROLE_READY, notify_ready};
pub use records::{delete_record, get_record, put_record};
