//! The registry's decisions, without a store.

use super::item::{Attr, Item};
use super::*;
use proptest::prelude::*;

const A: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";
const DAY: Duration = Duration::from_secs(86_400);

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_epoch_seconds(1_790_000_000 + seconds)
}

fn registration(external_id: &str) -> Registration {
    Registration {
        role_arn: ROLE.into(),
        external_id: external_id.into(),
        sender_account: Some(A.into()),
        vendor_tenant_id: Some("tenant-42".into()),
    }
}

fn new_record() -> Record {
    match register(None, registration("the-real-external-id-1234"), &at(0)) {
        Ok(w) => w.record,
        Err(e) => panic!("{e}"),
    }
}

fn rejected(check: Check) -> Outcome {
    Outcome::Rejected {
        failed_check: Some(check),
        reason: format!("{check:?} failed after 3 attempts"),
    }
}

fn written(recorded: Recorded) -> (Record, bool) {
    match recorded {
        Recorded::Write { write, changed } => (write.record, changed),
        Recorded::Superseded { newer } => panic!("superseded by {newer}"),
    }
}

#[test]
fn a_ready_event_creates_a_record_only_where_none_exists_and_then_updates_it_keeping_first_seen() {
    let first = register(None, registration("the-real-external-id-1234"), &at(0));
    let Ok(first) = first else {
        panic!("{first:?}");
    };
    assert_eq!(first.expected_version, None, "created only if absent");
    assert_eq!(first.record.key.pk(), "account#123456789012");
    assert_eq!(first.record.key.sk(), format!("role#{ROLE}"));
    let (validated, _) = written(record_outcome(&first.record, Outcome::Validated, &at(5)));
    let again = register(
        Some(&validated),
        registration("a-new-external-id-5678"),
        &at(100),
    );
    let Ok(again) = again else {
        panic!("{again:?}");
    };
    assert_eq!(again.expected_version, Some(validated.version));
    assert_eq!(again.record.version, validated.version + 1);
    assert_eq!(again.record.first_seen, at(0));
    assert_eq!(again.record.external_id, "a-new-external-id-5678");
    assert_eq!(again.record.last_outcome, Some(Outcome::Validated));
}

#[test]
fn a_registration_of_something_that_is_not_a_role_is_refused_naming_role_arn() {
    let mut bad = registration("the-real-external-id-1234");
    bad.role_arn = "arn:aws:iam::123456789012:user/alice".into();
    let got = register(None, bad, &at(0));
    assert!(
        matches!(&got, Err(e) if e.field() == "RoleArn" && e.code() == "REGISTRY_FIELD_INVALID"),
        "{got:?}"
    );
}

#[test]
fn the_status_answers_failing_never_validated_stale_or_ok() {
    let record = new_record();
    assert_eq!(record.status(&at(10), DAY), Status::NeverValidated);
    let (ok, _) = written(record_outcome(&record, Outcome::Validated, &at(10)));
    assert_eq!(ok.status(&at(20), DAY), Status::Ok);
    assert_eq!(ok.status(&at(10 + 2 * 86_400), DAY), Status::Stale);
    let (failing, _) = written(record_outcome(
        &ok,
        rejected(Check::AssumeWithExternalId),
        &at(30),
    ));
    // Failing wins over stale: the vendor must see the failure.
    assert_eq!(failing.status(&at(30 + 9 * 86_400), DAY), Status::Failing);
}

