//! `rolegate render --format markdown` prints the golden summaries: the
//! binary's pipeline and the format module's golden tests agree, byte for
//! byte, on every fixture spec.

#![allow(clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;

#[test]
fn render_markdown_of_every_fixture_spec_is_its_golden_file() {
    let golden = repo().join("shared/cli/tests/golden/markdown");
    let mut checked = 0;
    for entry in std::fs::read_dir(repo().join("tests/fixtures")).expect("fixtures") {
        let dir = entry.expect("entry").path();
        let spec = dir.join("spec.json");
        if !spec.is_file() {
            continue;
        }
        let name = dir.file_name().and_then(|n| n.to_str()).expect("name");
        let out = Command::new(env!("CARGO_BIN_EXE_rolegate"))
            .args(["render", "--format", "markdown"])
            .arg(&spec)
            .current_dir(repo())
            .env_remove("ROLEGATE_PERMISSIONS_BOUNDARY_ARN")
            .output()
            .expect("rolegate runs");
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let expected =
            std::fs::read_to_string(golden.join(format!("{name}.md"))).expect("golden file");
        assert_eq!(stdout(&out), expected, "{name}");
        checked += 1;
    }
    assert!(checked >= 11, "{checked} fixtures");
}
