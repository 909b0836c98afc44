//! `rolegate lint --format sarif`: lint findings as a SARIF 2.1.0 log, the
//! format code scanning services read (GitHub's among them).
//!
//! One run, tool `rolegate` at this crate's version. Each lint code met in
//! the run is a `reportingDescriptor` (id = the code, a short description
//! from its name, the fix as help text, its severity as default level):
//! the policy crate keeps no catalogue of its codes, so the rules are the
//! ones the run reports, which SARIF allows. Each finding is a result with
//! its `ruleId`, a `level` from its severity (error, warning; a suggestion
//! is a `note`), its message and fix, and a location: the file as a URI
//! relative to `%SRCROOT%` (the directory `rolegate lint` runs in, the
//! repository root in CI) and, from the finding's JSON path, the `region`
//! of that element in the file ([`super::locate`]) and a `logicalLocation`
//! naming the path. A file that is not a policy (bad JSON, an unknown
//! element) is a result too, under its parse error's code
//! (`POLICY_NOT_JSON`, `POLICY_UNKNOWN_ELEMENT`, ...) at the position of
//! the fault, not a crash: a scan of many files goes on past a bad one.
//!
//! GitHub code scanning's own requirements are met: every result has a
//! `ruleId` and a location whose `artifactLocation.uri` is relative to the
//! repository root (given `uriBaseId` `%SRCROOT%`, which GitHub resolves to
//! the checkout), and `partialFingerprints` (`rolegateFinding/v1`, a digest
//! of the file, rule, JSON path and message, so an alert keeps its identity
//! when lines move). Columns are UTF-16 code units, SARIF's default, which
//! the run states in `columnKind`. `tests/sarif.rs` checks the log against
//! the SARIF 2.1.0 schema.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use rolegate_policy::canonical::sha256_hex;
use rolegate_policy::document::PolicyParseError;
use rolegate_policy::lint::{Finding, PolicyKind, Severity};
use serde_json::{Value, json};

use super::locate::{Region, locate};

/// The schema a SARIF 2.1.0 log names (SchemaStore's copy of the OASIS
/// schema, the `$schema` GitHub's documentation shows).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where relative artifact URIs are rooted.
const SRCROOT: &str = "%SRCROOT%";
/// The key of the fingerprint this tool computes; the version changes if
/// its inputs ever do, so old alerts are not matched to new ones wrongly.
const FINGERPRINT_KEY: &str = "rolegateFinding/v1";

/// One file `rolegate lint` read, and what came of it.
#[derive(Debug, Clone)]
pub struct LintedFile<'a> {
    /// The path as given on the command line (`-` for standard input).
    pub path: &'a str,
    /// The file's text, to locate findings in.
    pub text: &'a str,
    pub outcome: Linted,
}

/// What linting one file gave.
#[derive(Debug, Clone)]
pub enum Linted {
    Findings {
        /// What the file was linted as; `None` for the roles a spec or a
        /// template describes, linted whole.
        kind: Option<PolicyKind>,
        findings: Vec<Finding>,
    },
    /// The file is not a policy document.
    Unparsed(ParseFailure),
}

/// Why a file could not be linted, located where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    /// The parse error's stable code, the result's `ruleId`.
    pub code: &'static str,
    pub message: String,
    /// The JSON path of the fault, when the JSON itself was readable.
    pub path: Option<String>,
    /// The fault's position when the JSON itself was not readable.
    pub region: Option<Region>,
}

impl ParseFailure {
    /// The failure `PolicyDocument::parse(text)` reported: a syntax error
    /// is placed where serde_json stopped, any other at its JSON path.
    pub fn of_policy(text: &str, error: &PolicyParseError) -> ParseFailure {
        let (path, region) = match error {
            PolicyParseError::Json(_) => (None, syntax_error_region(text)),
            PolicyParseError::UnknownElement { path, element } => {
                let at = if path.is_empty() {
                    element.clone()
                } else {
                    format!("{path}.{element}")
                };
                (Some(at), None)
            }
            PolicyParseError::Missing { path, .. }
            | PolicyParseError::Conflict { path, .. }
            | PolicyParseError::Invalid { path, .. } => (Some(path.clone()), None),
        };
        ParseFailure {
            code: error.code(),
            message: error.to_string(),
            path,
            region,
        }
    }
}

