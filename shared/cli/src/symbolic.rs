//! `rolegate compare`, `check-not-granted` and `check-no-public`: the
//! policy crate's symbolic comparison (`rolegate_policy::symbolic`) on the
//! command line. Each answers for every request at once, offline, with a
//! counterexample `rolegate simulate` confirms.
//!
//! Exit codes: 0 no new access (not granted, not public), 1 new access
//! (granted, public) with a counterexample, 2 bad input, 3 unknown (a
//! construct outside the fragment, or the budget), with the reason.
//!
//! `cli` declares their arguments with the other commands (help,
//! completions, typo suggestions); this module runs them.

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::ContextValue;
use rolegate_policy::symbolic::{
    Counterexample, Options, Permissions, Verdict, check_no_public, check_not_granted, compare_with,
};
use serde_json::{Value, json};

/// A parsed symbolic command (`cli::CompareCmd` and its siblings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Compare {
        baseline: String,
        candidate: String,
        boundary: Option<String>,
        json: bool,
    },
    NotGranted {
        policy: String,
        actions: Vec<String>,
        resources: Vec<String>,
        boundary: Option<String>,
        json: bool,
    },
    NoPublic {
        policy: String,
        json: bool,
    },
}

/// The command's exit code, its output appended to `out`; `Err` is bad
/// input.
pub fn run(command: &Command, out: &mut String) -> Result<u8, String> {
    let options = Options::default();
    match command {
        Command::Compare {
            baseline,
            candidate,
            boundary,
            json,
        } => {
            let shared = boundary.as_deref().map(read_policy).transpose()?;
            let base = read_side(baseline)?;
            let cand = read_side(candidate)?;
            let (bi, ci) = (base.identity_refs(), cand.identity_refs());
            let verdict = compare_with(
                &base.permissions(&bi, shared.as_ref()),
                &cand.permissions(&ci, shared.as_ref()),
                &options,
            );
            let words = Words {
                none: "no new access",
                some: "new access",
                detail: format!("{candidate} allows a request {baseline} does not"),
            };
            Ok(report(&verdict, &words, *json, out))
        }
        Command::NotGranted {
            policy,
            actions,
            resources,
            boundary,
            json,
        } => {
            let shared = boundary.as_deref().map(read_policy).transpose()?;
            let side = read_side(policy)?;
            let ids = side.identity_refs();
            let verdict = check_not_granted(
                &side.permissions(&ids, shared.as_ref()),
                actions,
                resources,
                &options,
            );
            let words = Words {
                none: "not granted",
                some: "granted",
                detail: format!("{policy} grants one of the actions on one of the resources"),
            };
            Ok(report(&verdict, &words, *json, out))
        }
        Command::NoPublic { policy, json } => {
            let doc = read_policy(policy)?;
            let verdict = check_no_public(&doc, &options);
            let words = Words {
                none: "no public access",
                some: "public access",
                detail: format!("{policy} allows a caller outside every account it names"),
            };
            Ok(report(&verdict, &words, *json, out))
        }
    }
}

/// One side's documents, owned.
struct Side {
    identity: Vec<PolicyDocument>,
    boundary: Option<PolicyDocument>,
}

impl Side {
    fn identity_refs(&self) -> Vec<&PolicyDocument> {
        self.identity.iter().collect()
    }

    fn permissions<'a>(
        &'a self,
        refs: &'a [&'a PolicyDocument],
        shared: Option<&'a PolicyDocument>,
    ) -> Permissions<'a> {
        Permissions {
            identity: refs,
            boundary: self.boundary.as_ref().or(shared),
        }
    }
}

