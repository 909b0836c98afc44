//! The vendor's registry of integrations, pure (issue 19): what the
//! validator knows of each customer role, and every decision about it.
//! The store (DynamoDB, `rolegate_aws::registry`) and the queue the
//! validation cycle fans out on (SQS) only carry what this module decides.
//!
//! - [`Record`]: one integration, keyed by customer account and role ARN
//!   ([`Key`]): its ExternalId, first seen, last validated, the last
//!   outcome with its failed check, consecutive failures and since when.
//! - [`Record::status`]: failing, never validated, stale or ok, from a
//!   `now` and a staleness window: the vendor's question "who is broken,
//!   since when?".
//! - Transitions: [`register`] (an `Integration Role Ready` upserts),
//!   [`record_outcome`] (a validation's outcome; a stale outcome never
//!   overwrites a newer one; whether it is a *change*, so `Integration
//!   Rejected` is emitted on a change, not every cycle), [`migrate`] (an
//!   SSM entry from before the registry, written only where no record is),
//!   [`remove`] (an `Integration Role Removed` deletes the record).
//! - The cycle: [`is_due`] (which records the schedule enqueues: those
//!   not validated in the last [`FRESH_FOR`]),
//!   [`message`] (one queue message per due integration, and what a
//!   delivered message means: validate, duplicate, or unknown).
//!
//! Every write carries the version it read ([`Write::expected_version`]):
//! the store writes only if the record is still that version, so two
//! validators racing on one record cannot lose an outcome or count a
//! failure twice; the loser re-reads and decides again.

pub mod err;
pub mod item;
pub mod message;

use std::fmt;
use std::time::Duration;

use crate::Arn;
use crate::events::validation::Check;
use crate::time::Timestamp;

pub use err::RegistryError;
pub use item::{Attr, Item};
pub use message::{Disposition, QueueMessage, disposition};

/// A record's key: the customer account (partition) and the role
/// (sort). One account's integrations are one partition, so the vendor can
/// list a customer's roles with one Query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub account: String,
    pub role_arn: String,
}

impl Key {
    /// The key of an IAM role ARN with a 12-digit account, or why not.
    pub fn of_role_arn(role_arn: &str) -> Result<Key, String> {
        let arn = Arn::parse(role_arn).map_err(|e| format!("is not an ARN ({e})"))?;
        if arn.iam_role_path_and_name().is_none() {
            return Err("is not an IAM role ARN".into());
        }
        let account = arn.account();
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err("has no 12-digit account id".into());
        }
        Ok(Key {
            account: account.to_owned(),
            role_arn: role_arn.to_owned(),
        })
    }

    /// The partition key: `account#<id>`.
    pub fn pk(&self) -> String {
        format!("account#{}", self.account)
    }

    /// The sort key: `role#<role ARN>`.
    pub fn sk(&self) -> String {
        format!("role#{}", self.role_arn)
    }
}

/// A validation's outcome as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Validated,
    Rejected {
        /// The check that failed; `None` when the input was refused before
        /// any check.
        failed_check: Option<Check>,
        reason: String,
    },
}

impl Outcome {
    pub fn is_rejected(&self) -> bool {
        matches!(self, Outcome::Rejected { .. })
    }
}

/// One integration. No derived Debug: it holds the ExternalId.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Key,
    pub external_id: String,
    /// The account that registered it (its Ready event's envelope
    /// account); `None` for an entry migrated from before sender binding.
    pub sender_account: Option<String>,
    pub vendor_tenant_id: Option<String>,
    pub first_seen: Timestamp,
    /// When the last outcome was recorded; `None`: never validated.
    pub last_validated: Option<Timestamp>,
    pub last_outcome: Option<Outcome>,
    /// The first of the current run of failures.
    pub failing_since: Option<Timestamp>,
    pub consecutive_failures: u32,
    /// Bumped by every write; the store's condition.
    pub version: u64,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("key", &self.key)
            .field("external_id", &"[redacted]")
            .field("sender_account", &self.sender_account)
            .field("vendor_tenant_id", &self.vendor_tenant_id)
            .field("first_seen", &self.first_seen)
            .field("last_validated", &self.last_validated)
            .field("last_outcome", &self.last_outcome)
            .field("failing_since", &self.failing_since)
            .field("consecutive_failures", &self.consecutive_failures)
            .field("version", &self.version)
            .finish()
    }
}