#[test]
fn consecutive_failures_count_from_the_first_failure_and_reset_on_a_validation() {
    let record = new_record();
    let (one, changed) = written(record_outcome(
        &record,
        rejected(Check::AssumeWithExternalId),
        &at(10),
    ));
    assert!(changed);
    assert_eq!(
        (one.consecutive_failures, one.failing_since.clone()),
        (1, Some(at(10)))
    );
    let (two, changed) = written(record_outcome(
        &one,
        rejected(Check::AssumeWithExternalId),
        &at(20),
    ));
    assert!(!changed, "the same failed check again is no change");
    assert_eq!(
        (two.consecutive_failures, two.failing_since.clone()),
        (2, Some(at(10)))
    );
    let (three, changed) = written(record_outcome(
        &two,
        rejected(Check::DeniedWithoutExternalId),
        &at(30),
    ));
    assert!(changed, "another failed check is a change");
    assert_eq!(three.consecutive_failures, 3);
    assert_eq!(three.failing_since, Some(at(10)), "still failing since 10");
    let (ok, changed) = written(record_outcome(&three, Outcome::Validated, &at(40)));
    assert!(changed);
    assert_eq!((ok.consecutive_failures, ok.failing_since), (0, None));
}

#[test]
fn a_rejection_is_emitted_once_across_failing_cycles_and_a_validation_every_time() {
    let outcomes = [
        rejected(Check::CallerIdentity),
        rejected(Check::CallerIdentity),
        rejected(Check::CallerIdentity),
        Outcome::Validated,
        Outcome::Validated,
    ];
    let mut record = new_record();
    let mut emitted = Vec::new();
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let (next, changed) = written(record_outcome(&record, outcome.clone(), &at(i as i64)));
        emitted.push(emits(&outcome, changed, false));
        record = next;
    }
    assert_eq!(emitted, [true, false, false, true, true]);
    // Asked for (a Ready event, a command): always answered.
    assert!(emits(&rejected(Check::CallerIdentity), false, true));
}

#[test]
fn a_stale_outcome_never_overwrites_a_newer_one() {
    let (newer, _) = written(record_outcome(&new_record(), Outcome::Validated, &at(100)));
    assert_eq!(
        record_outcome(&newer, rejected(Check::CallerIdentity), &at(50)),
        Recorded::Superseded { newer: at(100) }
    );
}

#[test]
fn due_records_are_the_never_validated_and_those_not_validated_in_the_fresh_window() {
    let record = new_record();
    assert!(is_due(&record, &at(0), FRESH_FOR));
    let (validated, _) = written(record_outcome(&record, Outcome::Validated, &at(0)));
    assert!(!is_due(&validated, &at(60), FRESH_FOR), "just validated");
    assert!(is_due(&validated, &at(900), FRESH_FOR));
    // An hourly or a daily cycle reaches every record it validated before.
    assert!(is_due(&validated, &at(3600 - 120), FRESH_FOR));
    assert!(is_due(&validated, &at(86_400 - 120), FRESH_FOR));
}

#[test]
fn a_role_validated_before_waits_briefly_and_a_new_one_the_full_time() {
    let full = Duration::from_secs(60);
    let record = new_record();
    assert_eq!(assume_wait(&record, full), full);
    let (failing, _) = written(record_outcome(
        &record,
        rejected(Check::AssumeWithExternalId),
        &at(1),
    ));
    assert_eq!(assume_wait(&failing, full), REVALIDATION_WAIT);
    assert_eq!(
        assume_wait(&failing, Duration::from_secs(2)),
        Duration::from_secs(2)
    );
}

#[test]
fn migration_writes_only_where_no_record_is() {
    let got = migrate(None, registration("the-real-external-id-1234"), &at(0));
    assert!(matches!(&got, Ok(Some(w)) if w.expected_version.is_none()));
    let existing = new_record();
    assert_eq!(
        migrate(Some(&existing), registration("another-id-0000"), &at(5)),
        Ok(None)
    );
}

#[test]
fn a_delivered_message_is_validated_once_and_an_unknown_one_named() {
    let record = new_record();
    let message = QueueMessage::of(&record, &at(100));
    let (key, enqueued) = match QueueMessage::parse(&message.body()) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(key, record.key);
    assert_eq!(disposition(Some(&record), &enqueued), Disposition::Validate);
    let (validated, _) = written(record_outcome(&record, Outcome::Validated, &at(100)));
    assert_eq!(
        disposition(Some(&validated), &enqueued),
        Disposition::Duplicate {
            validated_at: at(100)
        }
    );
    assert_eq!(disposition(None, &enqueued), Disposition::Unknown);
}

