//! The command line, declared with `clap`'s derive: help for every
//! subcommand (`-h`, `--help`), `--version`, suggestions for a mistyped
//! flag or command, and shell completions, as users of other CLIs expect.
//! A usage error exits 2 (bad input), `--help` and `--version` exit 0.
//!
//! The parsed flags become the plain option structs the commands take
//! ([`RenderOptions`], [`LintArgs`], [`SimulateArgs`]); the rules clap
//! cannot say (which of `simulate`'s three forms was meant) are checked
//! here, and fail like any other usage error.

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use rolegate_policy::lint::PolicyKind;

use crate::batch::{BatchArgs, DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_LINE_BYTES};

/// Rolegate's policy engine on the command line, for security reviewers:
/// what a spec would create, lint findings for a policy, and IAM's
/// decision on a request, explained.
#[derive(Debug, Parser)]
#[command(
    name = "rolegate",
    version,
    propagate_version = true,
    after_help = "Exit codes: 0 clean or allowed, 1 findings at error level or denied, 2 bad input; \
                  compare, check-not-granted and check-no-public: 0 no new access (not granted, \
                  not public), 1 found, 2 bad input, 3 unknown."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Render(RenderCmd),
    Lint(LintCmd),
    // Boxed: its many flags would make every command as large.
    Simulate(Box<SimulateCmd>),
    Compare(CompareCmd),
    CheckNotGranted(CheckNotGrantedCmd),
    CheckNoPublic(CheckNoPublicCmd),
    Integrations(IntegrationsCmd),
    Completions(CompletionsCmd),
}

/// Where a template's intrinsic functions get their values: `--param`,
/// and the pseudo-parameters from `--account`, `--region` and
/// `--stack-name`.
#[derive(Debug, Clone, Args)]
pub struct TemplateFlags {
    /// A template parameter (or an `!ImportValue` export name) and its
    /// value; repeatable. Parameters with a Default need none.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = key_value)]
    pub params: Vec<(String, String)>,
    /// The stack name `AWS::StackName` resolves to in a template.
    #[arg(long, value_name = "NAME", default_value = "YOUR-STACK")]
    pub stack_name: String,
}

/// Print what the provisioner would do with a spec: the role it would
/// create (trust policy, inline policies, tags, the permissions boundary it
/// attaches) once the least-privilege proof holds, or, exit code 1, why it
/// would refuse the spec.
///
/// SPEC holds the Custom::IntegrationRole properties, or the whole resource
/// ({"Type": ..., "Properties": {...}}), in JSON or YAML; or it is a
/// CloudFormation template, whose every Custom::IntegrationRole is rendered,
/// labelled by its logical id, with !Ref, !Sub, !GetAtt, !ImportValue, !Join,
/// !Select, !If and Conditions resolved from --param and the
/// pseudo-parameters.
#[derive(Debug, Args)]
pub struct RenderCmd {
    /// The spec, resource or template file (JSON or YAML); `-` reads standard input.
    #[arg(value_name = "SPEC")]
    pub spec_path: String,
    /// The account the role would live in (an example; pass your own).
    #[arg(long, value_name = "ID", default_value = "111122223333")]
    pub account: String,
    /// The region the provisioner runs in (an example; pass your own).
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    /// Stands for the ExternalId an existing role hands on; without it, a
    /// spec with no ExternalId shows a placeholder for the generated one.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// The deployment's boundary ARN (stack output IntegrationBoundaryArn).
    /// Default: $ROLEGATE_PERMISSIONS_BOUNDARY_ARN, else a placeholder, since
    /// CloudFormation names the policy at deploy time.
    #[arg(long, value_name = "ARN")]
    pub boundary: Option<String>,
    #[command(flatten)]
    pub template: TemplateFlags,
    /// Print JSON (schema in docs/CLI-JSON.md).
    #[arg(long)]
    pub json: bool,
    /// What to print (`--json` is `--format json`).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t,
        conflicts_with = "json"
    )]
    pub format: RenderFormat,
}