/// What the vendor asks of a record, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// The last outcome was a rejection.
    Failing,
    /// Registered, no outcome yet.
    NeverValidated,
    /// Validated, but longer ago than the staleness window: the cycle is
    /// not reaching it.
    Stale,
    Ok,
}

impl Record {
    /// The record's status at `now`; `stale_after` is the age past which a
    /// validation no longer counts (a few schedule intervals).
    pub fn status(&self, now: &Timestamp, stale_after: Duration) -> Status {
        match (&self.last_outcome, &self.last_validated) {
            (Some(o), _) if o.is_rejected() => Status::Failing,
            (None, _) | (_, None) => Status::NeverValidated,
            (Some(_), Some(at)) if age(at, now) > stale_after => Status::Stale,
            _ => Status::Ok,
        }
    }
}

/// How long before `now` `at` was; zero when `at` is later.
fn age(at: &Timestamp, now: &Timestamp) -> Duration {
    let seconds = now.epoch_seconds().saturating_sub(at.epoch_seconds());
    Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// A registration: what an `Integration Role Ready` event (bound to its
/// sender) or a migrated SSM entry says of a role.
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    pub role_arn: String,
    pub external_id: String,
    pub sender_account: Option<String>,
    pub vendor_tenant_id: Option<String>,
}

/// A record to write, and the version the store must still hold for the
/// write to land (`None`: no record may exist yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub record: Record,
    pub expected_version: Option<u64>,
}

/// An `Integration Role Ready` upserts: a new record, or the existing one
/// with the registration's ExternalId, sender and tenant. First seen and
/// the outcome history are kept; a changed ExternalId (a replaced role)
/// keeps them too, and the validation that follows every registration
/// records the new outcome.
pub fn register(
    existing: Option<&Record>,
    registration: Registration,
    now: &Timestamp,
) -> Result<Write, RegistryError> {
    let key =
        Key::of_role_arn(&registration.role_arn).map_err(|rule| RegistryError::InvalidField {
            field: "RoleArn",
            rule,
        })?;
    let record = match existing {
        Some(old) => Record {
            external_id: registration.external_id,
            sender_account: registration.sender_account.or(old.sender_account.clone()),
            vendor_tenant_id: registration.vendor_tenant_id,
            version: old.version + 1,
            ..old.clone()
        },
        None => Record {
            key,
            external_id: registration.external_id,
            sender_account: registration.sender_account,
            vendor_tenant_id: registration.vendor_tenant_id,
            first_seen: now.clone(),
            last_validated: None,
            last_outcome: None,
            failing_since: None,
            consecutive_failures: 0,
            version: 1,
        },
    };
    Ok(Write {
        record,
        expected_version: existing.map(|r| r.version),
    })
}

/// A migrated SSM entry: written only where the registry has no record,
/// so running the migration twice, or after a Ready event, changes nothing.
pub fn migrate(
    existing: Option<&Record>,
    registration: Registration,
    now: &Timestamp,
) -> Result<Option<Write>, RegistryError> {
    match existing {
        Some(_) => Ok(None),
        None => register(None, registration, now).map(Some),
    }
}

/// What an `Integration Role Removed` (bound to its sender) does to the
/// record of the role it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Delete the record, if the store still holds this version: a Ready
    /// or an outcome written since is re-read and decided again.
    Delete { key: Key, expected_version: u64 },
    /// No record: never registered (a role whose Ready was refused), or
    /// removed already (the event delivered twice).
    Absent,
    /// The record was registered by another account than the one removing
    /// it; it is left as it is.
    OtherSender { registered_by: String },
}

/// The removal of `existing` asked by `sender` (the Removed event's
/// envelope account, already checked to be the role's account). The record
/// is deleted, not marked: the registry lists integrations to validate,
/// and a removed role has nothing left to validate; a mark would be read
/// by every cycle's scan and filtered by every reader, forever. What
/// happened stays in the events (Removed on the bus, and the validator's
/// log line). A record migrated from before sender binding (no sender)
/// is removed by its role's account.
pub fn remove(existing: Option<&Record>, sender: &str) -> Removal {
    match existing {
        None => Removal::Absent,
        Some(record) => match &record.sender_account {
            Some(registered_by) if registered_by != sender => Removal::OtherSender {
                registered_by: registered_by.clone(),
            },
            _ => Removal::Delete {
                key: record.key.clone(),
                expected_version: record.version,
            },
        },
    }
}