#[test]
fn the_same_integration_twice_in_one_batch_is_validated_once() {
    let record = new_record();
    let first = QueueMessage::of(&record, &at(100)).body();
    let retried = QueueMessage::of(&record, &at(160)).body();
    let mut other = record.clone();
    other.key = Key::of_role_arn("arn:aws:iam::123456789012:role/integrations/other")
        .unwrap_or_else(|e| panic!("{e}"));
    let other = QueueMessage::of(&other, &at(100)).body();
    assert_eq!(
        message::repeated_in_batch(&[&first, "junk", "junk", &other, &retried]),
        [false, false, false, false, true]
    );
}

#[test]
fn a_malformed_message_names_its_field() {
    let cases = [
        ("not json", "body"),
        ("[1]", "body"),
        (
            r#"{"Account": "123456789012", "EnqueuedAt": "2026-01-01T00:00:00Z"}"#,
            "RoleArn",
        ),
        (
            r#"{"RoleArn": "arn:aws:iam::123456789012:user/x", "Account": "123456789012", "EnqueuedAt": "2026-01-01T00:00:00Z"}"#,
            "RoleArn",
        ),
        (
            r#"{"RoleArn": "arn:aws:iam::123456789012:role/x", "Account": "999988887777", "EnqueuedAt": "2026-01-01T00:00:00Z"}"#,
            "Account",
        ),
        (
            r#"{"RoleArn": "arn:aws:iam::123456789012:role/x", "Account": "123456789012", "EnqueuedAt": "yesterday"}"#,
            "EnqueuedAt",
        ),
    ];
    for (body, field) in cases {
        let got = QueueMessage::parse(body);
        assert!(
            matches!(&got, Err(e) if e.field() == field && e.code() == "QUEUE_MESSAGE_MALFORMED"
                && e.to_string().starts_with(&format!("message {field}: "))),
            "{body}: {got:?}"
        );
    }
}

#[test]
fn a_record_round_trips_through_its_stored_item() {
    let record = new_record();
    assert_eq!(Record::from_item(&record.to_item()), Ok(record.clone()));
    let (failing, _) = written(record_outcome(
        &record,
        rejected(Check::DeniedWithWrongExternalId),
        &at(7),
    ));
    assert_eq!(Record::from_item(&failing.to_item()), Ok(failing));
}

#[test]
fn a_malformed_stored_record_is_one_error_naming_the_field() {
    let (good, _) = written(record_outcome(
        &new_record(),
        rejected(Check::CallerIdentity),
        &at(7),
    ));
    let item = good.to_item();
    let edit = |f: &dyn Fn(&mut Item)| {
        let mut i = item.clone();
        f(&mut i);
        Record::from_item(&i)
    };
    let cases: Vec<(&str, Result<Record, RegistryError>, &str)> = vec![
        (
            "no ExternalId",
            edit(&|i| {
                i.remove("ExternalId");
            }),
            "ExternalId",
        ),
        (
            "ExternalId too short",
            edit(&|i| {
                i.insert("ExternalId".into(), Attr::S("x".into()));
            }),
            "ExternalId",
        ),
        (
            "version a string",
            edit(&|i| {
                i.insert("Version".into(), Attr::S("7".into()));
            }),
            "Version",
        ),
        (
            "failures not a number",
            edit(&|i| {
                i.insert("ConsecutiveFailures".into(), Attr::N("-1".into()));
            }),
            "ConsecutiveFailures",
        ),
        (
            "a list where a timestamp goes",
            edit(&|i| {
                i.insert("FirstSeen".into(), Attr::Other("a list"));
            }),
            "FirstSeen",
        ),
        (
            "a bad timestamp",
            edit(&|i| {
                i.insert("LastValidated".into(), Attr::S("soon".into()));
            }),
            "LastValidated",
        ),
        (
            "an unknown check",
            edit(&|i| {
                i.insert("FailedCheck".into(), Attr::S("Telepathy".into()));
            }),
            "FailedCheck",
        ),
        (
            "an unknown outcome",
            edit(&|i| {
                i.insert("LastOutcome".into(), Attr::S("Maybe".into()));
            }),
            "LastOutcome",
        ),
        (
            "another account's partition",
            edit(&|i| {
                i.insert("pk".into(), Attr::S("account#999988887777".into()));
            }),
            "pk",
        ),
        (
            "another sender",
            edit(&|i| {
                i.insert("SenderAccount".into(), Attr::S("999988887777".into()));
            }),
            "SenderAccount",
        ),
    ];
    for (what, got, field) in cases {
        let Err(e) = got else {
            panic!("{what}: read");
        };
        assert_eq!(e.field(), field, "{what}: {e}");
        assert!(e.to_string().starts_with(field), "{what}: {e}");
        assert!(
            !e.to_string().contains("the-real-external-id"),
            "{what}: {e}"
        );
    }
}