fn read_text(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

fn read_json(path: &str) -> Result<Value, String> {
    serde_json::from_str(&read_text(path)?).map_err(|e| format!("{path}: not JSON: {e}"))
}

fn read_policy(path: &str) -> Result<PolicyDocument, String> {
    let v = read_json(path)?;
    document(&v, path)
}

fn document(v: &Value, what: &str) -> Result<PolicyDocument, String> {
    PolicyDocument::from_value(v).map_err(|e| format!("{what}: {e} [{}]", e.code()))
}

/// A policy document, an array of them, or `{"identity": [...],
/// "boundary": {...}}`.
fn read_side(path: &str) -> Result<Side, String> {
    let v = read_json(path)?;
    let list = |items: &[Value], label: &str| -> Result<Vec<PolicyDocument>, String> {
        items
            .iter()
            .enumerate()
            .map(|(i, d)| document(d, &format!("{path}: {label}[{i}]")))
            .collect()
    };
    match &v {
        Value::Array(items) => Ok(Side {
            identity: list(items, "policy")?,
            boundary: None,
        }),
        Value::Object(obj) if obj.contains_key("identity") || obj.contains_key("boundary") => {
            if let Some(k) = obj.keys().find(|k| *k != "identity" && *k != "boundary") {
                return Err(format!(
                    "{path}: unknown member {k:?} (expected identity and boundary)"
                ));
            }
            let identity = match obj.get("identity") {
                Some(Value::Array(items)) => list(items, "identity")?,
                Some(one) => vec![document(one, &format!("{path}: identity"))?],
                None => Vec::new(),
            };
            let boundary = obj
                .get("boundary")
                .map(|b| document(b, &format!("{path}: boundary")))
                .transpose()?;
            Ok(Side { identity, boundary })
        }
        _ => Ok(Side {
            identity: vec![document(&v, path)?],
            boundary: None,
        }),
    }
}

struct Words {
    none: &'static str,
    some: &'static str,
    detail: String,
}

/// Prints the verdict and returns its exit code.
fn report(verdict: &Verdict, words: &Words, json: bool, out: &mut String) -> u8 {
    let code = match verdict {
        Verdict::NoNewAccess => 0,
        Verdict::NewAccess(_) => 1,
        Verdict::Unknown(_) => 3,
    };
    if json {
        let mut v = json!({"verdict": verdict.as_str(), "answer": match verdict {
            Verdict::NoNewAccess => words.none,
            Verdict::NewAccess(_) => words.some,
            Verdict::Unknown(_) => "unknown",
        }});
        match verdict {
            Verdict::NewAccess(cx) => v["counterexample"] = cx.to_value(),
            Verdict::Unknown(u) => {
                v["reason"] = json!({"code": u.code(), "message": u.to_string()});
            }
            Verdict::NoNewAccess => {}
        }
        out.push_str(&serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()));
        out.push('\n');
        return code;
    }
    match verdict {
        Verdict::NoNewAccess => {
            out.push_str(words.none);
            out.push('\n');
        }
        Verdict::NewAccess(cx) => {
            out.push_str(&format!("{}: {}\n", words.some, words.detail));
            describe(cx, out);
        }
        Verdict::Unknown(u) => out.push_str(&format!("unknown: {u} [{}]\n", u.code())),
    }
    code
}

fn describe(cx: &Counterexample, out: &mut String) {
    let principal = if cx.principal.is_empty() {
        "(anonymous)"
    } else {
        cx.principal.as_str()
    };
    out.push_str(&format!("  principal:  {principal}\n"));
    out.push_str(&format!("  action:     {}\n", cx.action));
    out.push_str(&format!("  resource:   {}\n", cx.resource));
    if cx.context.is_empty() {
        out.push_str("  context:    (none)\n");
    }
    for (k, v) in &cx.context {
        let v = match v {
            ContextValue::Single(s) => format!("{s:?}"),
            ContextValue::Multi(m) => format!("{m:?}"),
        };
        out.push_str(&format!("  context:    {k} = {v}\n"));
    }
    out.push_str(&format!("  allowed by: {}\n", cx.allowed_by.join(", ")));
    out.push_str(&format!("  otherwise:  {}\n", cx.baseline.as_str()));
    out.push_str("  as a simulate request: ");
    out.push_str(&cx.to_value()["request"].to_string());
    out.push('\n');
}
