//! Every committed sample under events/provisioner parses with the
//! provisioner's own types, offline, into the request its name says.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use rolegate_policy::IntegrationSpec;
use rolegate_provisioner::event::{Action, parse};

#[test]
fn every_provisioner_sample_parses_to_its_request_type_and_a_valid_spec() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/provisioner");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let request = parse(value).unwrap_or_else(|e| panic!("{name}: {}", e.reason));
        let expected = match &request.action {
            Action::Create => "create",
            Action::Update { .. } => "update",
            Action::Delete { .. } => "delete",
        };
        assert_eq!(name, expected);
        IntegrationSpec::from_properties(&request.properties)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        seen.push(name);
    }
    seen.sort();
    assert_eq!(seen, ["create", "delete", "update"]);
}
