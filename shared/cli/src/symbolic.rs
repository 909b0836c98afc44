//! `rolegate compare`, `check-not-granted` and `check-no-public`: the
//! policy crate's symbolic comparison (`rolegate_policy::symbolic`) on the
//! command line. Each answers for every request at once, offline, with a
//! counterexample `rolegate simulate` confirms.
//!
//! Exit codes: 0 no new access (not granted, not public), 1 new access
//! (granted, public) with a counterexample, 2 bad input, 3 unknown (a
//! construct outside the fragment, or the budget), with the reason.
//!
//! The three commands read their own arguments ([`dispatch`] is called
//! before the main parser): a small hand-written reader in the style the
//! CLI began with, so that they stay independent of how the other
//! commands are declared.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::ContextValue;
use rolegate_policy::symbolic::{
    Counterexample, Options, Permissions, Verdict, check_no_public, check_not_granted, compare_with,
};
use serde_json::{Value, json};

pub const USAGE: &str = "\
usage:
  rolegate compare BASELINE NEW [--boundary B] [--json]
      Does NEW allow any request BASELINE does not? Each of BASELINE and NEW
      is a policy document, a JSON array of them (a role's identity
      policies) or {\"identity\": [...], \"boundary\": {...}}. --boundary B is a
      permissions boundary for both sides (unless a side names its own).
      Prints \"no new access\" or a counterexample request (action,
      resource, context) that `rolegate simulate` allows under NEW and not
      under BASELINE.
  rolegate check-not-granted POLICY --action A... [--resource R...] [--boundary B] [--json]
      Does POLICY grant any of the actions (patterns; repeat --action) on
      any of the resources (patterns; default every resource)?
  rolegate check-no-public POLICY [--json]
      Does a trust or resource policy allow a caller outside every account
      it names (Principal \"*\" without a narrowing condition)?

exit codes: 0 no new access (not granted, not public), 1 new access
(granted, public), 2 bad input, 3 unknown (outside the fragment or over budget)";

/// The command names this module answers.
const COMMANDS: [&str; 3] = ["compare", "check-not-granted", "check-no-public"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
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

/// Runs the command if `args` (without the program name) names one of
/// this module's; `None` leaves them to the main parser.
pub fn dispatch(args: impl IntoIterator<Item = OsString>) -> Option<ExitCode> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let first = args.first()?;
    if !COMMANDS.contains(&first.as_str()) {
        return None;
    }
    let command = match parse(&args) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("rolegate: {message}\n\n{USAGE}");
            return Some(ExitCode::from(2));
        }
    };
    let mut out = String::new();
    let code = match run(&command, &mut out) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("rolegate: {message}");
            2
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe is not an error: the exit code still tells the answer.
    let _ = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush());
    Some(ExitCode::from(code))
}

/// Reads `COMMAND ARGS...`: flags as `--flag VALUE` or `--flag=VALUE`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((name, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    let mut positional = Vec::new();
    let (mut actions, mut resources) = (Vec::new(), Vec::new());
    let (mut boundary, mut json) = (None, false);
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |flag: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--json" => json = true,
            "--boundary" => boundary = Some(value("--boundary")?),
            "--action" if name == "check-not-granted" => actions.push(value("--action")?),
            "--resource" if name == "check-not-granted" => resources.push(value("--resource")?),
            f if f.starts_with('-') && f != "-" => {
                return Err(format!("{name}: unexpected flag {f}"));
            }
            _ => positional.push(arg.clone()),
        }
    }
    let want = |n: usize, what: &str| {
        if positional.len() == n {
            Ok(())
        } else {
            Err(format!(
                "{name} needs {what}, got {} argument(s)",
                positional.len()
            ))
        }
    };
    match name.as_str() {
        "compare" => {
            want(2, "BASELINE and NEW")?;
            Ok(Command::Compare {
                baseline: positional[0].clone(),
                candidate: positional[1].clone(),
                boundary,
                json,
            })
        }
        "check-not-granted" => {
            want(1, "a POLICY")?;
            if actions.is_empty() {
                return Err("check-not-granted needs at least one --action".into());
            }
            Ok(Command::NotGranted {
                policy: positional[0].clone(),
                actions,
                resources,
                boundary,
                json,
            })
        }
        "check-no-public" => {
            want(1, "a POLICY")?;
            if boundary.is_some() {
                return Err("check-no-public takes no --boundary".into());
            }
            Ok(Command::NoPublic {
                policy: positional[0].clone(),
                json,
            })
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

/// The command's exit code, its output appended to `out`; `Err` is bad
/// input.
pub fn run(command: &Command, out: &mut String) -> Result<u8, String> {
    let options = Options::default();
    match command {
        Command::Help => {
            out.push_str(USAGE);
            out.push('\n');
            Ok(0)
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn compare_reads_two_files_and_its_flags_in_any_order() {
        let c = parse(&args(&[
            "compare",
            "--json",
            "a.json",
            "b.json",
            "--boundary=b.json",
        ]));
        assert_eq!(
            c,
            Ok(Command::Compare {
                baseline: "a.json".into(),
                candidate: "b.json".into(),
                boundary: Some("b.json".into()),
                json: true,
            })
        );
        assert!(parse(&args(&["compare", "a.json"])).is_err());
    }

    #[test]
    fn check_not_granted_needs_an_action_and_repeats_its_lists() {
        assert!(parse(&args(&["check-not-granted", "p.json"])).is_err());
        let c = parse(&args(&[
            "check-not-granted",
            "p.json",
            "--action",
            "s3:GetObject",
            "--action",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::b/*",
        ]));
        let Ok(Command::NotGranted {
            actions, resources, ..
        }) = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(actions.len(), 2);
        assert_eq!(resources, vec!["arn:aws:s3:::b/*".to_owned()]);
    }

    #[test]
    fn a_flag_of_another_command_is_refused() {
        assert!(parse(&args(&["check-no-public", "p.json", "--action", "x"])).is_err());
        assert!(parse(&args(&["compare", "a", "b", "--resource", "x"])).is_err());
    }
}
