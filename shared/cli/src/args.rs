//! Command-line parsing with `lexopt`: a tiny, dependency-free parser that
//! keeps the CLI's build time negligible next to clap's.

use std::ffi::OsString;

use lexopt::prelude::*;
use rolegate_policy::lint::PolicyKind;

pub const USAGE: &str = "\
usage:
  rolegate render SPEC.json [--account ID] [--region REGION] [--external-id ID] [--json]
      Print the trust policy, inline policies and tags a spec yields.
      SPEC.json holds the Custom::IntegrationRole properties, or the whole
      resource ({\"Type\": ..., \"Properties\": {...}}). Defaults: --account
      111122223333, --region us-east-1 (examples; pass your own).
  rolegate lint POLICY.json [--kind auto|identity|managed|trust|resource] [--account ID] [--json]
      Print lint findings for a policy document. The kind is detected unless
      given; --account names the role's own account, so that only principals
      elsewhere count as third parties.
  rolegate help

exit codes: 0 clean, 1 findings at error level, 2 bad input";

pub enum Command {
    Help,
    Render(RenderOptions),
    Lint(LintArgs),
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
        json: false,
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("account") => opts.account = string_value(parser)?,
            Long("region") => opts.region = string_value(parser)?,
            Long("external-id") => opts.external_id = Some(string_value(parser)?),
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
                    "identity" => Some(PolicyKind::Identity),
                    "managed" | "boundary" => Some(PolicyKind::Managed),
                    "trust" => Some(PolicyKind::Trust),
                    "resource" => Some(PolicyKind::Resource),
                    other => return Err(format!("unknown --kind {other:?}")),
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

fn string_value(parser: &mut lexopt::Parser) -> Result<String, String> {
    parser
        .value()
        .map_err(|e| e.to_string())?
        .string()
        .map_err(|e| e.to_string())
}
