//! Every committed sample under events/validator parses with the
//! validator's own types, offline.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use rolegate_validator::ValidatorConfig;
use rolegate_validator::integration;
use rolegate_validator::trigger::{Trigger, parse};
use serde_json::Value;

fn sample(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/validator")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_validator_sample_parses_to_its_trigger() {
    let config = ValidatorConfig::default();
    let Trigger::Ready(detail) = parse(sample("ready.json"), &config).unwrap() else {
        panic!("ready.json is a Ready event");
    };
    let ready = integration::from_detail(&detail, None).unwrap();
    assert_eq!(
        ready.role_arn,
        "arn:aws:iam::123456789012:role/integrations/atmosphere-s3"
    );
    assert_eq!(
        parse(sample("schedule.json"), &config).unwrap(),
        Trigger::Schedule
    );
    let Trigger::Command(detail) = parse(sample("command.json"), &config).unwrap() else {
        panic!("command.json is a command");
    };
    // A command may leave the ExternalId to the store.
    assert!(
        integration::from_detail(&detail, None)
            .unwrap_err()
            .contains("detail.ExternalId")
    );
    assert!(integration::from_detail(&detail, Some(&ready.external_id)).is_ok());
    assert_eq!(
        std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/validator"))
            .unwrap()
            .count(),
        3
    );
}