/// What `render` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// Every document in full: trust policy, inline policies, tags.
    #[default]
    Full,
    /// A reviewer's summary for a terminal (trust, a table of access, the
    /// boundary), coloured only on a terminal and without NO_COLOR.
    Text,
    /// The reviewer's summary in markdown; several roles also get their
    /// trust chain as a Mermaid diagram.
    Markdown,
    /// JSON (schema in docs/CLI-JSON.md).
    Json,
}

/// Print lint findings for a policy document, or for the roles a
/// CloudFormation template's Custom::IntegrationRole resources would create.
///
/// The kind is detected unless given; a permissions boundary caps and never
/// grants, so --kind boundary lints it as a cap.
#[derive(Debug, Args)]
pub struct LintCmd {
    /// The policy document or template (JSON or YAML); `-` reads standard input.
    #[arg(value_name = "POLICY")]
    pub policy_path: String,
    /// What the policy is used as; `auto` detects it.
    #[arg(long, value_name = "KIND", default_value = "auto",
          value_parser = ["auto", "identity", "managed", "boundary", "trust", "resource"])]
    pub kind: String,
    /// The role's own account, so that only principals elsewhere count as
    /// third parties. In a template, also `AWS::AccountId`.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// `AWS::Region` in a template.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    #[command(flatten)]
    pub template: TemplateFlags,
    /// Print JSON (schema in docs/CLI-JSON.md).
    #[arg(long)]
    pub json: bool,
    /// What to print (`--json` is `--format json`).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t,
        conflicts_with = "json"
    )]
    pub format: LintFormat,
}

/// What `lint` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// One line per finding, then the counts.
    #[default]
    Text,
    /// JSON (schema in docs/CLI-JSON.md).
    Json,
    /// A SARIF 2.1.0 log for code scanning (GitHub's among them); a file
    /// that is not a policy is a result in it too.
    Sarif,
}

/// Evaluate one request as IAM would and explain the decision: which
/// statement allowed or denied it, which condition failed and why.
///
/// Three forms: `simulate CASE.json`, where the case holds {"request": {...},
/// "policies": {...}} as in shared/policy/tests/eval_cases/; policy files per
/// layer with --request REQ.json or --principal/--action/--resource; or
/// `--batch FILE|-`, one case per line in, one JSON line out per case, in
/// order (a bad line does not stop the batch; exit 2 when any line was bad).
/// Exit code 0 when allowed, 1 when denied. An unknown action or condition
/// key, or a malformed ARN, is a warning printed with the decision; --strict
/// makes it an error (exit 2).
#[derive(Debug, Args)]
pub struct SimulateCmd {
    /// A case file holding both the policies and the request.
    #[arg(value_name = "CASE.json")]
    pub case: Option<String>,
    /// An identity policy; repeatable.
    #[arg(long, value_name = "P.json", help_heading = "Policies")]
    pub identity: Vec<String>,
    /// The permissions boundary.
    #[arg(long, value_name = "P.json", help_heading = "Policies")]
    pub boundary: Option<String>,
    /// A session policy.
    #[arg(long, value_name = "P.json", help_heading = "Policies")]
    pub session: Option<String>,
    /// The resource's policy.
    #[arg(long, value_name = "P.json", help_heading = "Policies")]
    pub resource_policy: Option<String>,
    /// A service control policy; repeatable.
    #[arg(long, value_name = "P.json", help_heading = "Policies")]
    pub scp: Vec<String>,
    /// A resource control policy; repeatable.
    #[arg(long, value_name = "P.json", help_heading = "Policies")]
    pub rcp: Vec<String>,
    /// The request as a file, in the case file's request shape.
    #[arg(long, value_name = "REQ.json", help_heading = "Request",
          conflicts_with_all = ["principal", "action", "resource"])]
    pub request: Option<String>,
    /// Who asks: an ARN, an account, or a service such as ec2.amazonaws.com.
    #[arg(long, value_name = "ARN", help_heading = "Request")]
    pub principal: Option<String>,
    /// The action, such as s3:GetObject.
    #[arg(long, value_name = "ACTION", help_heading = "Request")]
    pub action: Option<String>,
    /// The resource ARN.
    #[arg(long, value_name = "ARN", help_heading = "Request")]
    pub resource: Option<String>,
    /// The account owning the resource, when its ARN does not say.
    #[arg(long, value_name = "ID", help_heading = "Request")]
    pub resource_account: Option<String>,
    /// A condition key's value; a key given twice is multi-valued.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value, help_heading = "Request")]
    pub context: Vec<(String, String)>,
    /// A principal tag.
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value, help_heading = "Request")]
    pub tag: Vec<(String, String)>,
    /// One case per line from FILE (`-`: standard input), one JSON line out per case.
    #[arg(long, value_name = "FILE|-", help_heading = "Batch")]
    pub batch: Option<String>,
    /// A batch line's limit in bytes [default: 1048576].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          requires = "batch", help_heading = "Batch")]
    pub max_line_bytes: Option<u64>,
    /// A batch's limit in bytes, all lines together [default: 536870912].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          requires = "batch", help_heading = "Batch")]
    pub max_input_bytes: Option<u64>,
    /// Input warnings (unknown action or key, malformed ARN) are errors.
    #[arg(long)]
    pub strict: bool,
    /// Print JSON (schema in docs/CLI-JSON.md).
    #[arg(long)]
    pub json: bool,
}

