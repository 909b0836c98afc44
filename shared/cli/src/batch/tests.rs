//! `simulate --batch` against the batch code as it was before it was made
//! fast (commit faee8d9), kept here as the reference: the same lines must
//! give byte for byte the same output and exit, whatever the line holds.
//!
//! The inputs are the benchmark's own generator (`bench/gen_cases.py`,
//! python3, which `make test` requires anyway), the evaluator's corpus, and
//! lines built from them to reach every path of the reader: members in
//! another order, spacing, escapes, duplicates, nulls, bad JSON, bad UTF-8,
//! policy sets that differ from a cached one by a byte, the limits.

use std::io::{self, BufRead, Read, Write};
use std::path::Path;
use std::process::Command;

use rolegate_policy::eval::{Evaluation, MatchedStatement, evaluate};
use serde::Serialize;
use serde::ser::Serializer;

use super::{BatchArgs, LineError, report, stream};
use crate::Outcome;
use crate::case::{self, PolicyCache};
use crate::check::{Checker, Naming, Warning};

// ---- the reference: the batch loop and output of faee8d9, unchanged ----

#[derive(Serialize)]
struct Decided<'a> {
    line: u64,
    decision: &'static str,
    #[serde(rename = "decidedBy")]
    decided_by: &'static str,
    #[serde(serialize_with = "matched")]
    matched: &'a [MatchedStatement],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [Warning],
}

#[derive(Serialize)]
struct Failed<'a> {
    line: u64,
    error: ErrorBody<'a>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [Warning],
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    message: &'a str,
}

fn matched<S: Serializer>(list: &&[MatchedStatement], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Matched<'a> {
        layer: &'static str,
        policy: &'a str,
        statement: usize,
        sid: Option<&'a str>,
        effect: &'static str,
    }
    s.collect_seq(list.iter().map(|m| Matched {
        layer: m.layer.as_str(),
        policy: &m.policy,
        statement: m.index,
        sid: m.sid.as_deref(),
        effect: m.effect.as_str(),
    }))
}

fn reference_stream(
    args: &BatchArgs,
    strict: bool,
    name: &str,
    reader: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<Outcome, String> {
    let mut cache = PolicyCache::default();
    let mut checker = Checker::new();
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut consumed: u64 = 0;
    let (mut line_no, mut cases, mut bad) = (0u64, 0u64, 0u64);
    let read_error = |e: io::Error| format!("cannot read {name}: {e}");
    loop {
        line_no += 1;
        buf.clear();
        let budget = args.max_input_bytes.saturating_sub(consumed);
        let cap = args.max_line_bytes.min(budget).saturating_add(1);
        let n = reader
            .by_ref()
            .take(cap)
            .read_until(b'\n', &mut buf)
            .map_err(read_error)? as u64;
        if n == 0 {
            break;
        }
        consumed += n;
        let mut text: &[u8] = &buf;
        let error = if consumed > args.max_input_bytes {
            Some(LineError::InputTooLarge {
                limit: args.max_input_bytes,
            })
        } else if text.last() == Some(&b'\n') {
            text = &text[..text.len() - 1];
            None
        } else if n == cap {
            let budget = args.max_input_bytes.saturating_sub(consumed);
            let skipped = reader
                .by_ref()
                .take(budget.saturating_add(1))
                .skip_until(b'\n')
                .map_err(read_error)? as u64;
            consumed += skipped;
            Some(if consumed > args.max_input_bytes {
                LineError::InputTooLarge {
                    limit: args.max_input_bytes,
                }
            } else {
                LineError::TooLong {
                    limit: args.max_line_bytes,
                }
            })
        } else {
            None
        };
        if error.is_none() && text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        cases += 1;
        let stop = matches!(error, Some(LineError::InputTooLarge { .. }));
        let result = match error {
            Some(e) => Err(e),
            None => reference_decide(text, &mut cache, &mut checker, strict),
        };
        let written = match &result {
            Ok((evaluation, warnings)) => serde_json::to_writer(
                &mut *out,
                &Decided {
                    line: line_no,
                    decision: evaluation.decision.as_str(),
                    decided_by: evaluation.decided_by.as_str(),
                    matched: &evaluation.matched,
                    warnings,
                },
            ),
            Err(e) => {
                bad += 1;
                report(name, line_no, e);
                let message = e.message();
                serde_json::to_writer(
                    &mut *out,
                    &Failed {
                        line: line_no,
                        error: ErrorBody {
                            code: e.code(),
                            field: e.field(),
                            column: e.column(),
                            message: &message,
                        },
                        warnings: match e {
                            LineError::Strict(w) => w,
                            _ => &[],
                        },
                    },
                )
            }
        };
        let written = written
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(format!("cannot write standard output: {e}")),
        }
        if stop {
            break;
        }
    }
    if cases == 0 {
        return Err(format!(
            "{name}: no cases; a batch holds one case per line, in the format of shared/policy/tests/eval_cases/"
        ));
    }
    Ok(if bad == 0 {
        Outcome::Clean
    } else {
        Outcome::BadInput
    })
}

