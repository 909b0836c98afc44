//! Every committed sample under events/validator parses with the
//! validator's own types, offline, to the trigger and verdict it shows.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use rolegate_validator::ValidatorConfig;
use rolegate_validator::integration::{self, Refusal};
use rolegate_validator::trigger::{Trigger, TriggerError, parse};
use serde_json::Value;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/validator")
}

fn sample(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(samples().join(name)).unwrap()).unwrap()
}

#[test]
fn every_validator_sample_parses_to_its_trigger() {
    let config = ValidatorConfig::default();
    let Trigger::Ready { sender, detail } = parse(sample("ready.json"), &config).unwrap() else {
        panic!("ready.json is a Ready event");
    };
    let ready = integration::from_ready(sender.as_deref(), &detail).unwrap();
    assert_eq!(
        ready.role_arn,
        "arn:aws:iam::123456789012:role/integrations/atmosphere-s3"
    );
    assert_eq!(ready.sender_account.as_deref(), Some("123456789012"));
    assert_eq!(ready.vendor_tenant_id.as_deref(), Some("tenant-8f3a2c"));
    assert_eq!(
        parse(sample("schedule.json"), &config).unwrap(),
        Trigger::Schedule
    );
    let Trigger::Command(detail) = parse(sample("command.json"), &config).unwrap() else {
        panic!("command.json is a command from the command bus");
    };
    // A command may leave the ExternalId to the store.
    assert!(
        integration::from_command(&detail, None)
            .unwrap_err()
            .contains("detail.ExternalId")
    );
    assert!(integration::from_command(&detail, Some(&ready)).is_ok());
    assert_eq!(std::fs::read_dir(samples()).unwrap().count(), 4);
}

#[test]
fn the_hijack_sample_is_refused_as_a_registration_from_another_account() {
    let config = ValidatorConfig::default();
    let Trigger::Ready { sender, detail } = parse(sample("hijack.json"), &config).unwrap() else {
        panic!("hijack.json is a Ready event");
    };
    let Err(Refusal::Sender(mismatch)) = integration::from_ready(sender.as_deref(), &detail) else {
        panic!("hijack.json must be refused for its sender");
    };
    assert_eq!(mismatch.code(), "REGISTRATION_ACCOUNT_MISMATCH");
}

#[test]
fn the_command_sample_unwrapped_is_a_bare_command_and_refused() {
    let bare = sample("command.json")["Command"].clone();
    let Err(TriggerError::NotFromCommandBus(e)) = parse(bare, &ValidatorConfig::default()) else {
        panic!("a bare command is refused");
    };
    assert_eq!(e.code(), "COMMAND_NOT_FROM_COMMAND_BUS");
}