/// Does NEW allow any request BASELINE does not? Decided for every request
/// at once (`rolegate_policy::symbolic`), offline.
///
/// Each of BASELINE and NEW is a policy document, a JSON array of them (a
/// role's identity policies) or {"identity": [...], "boundary": {...}}.
/// Prints "no new access" or a counterexample request (action, resource,
/// context) that `rolegate simulate` allows under NEW and not under
/// BASELINE. Exit codes: 0 no new access, 1 new access, 2 bad input, 3
/// unknown (a construct outside the fragment, or the budget), with the
/// reason.
#[derive(Debug, Args)]
pub struct CompareCmd {
    /// The allowed baseline; `-` reads standard input.
    #[arg(value_name = "BASELINE")]
    pub baseline: String,
    /// The candidate to judge.
    #[arg(value_name = "NEW")]
    pub candidate: String,
    /// A permissions boundary for both sides (unless a side names its own).
    #[arg(long, value_name = "B")]
    pub boundary: Option<String>,
    /// Print JSON: verdict, answer, and the counterexample or the reason.
    #[arg(long)]
    pub json: bool,
}

/// Does POLICY grant any of the actions on any of the resources?
///
/// POLICY is read as compare reads a side. Exit codes: 0 not granted, 1
/// granted (with a request it grants), 2 bad input, 3 unknown.
#[derive(Debug, Args)]
pub struct CheckNotGrantedCmd {
    /// The policy, policies or role to judge; `-` reads standard input.
    #[arg(value_name = "POLICY")]
    pub policy: String,
    /// An action pattern (`s3:Get*`); repeatable, at least one.
    #[arg(long = "action", value_name = "A", required = true)]
    pub actions: Vec<String>,
    /// A resource pattern; repeatable. Default: every resource.
    #[arg(long = "resource", value_name = "R")]
    pub resources: Vec<String>,
    /// A permissions boundary for POLICY (unless it names its own).
    #[arg(long, value_name = "B")]
    pub boundary: Option<String>,
    /// Print JSON: verdict, answer, and the counterexample or the reason.
    #[arg(long)]
    pub json: bool,
}

/// Does a trust or resource policy allow a caller outside every account it
/// names (Principal "*" without a narrowing condition)?
///
/// Exit codes: 0 not public, 1 public (with an anonymous caller's request
/// it allows), 2 bad input, 3 unknown.
#[derive(Debug, Args)]
pub struct CheckNoPublicCmd {
    /// The trust or resource policy; `-` reads standard input.
    #[arg(value_name = "POLICY")]
    pub policy: String,
    /// Print JSON: verdict, answer, and the counterexample or the reason.
    #[arg(long)]
    pub json: bool,
}

