//! `rolegate render --format text`: the reviewer's summary for a terminal,
//! plain when standard output is not one (as here, a pipe) or `NO_COLOR`
//! is set.

#![allow(clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;

fn render_text(no_color: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolegate"));
    cmd.args([
        "render",
        "--format",
        "text",
        "tests/fixtures/aspera-s3-access-keys/spec.json",
    ])
    .current_dir(repo());
    match no_color {
        Some(v) => cmd.env("NO_COLOR", v),
        None => cmd.env_remove("NO_COLOR"),
    };
    let out = cmd.output().expect("rolegate runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn render_text_into_a_pipe_is_plain_and_masks_the_external_id() {
    for no_color in [None, Some("1")] {
        let text = render_text(no_color);
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.starts_with("Role atc-s3-access-keys\n"), "{text}");
        assert!(
            text.contains("when StringEquals sts:ExternalId = ••••••••"),
            "{text}"
        );
        assert!(!text.contains("aspera-atc-5c1e7f20"), "{text}");
        assert!(text.contains("  s3  List, Read, Write\n"), "{text}");
    }
}
