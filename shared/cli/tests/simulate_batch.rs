//! `rolegate simulate --batch`: JSON lines in, one JSON line out per case,
//! in order; a bad line is reported and the batch goes on; bad input exits 2.

#![allow(clippy::expect_used)]

mod common;

use common::*;

const ALLOWED: &str = "action-star.json";
const DENIED_BY_BOUNDARY: &str = "boundary-deny.json";
const IMPLICIT: &str = "logic-default-deny.json";

fn write_batch(test: &str, lines: &[String]) -> String {
    let file = temp_dir(test).join("cases.jsonl");
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&file, text).expect("write batch");
    file.to_string_lossy().into_owned()
}

#[test]
fn batch_writes_one_json_line_per_case_in_input_order() {
    let lines = [
        corpus_line(ALLOWED),
        corpus_line(DENIED_BY_BOUNDARY),
        corpus_line(IMPLICIT),
        corpus_line(ALLOWED),
    ];
    let file = write_batch("order", &lines);
    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = json_lines(&out);
    let got: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["decision"].as_str().expect("decision"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, "Allowed"),
            (2, "ExplicitlyDenied"),
            (3, "ImplicitlyDenied"),
            (4, "Allowed")
        ]
    );
    assert_eq!(rows[1]["decidedBy"], "PermissionsBoundary");
    let matched = rows[1]["matched"].as_array().expect("matched");
    assert_eq!(
        matched.last().map(|m| &m["effect"]),
        Some(&"Deny".into()),
        "{}",
        rows[1]
    );
}

#[test]
fn batch_reads_standard_input_and_skips_blank_lines() {
    let input = format!("{}\n\n{}\n", corpus_line(ALLOWED), corpus_line(IMPLICIT));
    let out = rolegate_with_stdin(&["simulate", "--batch", "-"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["line"].as_u64(), rows[1]["line"].as_u64()),
        (Some(1), Some(3))
    );
}

#[test]
fn batch_line_that_is_not_json_is_reported_and_the_batch_goes_on() {
    let lines = [
        corpus_line(ALLOWED),
        "{\"request\": nope}".to_owned(),
        corpus_line(IMPLICIT),
    ];
    let file = write_batch("not-json", &lines);
    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0]["decision"], "Allowed");
    assert_eq!(rows[1]["line"], 2);
    assert_eq!(rows[1]["error"]["code"], "NOT_JSON", "{}", rows[1]);
    assert_eq!(rows[2]["decision"], "ImplicitlyDenied");
    let err = stderr(&out);
    assert!(err.contains(&format!("{file}:2:14: not JSON")), "{err}");
}

#[test]
fn batch_case_whose_policy_is_not_a_policy_names_the_layer() {
    let mut case: serde_json::Value = serde_json::from_str(&corpus_line(ALLOWED)).expect("JSON");
    case["policies"]["identity"][0] = serde_json::json!({"Statement": "allow everything"});
    let lines = [corpus_line(ALLOWED), case.to_string()];
    let file = write_batch("not-a-policy", &lines);
    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let rows = json_lines(&out);
    assert_eq!(rows[1]["error"]["code"], "INVALID_POLICIES", "{}", rows[1]);
    assert_eq!(
        rows[1]["error"]["field"], "policies.identity[0]",
        "{}",
        rows[1]
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{file}:2: policies.identity[0]")),
        "{err}"
    );
}

#[test]
fn batch_case_without_a_request_names_the_missing_field() {
    let mut case: serde_json::Value = serde_json::from_str(&corpus_line(ALLOWED)).expect("JSON");
    case.as_object_mut().expect("object").remove("request");
    let file = write_batch("missing", &[case.to_string()]);
    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(2));
    let rows = json_lines(&out);
    assert_eq!(rows[0]["error"]["field"], "request", "{}", rows[0]);
    assert_eq!(rows[0]["error"]["code"], "MISSING_FIELD", "{}", rows[0]);
}