impl From<CompareCmd> for crate::symbolic::Command {
    fn from(c: CompareCmd) -> Self {
        crate::symbolic::Command::Compare {
            baseline: c.baseline,
            candidate: c.candidate,
            boundary: c.boundary,
            json: c.json,
        }
    }
}

impl From<CheckNotGrantedCmd> for crate::symbolic::Command {
    fn from(c: CheckNotGrantedCmd) -> Self {
        crate::symbolic::Command::NotGranted {
            policy: c.policy,
            actions: c.actions,
            resources: c.resources,
            boundary: c.boundary,
            json: c.json,
        }
    }
}

impl From<CheckNoPublicCmd> for crate::symbolic::Command {
    fn from(c: CheckNoPublicCmd) -> Self {
        crate::symbolic::Command::NoPublic {
            policy: c.policy,
            json: c.json,
        }
    }
}

/// Print a shell completion script for rolegate.
///
/// bash: `rolegate completions bash > /etc/bash_completion.d/rolegate`;
/// zsh: `rolegate completions zsh > "${fpath[1]}/_rolegate"`;
/// fish: `rolegate completions fish > ~/.config/fish/completions/rolegate.fish`.
#[derive(Debug, Args)]
pub struct CompletionsCmd {
    #[arg(value_name = "SHELL", value_parser = ["bash", "zsh", "fish"])]
    pub shell: String,
}

impl CompletionsCmd {
    /// The script, as clap_complete generates it for this command line.
    pub fn script(&self) -> Vec<u8> {
        let shell = match self.shell.as_str() {
            "zsh" => Shell::Zsh,
            "fish" => Shell::Fish,
            _ => Shell::Bash,
        };
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "rolegate", &mut out);
        out
    }
}

/// List the vendor's registry of integrations (the validator's DynamoDB
/// table), most urgent first: failing, never validated, stale, ok, with
/// the account, role, tenant, the failed check and since when, consecutive
/// failures and when last validated. Credentials and region come from the
/// usual AWS environment and profile (AWS_PROFILE, AWS_REGION, ...).
#[derive(Debug, Args)]
pub struct IntegrationsCmd {
    /// The registry table: the vendor stack's RegistryTableName output
    /// (`<stack>-registry`). Default: $ROLEGATE_REGISTRY_TABLE, the
    /// variable the validator reads.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// List only the integrations of this status.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusArg>,
    /// Hours after which a validation no longer counts (stale); the
    /// default schedule validates daily.
    #[arg(long, value_name = "HOURS", default_value_t = 72)]
    pub stale_after: u64,
    /// Print JSON (schema in docs/CLI-JSON.md).
    #[arg(long)]
    pub json: bool,
}

/// A registry status, as `--status` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Failing,
    NeverValidated,
    Stale,
    Ok,
}

/// The environment variable `--table` defaults to.
pub const REGISTRY_TABLE_VARIABLE: &str = "ROLEGATE_REGISTRY_TABLE";

impl IntegrationsCmd {
    /// The arguments, or why not: a table must be named somewhere.
    pub fn into_args(self) -> Result<crate::integrations::IntegrationsArgs, String> {
        let table = self
            .table
            .or_else(|| std::env::var(REGISTRY_TABLE_VARIABLE).ok())
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                format!(
                    "--table: is required (the vendor stack's RegistryTableName output), or set {REGISTRY_TABLE_VARIABLE}"
                )
            })?;
        Ok(crate::integrations::IntegrationsArgs {
            table,
            status: self.status,
            stale_after: std::time::Duration::from_secs(self.stale_after.saturating_mul(3600)),
            json: self.json,
        })
    }
}

/// `KEY=VALUE`, with a non-empty key.
fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("takes KEY=VALUE, got {text:?}")),
    }
}