/// What recording an outcome does.
// One per validation, consumed at once: boxing the record would cost more
// than the size difference does.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Write this; `changed` says whether the outcome differs from the
    /// last one (a rejection's failed check counts, its wording does not).
    Write { write: Write, changed: bool },
    /// The record already holds a later outcome: this one is stale and is
    /// neither written nor counted.
    Superseded { newer: Timestamp },
}

/// Records `outcome`, reached at `at`, on `record`.
pub fn record_outcome(record: &Record, outcome: Outcome, at: &Timestamp) -> Recorded {
    if let Some(last) = &record.last_validated
        && last.epoch_seconds() > at.epoch_seconds()
    {
        return Recorded::Superseded {
            newer: last.clone(),
        };
    }
    let changed = is_change(record.last_outcome.as_ref(), &outcome);
    let was_failing = record
        .last_outcome
        .as_ref()
        .is_some_and(Outcome::is_rejected);
    let (consecutive_failures, failing_since) = match (&outcome, was_failing) {
        (Outcome::Validated, _) => (0, None),
        (Outcome::Rejected { .. }, true) => (
            record.consecutive_failures.saturating_add(1),
            record.failing_since.clone().or(Some(at.clone())),
        ),
        (Outcome::Rejected { .. }, false) => (1, Some(at.clone())),
    };
    Recorded::Write {
        write: Write {
            record: Record {
                last_validated: Some(at.clone()),
                last_outcome: Some(outcome),
                consecutive_failures,
                failing_since,
                version: record.version + 1,
                ..record.clone()
            },
            expected_version: Some(record.version),
        },
        changed,
    }
}

/// Whether `next` is a change from `previous`: a first outcome, a switch
/// between validated and rejected, or a rejection for another check. A
/// rejection's reason is not compared: it carries attempt counts and
/// timings that differ every cycle.
pub fn is_change(previous: Option<&Outcome>, next: &Outcome) -> bool {
    match (previous, next) {
        (None, _) => true,
        (Some(Outcome::Validated), Outcome::Validated) => false,
        (
            Some(Outcome::Rejected {
                failed_check: a, ..
            }),
            Outcome::Rejected {
                failed_check: b, ..
            },
        ) => a != b,
        _ => true,
    }
}

/// Whether an outcome's event is emitted. What someone asked for (a Ready
/// event, a command) is always answered, and so is a validation; a
/// scheduled rejection only when it is a change, so a broken role raises
/// one `Integration Rejected`, not one a cycle.
pub fn emits(outcome: &Outcome, changed: bool, asked: bool) -> bool {
    asked || changed || !outcome.is_rejected()
}

/// Whether the schedule enqueues `record` at `now`: never validated, or
/// last validated at least `fresh_for` ago. A validation younger than that
/// (a Ready event's just before the cycle, or the cycle's own when Lambda
/// retries the schedule) is not repeated; `fresh_for` is far shorter than
/// the schedule's interval, so every other record is validated every cycle
/// whatever the interval, which the validator is not told.
pub fn is_due(record: &Record, now: &Timestamp, fresh_for: Duration) -> bool {
    match &record.last_validated {
        None => true,
        Some(at) => age(at, now) >= fresh_for,
    }
}

/// The default `fresh_for`: 15 minutes.
pub const FRESH_FOR: Duration = Duration::from_secs(900);

/// How long a validation waits for the role to become assumable. A role
/// never validated may be new (IAM takes seconds to make a new role
/// assumable), so it gets the full wait; a role validated before is not
/// new, and a broken one must cost only a short bounded wait, not hold a
/// consumer for a minute (issue 19).
pub fn assume_wait(record: &Record, full: Duration) -> Duration {
    match record.last_outcome {
        None => full,
        Some(_) => full.min(REVALIDATION_WAIT),
    }
}

/// The wait for a role validated before: enough for a throttled or
/// briefly unavailable STS (the SDK retries inside it), far from a minute.
pub const REVALIDATION_WAIT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests;
