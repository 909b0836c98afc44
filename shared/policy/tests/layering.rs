//! The policy crate's layering, checked on its sources (ARCHITECTURE.md,
//! Invariants): `eval` knows nothing of specs, and nothing in the crate
//! does I/O or reaches for the AWS SDK.
//!
//! The evaluator answers "would AWS allow this request?" for any policy; the
//! spec, the builder, the reconcile engine and the least-privilege proof sit
//! above it. An import from `eval` back up into them would make the
//! evaluator's answers depend on what Rolegate means by a spec. The compiler
//! does not forbid that inside one crate, so this test does.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The modules above `eval`: it may import none of them.
const ABOVE_EVAL: &[&str] = &["spec", "build", "reconcile", "proof"];

/// Paths that would do I/O or need a runtime. `std::net` is allowed only for
/// its address types (`IpAddr` parses `aws:SourceIp` conditions), checked
/// separately.
const IO: &[&str] = &[
    "aws_sdk",
    "aws_config",
    "aws_smithy",
    "lambda_runtime",
    "tokio",
    "std::fs",
    "std::io",
    "std::env",
    "std::process",
    "std::thread",
];
const PURE_NET: &[&str] = &["IpAddr", "Ipv4Addr", "Ipv6Addr", "AddrParseError"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, recursively, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).expect("a source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The code of a source file: without `//` comments (so a doc may name a
/// module it does not import) and without whitespace (so `crate :: spec`
/// and a `use` split over lines read the same).
fn code(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string (a URL) cuts the line short too: that can
            // only hide code from the check, never invent an import.
            Some(at) => &line[..at],
            None => line,
        })
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The items at the top level of the `{...}` group starting at `text[0]`.
fn group_items(text: &str) -> Vec<&str> {
    let mut depth = 0;
    let mut start = 1;
    let mut items = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 1 => {
                items.push(&text[start..i]);
                start = i + 1;
                if c == '}' {
                    break;
                }
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    items
}

/// The modules of the crate root a file's code names, directly
/// (`crate::spec::X`), grouped (`crate::{document, spec::X}`) or relatively
/// (`super::super::spec` from `eval/x.rs`, `super::spec` from `eval/mod.rs`).
fn root_modules_named(code: &str) -> Vec<String> {
    let mut named = Vec::new();
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            // `super::super::` is found twice; the last `super::` names the module.
            let rest = &code[at + root.len()..];
            if rest.starts_with("super::") {
                continue;
            }
            if rest.starts_with('{') {
                for item in group_items(rest) {
                    named.push(item.chars().take_while(|c| is_ident(*c)).collect());
                }
            } else {
                named.push(rest.chars().take_while(|c| is_ident(*c)).collect());
            }
        }
    }
    named
}

/// The modules above `eval` that `source` imports.
fn imports_above_eval(source: &str) -> Vec<String> {
    root_modules_named(&code(source))
        .into_iter()
        .filter(|m| ABOVE_EVAL.contains(&m.as_str()))
        .collect()
}

/// The I/O paths `source` names.
fn io_named(source: &str) -> Vec<String> {
    let code = code(source);
    let mut found: Vec<String> = IO
        .iter()
        .filter(|p| code.contains(*p))
        .map(|p| (*p).to_owned())
        .collect();
    for (at, _) in code.match_indices("std::net::") {
        let rest = &code[at + "std::net::".len()..];
        let names: Vec<&str> = if rest.starts_with('{') {
            group_items(rest)
        } else {
            vec![rest.split(|c: char| !is_ident(c)).next().unwrap_or("")]
        };
        found.extend(
            names
                .into_iter()
                .filter(|n| !PURE_NET.contains(n))
                .map(|n| format!("std::net::{n}")),
        );
    }
    found
}

#[test]
fn eval_imports_nothing_from_spec_build_reconcile_or_proof() {
    let files = rust_files(&src().join("eval"));
    assert!(
        files.iter().any(|f| f.ends_with("eval/mod.rs")),
        "src/eval/ holds the evaluator"
    );
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let source = std::fs::read_to_string(file).expect("a readable source file");
            imports_above_eval(&source)
                .into_iter()
                .map(move |m| format!("{} imports {m}", file.display()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "eval knows nothing of specs: {offenders:#?}"
    );
}

#[test]
fn the_policy_crate_names_no_io_runtime_or_aws_sdk() {
    let files = rust_files(&src());
    assert!(files.len() > 10, "src/ holds the crate: {files:?}");
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let source = std::fs::read_to_string(file).expect("a readable source file");
            io_named(&source)
                .into_iter()
                .map(move |p| format!("{} names {p}", file.display()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "shared/policy does no I/O: {offenders:#?}"
    );
}

#[test]
fn the_layering_check_sees_direct_grouped_and_relative_imports() {
    for source in [
        "use crate::spec::Grant;",
        "use crate::{document::PolicyDocument, build::BuildContext};",
        "use crate::{\n    document,\n    reconcile,\n};",
        "use super::super::proof::Proof;",
        "fn f() -> crate::spec::Trust { todo!() }",
    ] {
        assert_eq!(
            imports_above_eval(source).len(),
            1,
            "missed an import in {source:?}"
        );
    }
}

#[test]
fn the_layering_check_passes_comments_and_modules_below_eval() {
    for source in [
        "// the proof (crate::proof) uses these\nuse crate::document::Effect;",
        "use crate::time::parse_rfc3339;",
        "use super::pattern::Pattern;",
        "use crate::{document::PolicyDocument, time};",
        "let spec = 1; let build = spec;",
    ] {
        assert_eq!(
            imports_above_eval(source),
            Vec::<String>::new(),
            "{source:?}"
        );
    }
}

#[test]
fn the_io_check_allows_address_types_and_sees_sockets_and_files() {
    assert!(io_named("use std::net::IpAddr;").is_empty());
    assert!(io_named("use std::net::{IpAddr, Ipv4Addr};").is_empty());
    assert_eq!(
        io_named("use std::net::TcpStream;"),
        ["std::net::TcpStream"]
    );
    assert_eq!(
        io_named("use std::net::{IpAddr, UdpSocket};"),
        ["std::net::UdpSocket"]
    );
    assert_eq!(io_named("let s = std::fs::read_to_string(p);"), ["std::fs"]);
    assert_eq!(io_named("use aws_sdk_iam::Client;"), ["aws_sdk"]);
}