/// Where serde_json stops reading `text`, if it does.
fn syntax_error_region(text: &str) -> Option<Region> {
    let error = serde_json::from_str::<serde::de::IgnoredAny>(text).err()?;
    Some(Region::at_line_byte_column(
        text,
        error.line(),
        error.column().max(1),
    ))
}

/// The SARIF log for `files`, linted in the directory `cwd` (absolute
/// paths under it become relative URIs).
pub fn sarif(files: &[LintedFile<'_>], cwd: &Path) -> Value {
    let mut rules = Rules::default();
    let mut artifacts = Vec::new();
    let mut results = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let uri = artifact_uri(file.path, cwd);
        artifacts.push(json!({
            "location": artifact_location(&uri, None),
            "sourceLanguage": "json",
        }));
        match &file.outcome {
            Linted::Findings { kind, findings } => {
                for f in findings {
                    let rule_index = rules.index(f.code, f.severity, &f.fix);
                    let region = locate(file.text, &f.path);
                    results.push(result(
                        ResultParts {
                            code: f.code,
                            rule_index,
                            severity: f.severity,
                            message: format!("{} Fix: {}.", sentence(&f.message), f.fix),
                            path: &f.path,
                            region,
                            kind: *kind,
                        },
                        &uri,
                        index,
                    ));
                }
            }
            Linted::Unparsed(failure) => {
                let fix = "make the file an IAM policy document (JSON with Version and Statement)";
                let rule_index = rules.index(failure.code, Severity::Error, fix);
                let path = failure.path.as_deref().unwrap_or_default();
                let region = failure.region.or_else(|| locate(file.text, path));
                results.push(result(
                    ResultParts {
                        code: failure.code,
                        rule_index,
                        severity: Severity::Error,
                        message: sentence(&failure.message),
                        path,
                        region,
                        kind: None,
                    },
                    &uri,
                    index,
                ));
            }
        }
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rolegate",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.descriptors(),
            }},
            "originalUriBaseIds": {SRCROOT: {
                "description": {"text": "The directory rolegate lint ran in: the repository root in CI."},
            }},
            "columnKind": "utf16CodeUnits",
            "artifacts": artifacts,
            "results": results,
        }],
    })
}

/// The rules met so far, by code, with the index SARIF refers to them by.
#[derive(Default)]
struct Rules {
    order: Vec<(&'static str, Severity, String)>,
    index: BTreeMap<&'static str, usize>,
}

impl Rules {
    /// The rule for `code`, added on first sight: its default level and
    /// help are those of the first finding with that code (a lint code has
    /// one severity and one fix).
    fn index(&mut self, code: &'static str, severity: Severity, fix: &str) -> usize {
        if let Some(&i) = self.index.get(code) {
            return i;
        }
        let i = self.order.len();
        self.order.push((code, severity, fix.to_owned()));
        self.index.insert(code, i);
        i
    }

    fn descriptors(&self) -> Vec<Value> {
        self.order
            .iter()
            .map(|(code, severity, fix)| {
                json!({
                    "id": code,
                    "name": pascal_case(code),
                    "shortDescription": {"text": short_description(code)},
                    "help": {"text": format!("Fix: {fix}.")},
                    "defaultConfiguration": {"level": level(*severity)},
                    "properties": {"tags": ["security", "iam"]},
                })
            })
            .collect()
    }
}

struct ResultParts<'a> {
    code: &'static str,
    rule_index: usize,
    severity: Severity,
    message: String,
    path: &'a str,
    region: Option<Region>,
    kind: Option<PolicyKind>,
}