#[test]
fn batch_of_an_empty_file_exits_2_naming_the_file() {
    let file = temp_dir("empty").join("empty.jsonl");
    std::fs::write(&file, "").expect("write");
    let file = file.to_string_lossy().into_owned();
    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains(&file) && err.contains("no cases"), "{err}");
    // Blank lines only are no cases either.
    std::fs::write(&file, "\n  \n\n").expect("write");
    assert_eq!(
        rolegate(&["simulate", "--batch", &file]).status.code(),
        Some(2)
    );
}

#[test]
fn batch_file_of_1_gib_is_refused_before_reading() {
    // Sparse: no disk space used, and the size check never reads it.
    let file = temp_dir("huge").join("huge.jsonl");
    std::fs::File::create(&file)
        .and_then(|f| f.set_len(1 << 30))
        .expect("sparse file");
    let path = file.to_string_lossy().into_owned();
    let started = std::time::Instant::now();
    let out = rolegate(&["simulate", "--batch", &path]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains(&path)
            && err.contains("1073741824 bytes")
            && err.contains("--max-input-bytes"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn batch_from_standard_input_stops_at_the_input_limit() {
    let line = corpus_line(ALLOWED);
    let input = format!("{line}\n").repeat(10);
    let limit = (line.len() + 1) * 3 + 10;
    let out = rolegate_with_stdin(
        &[
            "simulate",
            "--batch",
            "-",
            "--max-input-bytes",
            &limit.to_string(),
        ],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    let rows = json_lines(&out);
    assert_eq!(
        rows.len(),
        4,
        "three cases decided, then the limit: {rows:?}"
    );
    assert_eq!(rows[3]["line"], 4);
    assert_eq!(rows[3]["error"]["code"], "INPUT_TOO_LARGE", "{}", rows[3]);
    let err = stderr(&out);
    assert!(err.contains("standard input:4: "), "{err}");
}

#[test]
fn batch_line_of_10_mb_is_refused_and_the_batch_goes_on() {
    let mut huge: serde_json::Value = serde_json::from_str(&corpus_line(ALLOWED)).expect("JSON");
    huge["description"] = "x".repeat(10 * 1024 * 1024).into();
    let lines = [
        corpus_line(ALLOWED),
        huge.to_string(),
        corpus_line(IMPLICIT),
    ];
    let file = write_batch("long-line", &lines);
    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(2));
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 3, "{}", stderr(&out));
    assert_eq!(rows[1]["error"]["code"], "LINE_TOO_LONG", "{}", rows[1]);
    assert_eq!(rows[2]["decision"], "ImplicitlyDenied");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{file}:2: ")) && err.contains("--max-line-bytes"),
        "{err}"
    );
}

#[test]
fn batch_line_limit_is_configurable() {
    let line = corpus_line(ALLOWED);
    let file = write_batch("line-limit", std::slice::from_ref(&line));
    let limit = (line.len() - 1).to_string();
    let out = rolegate(&["simulate", "--batch", &file, "--max-line-bytes", &limit]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_lines(&out)[0]["error"]["code"], "LINE_TOO_LONG");
    let limit = line.len().to_string();
    let out = rolegate(&["simulate", "--batch", &file, "--max-line-bytes", &limit]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn batch_over_the_whole_corpus_decides_every_case() {
    let dir = repo().join("shared/policy/tests/eval_cases");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let lines: Vec<String> = names.iter().map(|n| corpus_line(n)).collect();
    let file = write_batch("corpus", &lines);
    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = json_lines(&out);
    assert_eq!(rows.len(), names.len());
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["line"].as_u64(), Some(i as u64 + 1));
        assert!(row["decision"].is_string(), "{}: {row}", names[i]);
    }
}

#[test]
fn batch_is_an_alternative_to_a_case_file_and_policy_flags() {
    let out = rolegate(&[
        "simulate",
        "--batch",
        "-",
        "shared/policy/tests/eval_cases/action-star.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--batch reads its cases from FILE"),
        "{}",
        stderr(&out)
    );
    let out = rolegate(&["simulate", "--batch", "-", "--action", "s3:GetObject"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--batch reads its cases from FILE"));
}