/// A usage error found after clap's parse, reported (and exiting 2) as
/// clap reports its own.
fn usage_error(kind: ErrorKind, message: &str) -> clap::Error {
    Cli::command()
        .find_subcommand_mut("simulate")
        .map(|c| c.clone().error(kind, message))
        .unwrap_or_else(|| Cli::command().error(kind, message))
}

// ---- The options the commands take ----

/// Where a template's values come from, for `render` and `lint`.
#[derive(Debug, Clone)]
pub struct TemplateValues {
    pub params: Vec<(String, String)>,
    pub stack_name: String,
}

pub struct RenderOptions {
    pub spec_path: String,
    pub account: String,
    pub region: String,
    pub external_id: Option<String>,
    /// The deployment's permissions boundary ARN.
    pub boundary: Option<String>,
    pub template: TemplateValues,
    pub json: bool,
    pub format: RenderFormat,
}

pub struct LintArgs {
    pub policy_path: String,
    pub kind: Option<PolicyKind>,
    pub account: Option<String>,
    pub region: String,
    pub template: TemplateValues,
    pub json: bool,
    pub format: LintFormat,
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

impl From<TemplateFlags> for TemplateValues {
    fn from(f: TemplateFlags) -> Self {
        TemplateValues {
            params: f.params,
            stack_name: f.stack_name,
        }
    }
}

impl From<RenderCmd> for RenderOptions {
    fn from(c: RenderCmd) -> Self {
        RenderOptions {
            spec_path: c.spec_path,
            account: c.account,
            region: c.region,
            external_id: c.external_id,
            boundary: c.boundary,
            template: c.template.into(),
            json: c.json || c.format == RenderFormat::Json,
            format: if c.json { RenderFormat::Json } else { c.format },
        }
    }
}

impl From<LintCmd> for LintArgs {
    fn from(c: LintCmd) -> Self {
        LintArgs {
            policy_path: c.policy_path,
            // clap has held the value to the kinds' names and `auto`.
            kind: c.kind.parse::<PolicyKind>().ok(),
            account: c.account,
            region: c.region,
            template: c.template.into(),
            json: c.json || c.format == LintFormat::Json,
            format: if c.json { LintFormat::Json } else { c.format },
        }
    }
}

impl SimulateCmd {
    /// The form meant, or a usage error naming the flags that do not fit it.
    pub fn into_args(self) -> Result<SimulateArgs, clap::Error> {
        let parts_given = !self.identity.is_empty()
            || self.boundary.is_some()
            || self.session.is_some()
            || self.resource_policy.is_some()
            || !self.scp.is_empty()
            || !self.rcp.is_empty()
            || self.request.is_some()
            || self.principal.is_some()
            || self.action.is_some()
            || self.resource.is_some()
            || self.resource_account.is_some()
            || !self.context.is_empty()
            || !self.tag.is_empty();
        let (json, strict) = (self.json, self.strict);
        if let Some(path) = self.batch {
            if self.case.is_some() || parts_given {
                return Err(usage_error(
                    ErrorKind::ArgumentConflict,
                    "simulate --batch reads its cases from FILE; it takes no CASE.json or policy and request flags",
                ));
            }
            return Ok(SimulateArgs {
                input: SimulateInput::Batch(BatchArgs {
                    path,
                    max_line_bytes: self.max_line_bytes.unwrap_or(DEFAULT_MAX_LINE_BYTES),
                    max_input_bytes: self.max_input_bytes.unwrap_or(DEFAULT_MAX_INPUT_BYTES),
                }),
                json,
                strict,
            });
        }
        if let Some(case) = self.case {
            if parts_given {
                return Err(usage_error(
                    ErrorKind::ArgumentConflict,
                    "simulate takes either CASE.json or policy and request flags, not both",
                ));
            }
            return Ok(SimulateArgs {
                input: SimulateInput::Case(case),
                json,
                strict,
            });
        }
        let request = match self.request {
            Some(file) => RequestInput::File(file),
            None => {
                let missing = |flag: &str| {
                    usage_error(
                        ErrorKind::MissingRequiredArgument,
                        &format!(
                            "simulate needs {flag} (or --request REQ.json, or CASE.json, or --batch FILE)"
                        ),
                    )
                };
                RequestInput::Flags {
                    principal: self.principal.unwrap_or_default(),
                    action: self.action.ok_or_else(|| missing("--action"))?,
                    resource: self.resource.ok_or_else(|| missing("--resource"))?,
                    resource_account: self.resource_account,
                    context: self.context,
                    tags: self.tag,
                }
            }
        };
        Ok(SimulateArgs {
            input: SimulateInput::Parts(Box::new(SimulateParts {
                identity: self.identity,
                boundary: self.boundary,
                session: self.session,
                resource_policy: self.resource_policy,
                scps: self.scp,
                rcps: self.rcp,
                request,
            })),
            json,
            strict,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_batch_with_a_case_file_is_a_usage_error() {
        let cli = Cli::try_parse_from(["rolegate", "simulate", "c.json", "--batch", "-"]);
        let Ok(Cli {
            command: Command::Simulate(cmd),
        }) = cli
        else {
            panic!("parses as simulate");
        };
        let err = cmd.into_args().err().map(|e| e.kind());
        assert_eq!(err, Some(ErrorKind::ArgumentConflict));
    }

    fn symbolic(args: &[&str]) -> Result<crate::symbolic::Command, ErrorKind> {
        let argv = std::iter::once("rolegate").chain(args.iter().copied());
        match Cli::try_parse_from(argv).map_err(|e| e.kind())?.command {
            Command::Compare(c) => Ok(c.into()),
            Command::CheckNotGranted(c) => Ok(c.into()),
            Command::CheckNoPublic(c) => Ok(c.into()),
            other => panic!("not a symbolic command: {other:?}"),
        }
    }

    #[test]
    fn compare_reads_two_files_and_its_flags_in_any_order() {
        let c = symbolic(&["compare", "--json", "a.json", "b.json", "--boundary=b.json"]);
        assert_eq!(
            c,
            Ok(crate::symbolic::Command::Compare {
                baseline: "a.json".into(),
                candidate: "b.json".into(),
                boundary: Some("b.json".into()),
                json: true,
            })
        );
        assert_eq!(
            symbolic(&["compare", "a.json"]),
            Err(ErrorKind::MissingRequiredArgument)
        );
    }

    #[test]
    fn check_not_granted_needs_an_action_and_repeats_its_lists() {
        assert_eq!(
            symbolic(&["check-not-granted", "p.json"]),
            Err(ErrorKind::MissingRequiredArgument)
        );
        let c = symbolic(&[
            "check-not-granted",
            "p.json",
            "--action",
            "s3:GetObject",
            "--action",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::b/*",
        ]);
        let Ok(crate::symbolic::Command::NotGranted {
            actions, resources, ..
        }) = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(actions.len(), 2);
        assert_eq!(resources, vec!["arn:aws:s3:::b/*".to_owned()]);
    }

    #[test]
    fn a_flag_of_another_symbolic_command_is_refused() {
        assert_eq!(
            symbolic(&["check-no-public", "p.json", "--action", "x"]),
            Err(ErrorKind::UnknownArgument)
        );
        assert_eq!(
            symbolic(&["compare", "a", "b", "--resource", "x"]),
            Err(ErrorKind::UnknownArgument)
        );
        assert_eq!(
            symbolic(&["check-no-public", "p.json", "--boundary", "b.json"]),
            Err(ErrorKind::UnknownArgument)
        );
    }

    #[test]
    fn a_context_flag_without_equals_is_refused() {
        let err = Cli::try_parse_from(["rolegate", "simulate", "--context", "nokey"])
            .err()
            .map(|e| e.kind());
        assert_eq!(err, Some(ErrorKind::ValueValidation));
    }
}