fn result(parts: ResultParts<'_>, uri: &str, artifact_index: usize) -> Value {
    let mut physical = json!({"artifactLocation": artifact_location(uri, Some(artifact_index))});
    if let Some(r) = parts.region {
        physical["region"] = json!({
            "startLine": r.start_line,
            "startColumn": r.start_column,
            "endLine": r.end_line,
            "endColumn": r.end_column,
        });
    }
    let mut location = json!({"physicalLocation": physical});
    if !parts.path.is_empty() {
        location["logicalLocations"] = json!([{
            "name": last_segment(parts.path),
            "fullyQualifiedName": parts.path,
            "kind": "member",
        }]);
    }
    let fingerprint = sha256_hex(
        [uri, parts.code, parts.path, parts.message.as_str()]
            .join("\u{0}")
            .as_bytes(),
    );
    let mut properties = json!({"jsonPath": parts.path});
    if let Some(kind) = parts.kind {
        properties["policyKind"] = json!(kind.as_str());
    }
    json!({
        "ruleId": parts.code,
        "ruleIndex": parts.rule_index,
        "level": level(parts.severity),
        "message": {"text": parts.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": properties,
    })
}

fn artifact_location(uri: &str, index: Option<usize>) -> Value {
    let mut location = json!({"uri": uri});
    if !uri.starts_with("file:") {
        location["uriBaseId"] = json!(SRCROOT);
    }
    if let Some(i) = index {
        location["index"] = json!(i);
    }
    location
}

/// SARIF's level for a severity; SARIF has no "suggestion", its `note` is one.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

/// The URI of a file named on the command line: relative to `cwd` (so
/// relative to the repository root when lint runs there), with `/`
/// separators and `./` dropped, percent-encoded where a URI needs it. An
/// absolute path outside `cwd` becomes a `file:` URI; standard input is
/// `stdin`.
pub fn artifact_uri(path: &str, cwd: &Path) -> String {
    if path == "-" {
        return "stdin".to_owned();
    }
    let given = Path::new(path);
    let relative = if given.is_absolute() {
        match given.strip_prefix(cwd) {
            Ok(rel) => rel,
            Err(_) => return format!("file://{}", encode(&slashes(given))),
        }
    } else {
        given
    };
    encode(&slashes(relative))
}

/// The path's normal components joined with `/` (`.` dropped).
fn slashes(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::CurDir => None,
            Component::RootDir => Some(String::new()),
            other => Some(other.as_os_str().to_string_lossy().replace('\\', "/")),
        })
        .collect();
    parts.join("/")
}