fn reference_decide(
    text: &[u8],
    cache: &mut PolicyCache,
    checker: &mut Checker,
    strict: bool,
) -> Result<(Evaluation, Vec<Warning>), LineError> {
    let text = std::str::from_utf8(text).map_err(|e| LineError::NotUtf8 {
        column: e.valid_up_to() + 1,
    })?;
    let (set, request) = case::read(text, cache).map_err(LineError::Case)?;
    let warnings = checker.check(&request, Naming::Case);
    if strict && !warnings.is_empty() {
        return Err(LineError::Strict(warnings));
    }
    Ok((evaluate(set, &request), warnings))
}

// ---- the comparison ----

fn outcome(r: &Result<Outcome, String>) -> String {
    match r {
        Ok(Outcome::Clean) => "clean".into(),
        Ok(Outcome::BadInput) => "bad input".into(),
        Ok(Outcome::Findings) => "findings".into(),
        Ok(Outcome::Denied) => "denied".into(),
        Err(e) => format!("error: {e}"),
    }
}

/// Runs both on `input` and fails at the first line that differs.
fn same_as_reference(what: &str, input: &[u8], max_line_bytes: u64, max_input_bytes: u64) {
    let args = BatchArgs {
        path: "cases.jsonl".into(),
        max_line_bytes,
        max_input_bytes,
    };
    for strict in [false, true] {
        let (mut want, mut got) = (Vec::new(), Vec::new());
        let want_end = reference_stream(&args, strict, "cases.jsonl", &mut &input[..], &mut want);
        let got_end = stream(&args, strict, "cases.jsonl", &mut &input[..], &mut got);
        let context = format!(
            "{what} (strict {strict}, --max-line-bytes {max_line_bytes}, --max-input-bytes {max_input_bytes})"
        );
        let mut want_lines = want.split(|&b| b == b'\n');
        let mut got_lines = got.split(|&b| b == b'\n');
        for n in 1.. {
            match (want_lines.next(), got_lines.next()) {
                (None, None) => break,
                (w, g) => assert_eq!(
                    g.map(String::from_utf8_lossy),
                    w.map(String::from_utf8_lossy),
                    "{context}: output line {n} differs"
                ),
            }
        }
        assert_eq!(outcome(&got_end), outcome(&want_end), "{context}");
    }
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `bench/gen_cases.py` with these arguments: the benchmark's generator.
fn generate(args: &[&str]) -> Vec<u8> {
    let out = Command::new("python3")
        .arg(manifest().join("bench/gen_cases.py"))
        .args(args)
        .output();
    match out {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => panic!(
            "gen_cases.py {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("python3 is needed to generate the cases: {e}"),
    }
}

fn lines(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn corpus_dir() -> String {
    manifest()
        .join("../policy/tests/eval_cases")
        .to_string_lossy()
        .into_owned()
}

const NO_LIMIT: u64 = u64::MAX / 4;

#[test]
fn the_benchmark_corpus_gives_the_reference_output() {
    let input = generate(&["--cases", "3000", "--seed", "15"]);
    same_as_reference("gen_cases --seed 15", &input, NO_LIMIT, NO_LIMIT);
    same_as_reference(
        "gen_cases --seed 15 under the default limits",
        &input,
        super::DEFAULT_MAX_LINE_BYTES,
        super::DEFAULT_MAX_INPUT_BYTES,
    );
}

#[test]
fn every_set_different_gives_the_reference_output() {
    let input = generate(&["--cases", "400", "--sets", "400", "--seed", "4"]);
    same_as_reference("gen_cases --sets 400", &input, NO_LIMIT, NO_LIMIT);
}

#[test]
fn the_evaluator_corpus_gives_the_reference_output() {
    let dir = corpus_dir();
    let input = generate(&["--cases", "1200", "--corpus", &dir]);
    same_as_reference("the corpus, cycled", &input, NO_LIMIT, NO_LIMIT);
}

/// `{"request":R,"policies":P}` → (R, P), for the benchmark's lines.
fn halves(line: &str) -> (String, String) {
    let value: serde_json::Value = serde_json::from_str(line).expect("a generated line is JSON");
    (value["request"].to_string(), value["policies"].to_string())
}

/// The start of a statement id that serde_json escapes, or writes as it is.
const ESCAPED_SID: &str = r#""Sid":"\"\\\nq\u0001\u001f é\u007f\t"#;

/// Lines that take every path of the reader, between ordinary ones.
fn odd_lines() -> Vec<String> {
    let generated = lines(&generate(&["--cases", "40", "--seed", "15"]));
    let corpus = lines(&generate(&["--cases", "40", "--corpus", &corpus_dir()]));
    let (r, p) = halves(&generated[0]);
    let (r2, p2) = halves(&generated[1]);
    let mut out: Vec<String> = Vec::new();
    let plain = |r: &str, p: &str| format!(r#"{{"request":{r},"policies":{p}}}"#);
    // Requests varied, on a cached set.
    let request = |fields: &str| format!(r#"{{"request":{{{fields}}},"policies":{p}}}"#);
    let arn = r#""principal":"arn:aws:iam::111122223333:user/alice""#;
    let action_resource =
        r#""action":"s3:GetObject","resource":"arn:aws:s3:::vendor-data-0/exports/a""#;
    let odd_requests = [
        format!(r#"{arn},{action_resource}"#),
        format!(r#"{action_resource},{arn}"#),
        format!(
            r#"{arn},{action_resource},"context":{{"aws:SecureTransport":true,"aws:MultiFactorAuthAge":300,"aws:EpochTime":1.5e9}}"#
        ),
        format!(
            r#"{arn},{action_resource},"context":{{"aws:RequestedRegion":["us-east-1","eu-west-1"],"aws:SecureTransport":"true"}}"#
        ),
        format!(
            r#"{arn},{action_resource},"context":{{"b:key":"1","A:key":"2","aws:securetransport":"true","aws:SecureTransport":"false"}}"#
        ),
        format!(
            r#"{arn},{action_resource},"context":{{"aws:SecureTransport":"true","aws:SecureTransport":"false"}}"#
        ),
        format!(r#"{arn},{action_resource},"context":{{"aws:SecureTransport":null}}"#),
        format!(r#"{arn},{action_resource},"context":{{"aws:SecureTransport":[null]}}"#),
        format!(r#"{arn},{action_resource},"context":{{"aws:SecureTransport":{{}}}}"#),
        format!(r#"{arn},{action_resource},"context":[]"#),
        format!(r#"{arn},{action_resource},"context":{{}}"#),
        format!(r#"{arn},{action_resource},"context":{{"policies":"x"}}"#),
        format!(r#"{arn},{action_resource},"context":{{"x":{p}}}"#),
        format!(r#"{arn},{action_resource},"context":{{"policies":{p}}}"#),
        format!(r#"{arn},{action_resource},"context":{{"policies":{p2}}}"#),
        format!(r#"{arn},{action_resource},"principal_tags":{{"team":"a","Team":"b","env":"x"}}"#),
        format!(r#"{arn},{action_resource},"principal_tags":{{"team":"a","team":"b"}}"#),
        format!(r#"{arn},{action_resource},"principal_tags":{{"team":1}}"#),
        format!(r#"{arn},{action_resource},"principal_tags":[]"#),
        format!(r#"{arn},{action_resource},"resource_account":"444455556666""#),
        format!(r#"{arn},{action_resource},"resource_account":null"#),
        format!(r#"{arn},{action_resource},"resource_account":7"#),
        format!(r#""principal":null,{action_resource}"#),
        format!(r#""principal":7,{action_resource}"#),
        format!(r#""principal":{{"service":"glue.amazonaws.com"}},{action_resource}"#),
        format!(
            r#""principal":{{"federated":"cognito-identity.amazonaws.com"}},{action_resource}"#
        ),
        format!(r#""principal":{{"service":"a","federated":"b"}},{action_resource}"#),
        format!(r#""principal":{{"service":"a","service":"b"}},{action_resource}"#),
        format!(r#""principal":{{"other":"a"}},{action_resource}"#),
        format!(r#""principal":{{}},{action_resource}"#),
        format!(r#""principal":"arn:aws:sts::111122223333:assumed-role/r/s",{action_resource}"#),
        format!(r#""principal":"arn:aws:iam::111122223333:root",{action_resource}"#),
        format!(r#""principal":"not an arn",{action_resource}"#),
        format!(r#""principal":"",{action_resource}"#),
        action_resource.to_owned(),
        format!(r#"{arn},"action":"s3:GetObject""#),
        format!(r#"{arn},"resource":"*""#),
        format!(r#"{arn},"action":null,"resource":"*""#),
        format!(r#"{arn},"action":"s3:GetObjct","resource":"arn:aws:s3::bad""#),
        format!(
            r#"{arn},"action":"s3:Get*","resource":"*","context":{{"aws:SecureTransprt":"true","aws:SourceArn":"nope"}}"#
        ),
        format!(r#"{arn},"action":"s4:GetObject","resource":"*""#),
        format!(r#"{arn},"action":"nocolon","resource":"*""#),
        format!(r#"{arn},{action_resource},"surprise":1"#),
        format!(r#"{arn},{action_resource},"action":"s3:PutObject""#),
        r#""principal":"arn:aws:iam::111122223333:user/\u00e9l\u00e8ve","action":"s3:Get\u004fbject","resource":"arn:aws:s3:::b/\"q\"/\\/é""#.to_owned(),
        r#""principal":"arn:aws:iam::111122223333:user/alice","act\u0069on":"s3:GetObject","resource":"*""#.to_owned(),
    ];
    for fields in &odd_requests {
        out.push(request(fields));
    }
    out.push(r#"{"request":[],"policies":{}}"#.into());
    out.push(r#"{"request":7,"policies":{}}"#.into());
    // The case's members: order, spacing, others, escapes, duplicates, nulls.
    let odd_cases = [
        plain(&r, &p),
        format!(r#"{{"policies":{p},"request":{r}}}"#),
        format!(r#"{{"doc":"x","request":{r},"policies":{p},"expect":"Allowed"}}"#),
        format!(r#"{{"doc":"\"policies\":{p}","request":{r},"policies":{p2}}}"#),
        format!(r#"{{"doc":{p},"request":{r},"policies":{p}}}"#),
        format!(r#"{{"doc":{{"policies":{p}}},"request":{r},"policies":{p2}}}"#),
        format!(r#"{{"doc":{{"policies":{p2}}},"request":{r},"policies":{p}}}"#),
        format!(r#"{{"request":{r},"policies":{p},"doc":{{"policies":{p2}}}}}"#),
        format!(r#"{{"doc":["policies",{{"policies" :{p}}}],"request":{r},"policies":{p2}}}"#),
        format!("{{ \"request\" : {r} ,\t\"policies\" :\r\n {p} }}"),
        format!("{{\"request\":{r},\"policies\":{p}}}\r"),
        format!("  {{\"request\":{r},\"policies\":{p}}}  "),
        format!(r#"{{"request":{r},"polic\u0069es":{p}}}"#),
        format!(r#"{{"request":{r},"policies":{p},"policies":{p}}}"#),
        format!(r#"{{"request":{r},"request":{r},"policies":{p}}}"#),
        format!(r#"{{"request":{r},"policies":null}}"#),
        format!(r#"{{"request":null,"policies":{p}}}"#),
        format!(r#"{{"request":{r}}}"#),
        format!(r#"{{"policies":{p}}}"#),
        format!(r#"{{"request":{r},"policies":{p}}}x"#),
        format!(r#"{{"request":{r},"policies":{p}}} {{}}"#),
        format!(r#"{{"request":{r},"policies":{p}1}}"#),
        format!(r#"{{"request":{r},"policies":{p}"#),
        format!(r#"{{"request":{r},"policies":{p},}}"#),
        format!(r#"{{"request":{r},"policies":{}}}"#, &p[..p.len() - 1]),
        format!(r#"{{"request":{r},"policies":{p}}}}}"#),
        format!(r#"{{"request":{r},"policies":{p}]"#),
        format!(r#"{{"request":{r} "policies":{p}}}"#),
        format!(r#"{{"request":{r},"policies" {p}}}"#),
        format!(r#"{{"request":{r},"policies":{p}{p}}}"#),
        format!(r#"{{"request":{r},"policies":[{p}]}}"#),
        format!(r#"{{"request":{r},"policies":"{{}}"}}"#),
        format!(r#"{{"request":{r},"policies":0}}"#),
        format!(r#"{{"request":{r},"policies":{{}}}}"#),
        format!(r#"{{"request":{r2},"policies":{p}}}"#),
        format!(r#"{{"request":{r},"policies":{p2}}}"#),
        // A set one byte away from a cached one, at its start, middle and end.
        plain(&r, &p.replacen("identity", "identitx", 1)),
        plain(&r, &p.replacen("Allow", "Deny", 1)),
        plain(&r, &format!("{} }}", &p[..p.len() - 1])),
        plain(&r, &p.replacen(':', " : ", 3)),
        plain(&r, &p.replacen("\"Sid\"", "\"S\\u0069d\"", 1)),
        plain(&r, &p.replacen("Allow", "Al\\u006cow", 1)),
        // Statement ids that serde_json escapes, or writes as they are.
        plain(&r, &p.replace(r#""Sid":""#, ESCAPED_SID)),
        plain(&r2, &p2.replace(r#""Sid":""#, ESCAPED_SID)),
        r#"{"request":{},"policies":{}}"#.to_owned(),
        "[1]".to_owned(),
        "{}".to_owned(),
        "\"policies\"".to_owned(),
        "nope".to_owned(),
        " \t ".to_owned(),
        String::new(),
        "{\"request\": ".to_owned(),
        format!(r#"{{"request":{r},"policies":{p}"#),
    ];
    // Each odd line after the plain one, so the set it varies is cached.
    for line in odd_cases {
        out.push(plain(&r, &p));
        out.push(line);
    }
    out.extend(corpus.iter().take(10).cloned());
    // The corpus's lines with their members in every order.
    for line in corpus.iter().take(10) {
        let value: serde_json::Value = serde_json::from_str(line).expect("corpus JSON");
        out.push(value.to_string());
        let reversed: Vec<String> = value
            .as_object()
            .expect("a case is an object")
            .iter()
            .rev()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
            .collect();
        out.push(format!("{{{}}}", reversed.join(",")));
    }
    out.extend(generated.iter().cloned());
    out
}

#[test]
fn odd_lines_give_the_reference_output() {
    let mut input = odd_lines().join("\n").into_bytes();
    input.push(b'\n');
    same_as_reference("odd lines", &input, NO_LIMIT, NO_LIMIT);
    // Not UTF-8: in the request, in the policy set, at the very end.
    let good = lines(&generate(&["--cases", "4", "--seed", "15"]));
    let mut bytes = Vec::new();
    for (i, at) in [20usize, 600, 2000].into_iter().enumerate() {
        bytes.extend_from_slice(good[0].as_bytes());
        bytes.push(b'\n');
        let mut bad = good[0].clone().into_bytes();
        let at = at.min(bad.len() - 2);
        bad[at] = [0xff, 0xc3, 0x80][i];
        bytes.extend_from_slice(&bad);
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(good[1].as_bytes());
    bytes.push(0xe9);
    same_as_reference("not UTF-8", &bytes, NO_LIMIT, NO_LIMIT);
}

#[test]
fn the_limits_give_the_reference_output() {
    let input = generate(&["--cases", "60", "--seed", "15"]);
    let text = lines(&input);
    let longest = text.iter().map(String::len).max().unwrap_or(0) as u64;
    let shortest = text.iter().map(String::len).min().unwrap_or(0) as u64;
    let first = text[0].len() as u64;
    for max_line in [
        shortest - 1,
        shortest,
        (shortest + longest) / 2,
        longest,
        longest + 1,
    ] {
        for max_input in [
            first - 1,
            first,
            first + 1,
            first + 2,
            input.len() as u64 / 2,
            input.len() as u64 - 1,
            input.len() as u64,
            NO_LIMIT,
        ] {
            same_as_reference("the limits", &input, max_line, max_input);
        }
    }
    // The last line without its newline; blank lines only; nothing.
    let unterminated = &input[..input.len() - 1];
    same_as_reference("no final newline", unterminated, NO_LIMIT, NO_LIMIT);
    same_as_reference(
        "no final newline",
        unterminated,
        longest,
        input.len() as u64 - 2,
    );
    same_as_reference("blank lines", b"\n \n\t\n", NO_LIMIT, NO_LIMIT);
    same_as_reference("empty", b"", NO_LIMIT, NO_LIMIT);
    // A line far over the limit, then ordinary ones.
    let mut long = format!(r#"{{"doc":"{}""#, "x".repeat(300_000)).into_bytes();
    long.extend_from_slice(&input[1..]);
    same_as_reference("a long line", &long, 100_000, NO_LIMIT);
    same_as_reference("a long line", &long, 100_000, 200_000);
}

#[test]
fn names_written_as_they_are_need_no_escape() {
    use rolegate_policy::document::Effect;
    use rolegate_policy::eval::{Decision, Layer};
    let names = [
        Decision::Allowed.as_str(),
        Decision::ExplicitlyDenied.as_str(),
        Decision::ImplicitlyDenied.as_str(),
        Layer::Scp.as_str(),
        Layer::Rcp.as_str(),
        Layer::ResourcePolicy.as_str(),
        Layer::Identity.as_str(),
        Layer::PermissionsBoundary.as_str(),
        Layer::SessionPolicy.as_str(),
        Effect::Allow.as_str(),
        Effect::Deny.as_str(),
    ];
    for name in names {
        let mut raw = Vec::new();
        super::json_name(&mut raw, name);
        assert_eq!(raw, serde_json::to_vec(name).unwrap_or_default(), "{name}");
    }
}

/// A reader that hands out a few bytes at a time.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn a_stream_in_small_pieces_gives_the_reference_output() {
    let input = generate(&["--cases", "50", "--seed", "15"]);
    let args = BatchArgs {
        path: "-".into(),
        max_line_bytes: 2400,
        max_input_bytes: NO_LIMIT,
    };
    let mut want = Vec::new();
    let want_end = reference_stream(&args, false, "-", &mut &input[..], &mut want);
    for step in [1, 7, 4096] {
        let mut got = Vec::new();
        let mut reader = io::BufReader::with_capacity(step.max(8), Trickle { data: &input, step });
        let got_end = stream(&args, false, "-", &mut reader, &mut got);
        assert!(got == want, "step {step}");
        assert_eq!(outcome(&got_end), outcome(&want_end));
    }
}