fn outcome_strategy() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Validated),
        Just(rejected(Check::AssumeWithExternalId)),
        Just(rejected(Check::CallerIdentity)),
        Just(rejected(Check::DeniedWithoutExternalId)),
        Just(Outcome::Rejected {
            failed_check: None,
            reason: "bad input".into()
        }),
    ]
}

proptest! {
    /// Over any run of outcomes: consecutive failures is the length of the
    /// trailing run of rejections, failing since is that run's first time,
    /// a rejection is emitted exactly when the failed check changes, and
    /// the record reads back from its stored item unchanged.
    #[test]
    fn any_run_of_outcomes_keeps_the_record_consistent(
        run in proptest::collection::vec(outcome_strategy(), 1..30)
    ) {
        let mut record = new_record();
        let mut previous: Option<Outcome> = None;
        for (i, outcome) in run.iter().enumerate() {
            let (next, changed) = written(record_outcome(&record, outcome.clone(), &at(i as i64)));
            prop_assert_eq!(changed, is_change(previous.as_ref(), outcome));
            let trailing = run[..=i].iter().rev().take_while(|o| o.is_rejected()).count();
            prop_assert_eq!(next.consecutive_failures as usize, trailing);
            let since = (trailing > 0).then(|| at((i + 1 - trailing) as i64));
            prop_assert_eq!(&next.failing_since, &since);
            prop_assert_eq!(next.version, record.version + 1);
            prop_assert_eq!(Record::from_item(&next.to_item()), Ok(next.clone()));
            previous = Some(outcome.clone());
            record = next;
        }
    }

    /// Whatever a message body holds, parsing it answers, never panics.
    #[test]
    fn any_message_body_parses_or_names_a_field(body in ".{0,200}") {
        if let Err(e) = QueueMessage::parse(&body) {
            prop_assert_eq!(e.code(), "QUEUE_MESSAGE_MALFORMED");
        }
    }
}

#[test]
fn a_removal_deletes_the_record_at_the_version_read_unless_another_account_registered_it() {
    let record = new_record();
    assert_eq!(
        remove(Some(&record), A),
        Removal::Delete {
            key: record.key.clone(),
            expected_version: record.version,
        }
    );
    assert_eq!(remove(None, A), Removal::Absent, "nothing to remove twice");
    let other = Record {
        sender_account: Some("999988887777".into()),
        ..record.clone()
    };
    assert_eq!(
        remove(Some(&other), A),
        Removal::OtherSender {
            registered_by: "999988887777".into()
        }
    );
    let migrated = Record {
        sender_account: None,
        ..record
    };
    assert!(matches!(remove(Some(&migrated), A), Removal::Delete { .. }));
}