/// Percent-encodes what may not stand in a URI path as it is.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `WILDCARD_ACTION` -> `Wildcard action`.
fn short_description(code: &str) -> String {
    let words = code.to_ascii_lowercase().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `WILDCARD_ACTION` -> `WildcardAction`, SARIF's rule `name` form.
fn pascal_case(code: &str) -> String {
    code.split('_')
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The message as a sentence: SARIF messages are read as prose.
fn sentence(message: &str) -> String {
    let trimmed = message.trim_end();
    if trimmed.ends_with(['.', '!', '?']) {
        trimmed.to_owned()
    } else {
        format!("{trimmed}.")
    }
}

/// `Statement[0].Action[1]` -> `Action[1]`.
fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_policy::PolicyDocument;
    use rolegate_policy::lint::{LintOptions, lint_policy};

    const WILD: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n  ]\n}\n";

    fn linted<'a>(path: &'a str, text: &'a str) -> LintedFile<'a> {
        let outcome = match PolicyDocument::parse(text) {
            Ok(doc) => {
                let kind = PolicyKind::detect(&doc);
                Linted::Findings {
                    kind: Some(kind),
                    findings: lint_policy(&doc, kind, &LintOptions::default()),
                }
            }
            Err(e) => Linted::Unparsed(ParseFailure::of_policy(text, &e)),
        };
        LintedFile {
            path,
            text,
            outcome,
        }
    }

    fn run(files: &[LintedFile<'_>]) -> Value {
        sarif(files, Path::new("/repo"))["runs"][0].clone()
    }

    #[test]
    fn each_finding_is_a_result_under_a_rule_named_by_its_code() {
        let run = run(&[linted("policies/wild.json", WILD)]);
        let results = run["results"].as_array().cloned().unwrap_or_default();
        assert!(!results.is_empty(), "{run}");
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for r in &results {
            let index = r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
            assert_eq!(rules[index]["id"], r["ruleId"], "{r}");
        }
        let wildcard = results
            .iter()
            .find(|r| r["ruleId"] == "WILDCARD_ACTION")
            .unwrap_or_else(|| panic!("WILDCARD_ACTION in {run}"));
        assert_eq!(wildcard["level"], "error");
        let location = &wildcard["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            "policies/wild.json"
        );
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
        assert_eq!(location["physicalLocation"]["region"]["startLine"], 4);
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            "Statement[0].Action"
        );
        assert!(
            wildcard["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .is_some_and(|f| f.len() == 64)
        );
    }

    #[test]
    fn a_code_met_twice_is_one_rule() {
        let run = run(&[linted("a.json", WILD), linted("b.json", WILD)]);
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(ids.len(), unique.len(), "{ids:?}");
        assert_eq!(run["artifacts"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn malformed_json_is_a_result_at_the_fault_not_a_crash() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n}\n";
        let run = run(&[linted("bad.json", text)]);
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "POLICY_NOT_JSON", "{run}");
        assert_eq!(result["level"], "error");
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            4
        );
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "POLICY_NOT_JSON");
    }

    #[test]
    fn a_policy_with_an_unknown_element_is_a_result_at_that_element() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Acton\": \"s3:GetObject\", \"Resource\": \"*\"}\n  ]\n}\n";
        let run = run(&[linted("typo.json", text)]);
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "POLICY_UNKNOWN_ELEMENT", "{run}");
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].clone(), region["startColumn"].clone()),
            (json!(4), json!(25)),
            "{region}"
        );
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "Statement[0].Acton"
        );
    }

    #[test]
    fn severities_map_to_sarif_levels() {
        assert_eq!(level(Severity::Error), "error");
        assert_eq!(level(Severity::Warning), "warning");
        assert_eq!(level(Severity::Suggestion), "note");
    }

    #[test]
    fn uris_are_relative_to_the_directory_lint_ran_in() {
        let cwd = Path::new("/repo");
        assert_eq!(artifact_uri("./policies/a.json", cwd), "policies/a.json");
        assert_eq!(
            artifact_uri("/repo/policies/a.json", cwd),
            "policies/a.json"
        );
        assert_eq!(
            artifact_uri("/elsewhere/a.json", cwd),
            "file:///elsewhere/a.json"
        );
        assert_eq!(
            artifact_uri("my policies/ü.json", cwd),
            "my%20policies/%C3%BC.json"
        );
        assert_eq!(artifact_uri("-", cwd), "stdin");
    }

    #[test]
    fn absolute_uris_carry_no_base() {
        let run = run(&[linted("/elsewhere/a.json", WILD)]);
        let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(location["uri"], "file:///elsewhere/a.json");
        assert!(location.get("uriBaseId").is_none(), "{location}");
    }

    #[test]
    fn rule_names_and_descriptions_come_from_the_code() {
        assert_eq!(short_description("WILDCARD_ACTION"), "Wildcard action");
        assert_eq!(
            pascal_case("TRUST_MISSING_EXTERNAL_ID"),
            "TrustMissingExternalId"
        );
    }

    /// The vendored SARIF 2.1.0 schema (`tests/schemas/SOURCE.md`).
    pub(crate) fn schema_errors(log: &Value) -> Vec<String> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The schema's `language` pattern holds a `]` outside a class,
        // which ECMA-262 (the schema's regex dialect) reads as a literal
        // and Rust's regex engines refuse: escape it, same meaning.
        let text = text.replace(
            r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#,
            r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$"#,
        );
        let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("schema: {e}"));
        let validator =
            jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema compiles: {e}"));
        validator.iter_errors(log).map(|e| e.to_string()).collect()
    }

    #[test]
    fn the_log_of_findings_and_of_a_malformed_file_is_valid_by_the_sarif_schema() {
        let bad = "{\n  \"Statement\": [\n}\n";
        let typo = "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Acton\": \"s3:*\"}}";
        let trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]}"#;
        let log = sarif(
            &[
                linted("policies/wild.json", WILD),
                linted("bad.json", bad),
                linted("typo.json", typo),
                linted("/elsewhere/trust policy.json", trust),
                linted("-", WILD),
            ],
            Path::new("/repo"),
        );
        assert!(
            log["runs"][0]["results"]
                .as_array()
                .is_some_and(|r| r.len() > 4),
            "{log}"
        );
        let errors = schema_errors(&log);
        assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
    }

    #[test]
    fn the_schema_check_rejects_a_log_that_breaks_the_schema() {
        // The check must be able to fail: a level SARIF does not know.
        let mut log = sarif(&[linted("a.json", WILD)], Path::new("/repo"));
        log["runs"][0]["results"][0]["level"] = json!("suggestion");
        assert!(!schema_errors(&log).is_empty());
    }

    #[test]
    fn a_clean_policy_gives_a_run_with_no_results() {
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;
        let log = sarif(&[linted("ok.json", text)], Path::new("/repo"));
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"][0]["results"], json!([]), "{log}");
        assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "rolegate");
    }
}
