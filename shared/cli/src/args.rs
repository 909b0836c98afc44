//! Command-line parsing with `lexopt`: a tiny, dependency-free parser that
//! keeps the CLI's build time negligible next to clap's.

use std::ffi::OsString;

use lexopt::prelude::*;
use rolegate_policy::lint::PolicyKind;

use crate::batch::{BatchArgs, DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_LINE_BYTES};

pub const USAGE: &str = "\
usage:
  rolegate render SPEC.json [--account ID] [--region REGION] [--external-id ID]
                  [--boundary ARN] [--json]
      Print what the provisioner would do with a spec: the role it would
      create (trust policy, inline policies, tags, the permissions boundary it
      attaches) once the least-privilege proof holds, or, exit code 1, why it
      would refuse the spec. SPEC.json holds the Custom::IntegrationRole
      properties, or the whole resource ({\"Type\": ..., \"Properties\": {...}}).
      --boundary is the deployment's boundary ARN (stack output
      IntegrationBoundaryArn); default $ROLEGATE_PERMISSIONS_BOUNDARY_ARN, else a
      placeholder, since CloudFormation names the policy at deploy time.
      Defaults: --account 111122223333, --region us-east-1 (examples; pass
      your own).
  rolegate lint POLICY.json [--kind auto|identity|managed|boundary|trust|resource] [--account ID] [--json]
      Print lint findings for a policy document. The kind is detected unless
      given; a permissions boundary caps and never grants, so --kind boundary
      lints it as a cap. --account names the role's own account, so that only
      principals elsewhere count as third parties.
  rolegate simulate CASE.json [--json] [--strict]
  rolegate simulate [--identity P.json]... [--boundary P.json] [--session P.json]
                    [--resource-policy P.json] [--scp P.json]... [--rcp P.json]...
                    (--request REQ.json | --principal ARN --action ACTION --resource ARN
                     [--resource-account ID] [--context KEY=VALUE]... [--tag KEY=VALUE]...)
                    [--json] [--strict]
      Evaluate one request as IAM would and explain the decision: which
      statement allowed or denied it, which condition failed and why.
      CASE.json holds {\"request\": {...}, \"policies\": {...}} as in
      shared/policy/tests/eval_cases/. A --context key given twice is
      multi-valued. Exit code 0 when allowed, 1 when denied. An unknown
      action or condition key, or a malformed ARN, is a warning printed with
      the decision; --strict makes it an error (exit 2).
  rolegate simulate --batch FILE|- [--strict] [--max-line-bytes N] [--max-input-bytes N]
      One case per line in (the CASE.json format), one JSON line out per
      case, in order: the decision, the deciding layer, the matched
      statements and any warnings, or an error naming the line, field and
      rule. A bad line does not stop the batch. Limits: 1048576 bytes a line,
      536870912 bytes in all. Exit code 0 when every case was decided, 2 when
      any line was bad input.
  rolegate help

exit codes: 0 clean or allowed, 1 findings at error level or denied, 2 bad input";

pub enum Command {
    Help,
    Render(RenderOptions),
    Lint(LintArgs),
    Simulate(SimulateArgs),
}

/// Where `simulate` reads its policies and request from.
pub enum SimulateInput {
    /// A case file holding both.
    Case(String),
    Parts(Box<SimulateParts>),
    /// One case per line.
    Batch(BatchArgs),
}

/// Policy files per layer, and the request.
pub struct SimulateParts {
    pub identity: Vec<String>,
    pub boundary: Option<String>,
    pub session: Option<String>,
    pub resource_policy: Option<String>,
    pub scps: Vec<String>,
    pub rcps: Vec<String>,
    pub request: RequestInput,
}

pub enum RequestInput {
    File(String),
    Flags {
        principal: String,
        action: String,
        resource: String,
        resource_account: Option<String>,
        /// In the order given; a repeated key becomes multi-valued.
        context: Vec<(String, String)>,
        tags: Vec<(String, String)>,
    },
}

pub struct SimulateArgs {
    pub input: SimulateInput,
    pub json: bool,
    /// Input warnings (unknown action, malformed ARN, ...) are errors.
    pub strict: bool,
}

pub struct LintArgs {
    pub policy_path: String,
    pub kind: Option<PolicyKind>,
    pub account: Option<String>,
    pub json: bool,
}

pub struct RenderOptions {
    pub spec_path: String,
    pub account: String,
    pub region: String,
    pub external_id: Option<String>,
    /// The deployment's permissions boundary ARN.
    pub boundary: Option<String>,
    pub json: bool,
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut parser = lexopt::Parser::from_args(args);
    let sub = match parser.next().map_err(|e| e.to_string())? {
        Some(Value(v)) => v.string().map_err(|e| e.to_string())?,
        Some(Short('h') | Long("help")) | None => return Ok(Command::Help),
        Some(other) => return Err(other.unexpected().to_string()),
    };
    match sub.as_str() {
        "help" => Ok(Command::Help),
        "render" => render(&mut parser).map(Command::Render),
        "lint" => lint(&mut parser).map(Command::Lint),
        "simulate" => simulate(&mut parser).map(Command::Simulate),
        other => Err(format!("unknown command {other:?}")),
    }
}

fn render(parser: &mut lexopt::Parser) -> Result<RenderOptions, String> {
    let mut spec_path = None;
    let mut opts = RenderOptions {
        spec_path: String::new(),
        account: "111122223333".into(),
        region: "us-east-1".into(),
        external_id: None,
        boundary: None,
        json: false,
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("account") => opts.account = string_value(parser)?,
            Long("region") => opts.region = string_value(parser)?,
            Long("external-id") => opts.external_id = Some(string_value(parser)?),
            Long("boundary") => opts.boundary = Some(string_value(parser)?),
            Long("json") => opts.json = true,
            Value(v) if spec_path.is_none() => {
                spec_path = Some(v.string().map_err(|e| e.to_string())?)
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    opts.spec_path = spec_path.ok_or("render needs a SPEC.json argument")?;
    Ok(opts)
}

fn lint(parser: &mut lexopt::Parser) -> Result<LintArgs, String> {
    let mut path = None;
    let mut opts = LintArgs {
        policy_path: String::new(),
        kind: None,
        account: None,
        json: false,
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("kind") => {
                opts.kind = match string_value(parser)?.as_str() {
                    "auto" => None,
                    other => Some(
                        other
                            .parse::<PolicyKind>()
                            .map_err(|e| format!("--kind: {e} (or auto)"))?,
                    ),
                }
            }
            Long("account") => opts.account = Some(string_value(parser)?),
            Long("json") => opts.json = true,
            Value(v) if path.is_none() => path = Some(v.string().map_err(|e| e.to_string())?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    opts.policy_path = path.ok_or("lint needs a POLICY.json argument")?;
    Ok(opts)
}

fn simulate(parser: &mut lexopt::Parser) -> Result<SimulateArgs, String> {
    let mut case = None;
    let (mut json, mut strict) = (false, false);
    let mut batch = None;
    let (mut max_line_bytes, mut max_input_bytes) = (None, None);
    let (mut identity, mut scps, mut rcps) = (Vec::new(), Vec::new(), Vec::new());
    let (mut boundary, mut session, mut resource_policy) = (None, None, None);
    let (mut request_file, mut principal, mut action, mut resource) = (None, None, None, None);
    let mut resource_account = None;
    let (mut context, mut tags) = (Vec::new(), Vec::new());
    let mut parts_given = false;
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        if matches!(arg, Long(_))
            && !matches!(
                arg,
                Long("json" | "strict" | "batch" | "max-line-bytes" | "max-input-bytes")
            )
        {
            parts_given = true;
        }
        match arg {
            Long("json") => json = true,
            Long("strict") => strict = true,
            Long("batch") => batch = Some(string_value(parser)?),
            Long("max-line-bytes") => {
                max_line_bytes = Some(byte_count(parser, "--max-line-bytes")?)
            }
            Long("max-input-bytes") => {
                max_input_bytes = Some(byte_count(parser, "--max-input-bytes")?)
            }
            Long("identity") => identity.push(string_value(parser)?),
            Long("boundary") => boundary = Some(string_value(parser)?),
            Long("session") => session = Some(string_value(parser)?),
            Long("resource-policy") => resource_policy = Some(string_value(parser)?),
            Long("scp") => scps.push(string_value(parser)?),
            Long("rcp") => rcps.push(string_value(parser)?),
            Long("request") => request_file = Some(string_value(parser)?),
            Long("principal") => principal = Some(string_value(parser)?),
            Long("action") => action = Some(string_value(parser)?),
            Long("resource") => resource = Some(string_value(parser)?),
            Long("resource-account") => resource_account = Some(string_value(parser)?),
            Long("context") => context.push(key_value(parser, "--context")?),
            Long("tag") => tags.push(key_value(parser, "--tag")?),
            Value(v) if case.is_none() => case = Some(v.string().map_err(|e| e.to_string())?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    if let Some(path) = batch {
        if case.is_some() || parts_given {
            return Err(
                "simulate --batch reads its cases from FILE; it takes no CASE.json or policy and request flags"
                    .into(),
            );
        }
        return Ok(SimulateArgs {
            input: SimulateInput::Batch(BatchArgs {
                path,
                max_line_bytes: max_line_bytes.unwrap_or(DEFAULT_MAX_LINE_BYTES),
                max_input_bytes: max_input_bytes.unwrap_or(DEFAULT_MAX_INPUT_BYTES),
            }),
            json,
            strict,
        });
    }
    if max_line_bytes.is_some() || max_input_bytes.is_some() {
        return Err("--max-line-bytes and --max-input-bytes limit a --batch".into());
    }
    if let Some(case) = case {
        if parts_given {
            return Err(
                "simulate takes either CASE.json or policy and request flags, not both".into(),
            );
        }
        return Ok(SimulateArgs {
            input: SimulateInput::Case(case),
            json,
            strict,
        });
    }
    let flags_given = principal.is_some() || action.is_some() || resource.is_some();
    let request = match (request_file, flags_given) {
        (Some(_), true) => {
            return Err(
                "--request and --principal/--action/--resource are alternatives; give one".into(),
            );
        }
        (Some(file), false) => RequestInput::File(file),
        (None, _) => RequestInput::Flags {
            principal: principal.unwrap_or_default(),
            action: action
                .ok_or("simulate needs --action (or --request REQ.json, or CASE.json)")?,
            resource: resource.ok_or("simulate needs --resource (or --request REQ.json)")?,
            resource_account,
            context,
            tags,
        },
    };
    Ok(SimulateArgs {
        input: SimulateInput::Parts(Box::new(SimulateParts {
            identity,
            boundary,
            session,
            resource_policy,
            scps,
            rcps,
            request,
        })),
        json,
        strict,
    })
}

/// A positive byte count, for the batch limits.
fn byte_count(parser: &mut lexopt::Parser, flag: &str) -> Result<u64, String> {
    let text = string_value(parser)?;
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{flag} takes a positive number of bytes, got {text:?}"
        )),
    }
}

fn key_value(parser: &mut lexopt::Parser, flag: &str) -> Result<(String, String), String> {
    let text = string_value(parser)?;
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("{flag} takes KEY=VALUE, got {text:?}")),
    }
}

fn string_value(parser: &mut lexopt::Parser) -> Result<String, String> {
    parser
        .value()
        .map_err(|e| e.to_string())?
        .string()
        .map_err(|e| e.to_string())
}
