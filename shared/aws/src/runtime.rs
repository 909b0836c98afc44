//! What every Rolegate Lambda does once per cold start: its log format and
//! level (the shape of Lambda's JSON logs, the level Lambda's logging
//! controls set), the line that names the version it runs, and its AWS SDK
//! configuration.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::fmt::format::{self, FormatEvent, JsonFields};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Attempts per AWS call; the SDK backs off on throttling between them.
pub const AWS_MAX_ATTEMPTS: u32 = 8;

/// SDK internals that, below info, print request identities: an STS
/// session's access key id among them. They never log below info.
const QUIET_SDK_TARGETS: [&str; 3] = ["aws_smithy_runtime", "aws_smithy_runtime_api", "aws_config"];

/// Rolegate's own code, which TRACE reaches: the `rolegate_*` libraries and
/// the three binaries (a filter target matches by prefix).
const OWN_TARGETS: [&str; 4] = ["rolegate", "provisioner", "guard", "validator"];

/// Where lambda_runtime opens each invocation's "Lambda runtime invoke" span.
const REQUEST_SPAN_TARGET: &str = "lambda_runtime::layers::trace";

/// Lambda's advanced logging controls put the function's
/// `LoggingConfig.ApplicationLogLevel` (the template's `LogLevel`) here.
pub const LAMBDA_LOG_LEVEL_VARIABLE: &str = "AWS_LAMBDA_LOG_LEVEL";

/// The filter's directives: `AWS_LAMBDA_LOG_LEVEL` when Lambda sets it
/// (TRACE, DEBUG, INFO, WARN, ERROR or FATAL, which `tracing` calls error),
/// else `RUST_LOG` as given, else `info`. The SDK's runtime targets stay at
/// info or above either way. TRACE from Lambda reaches only Rolegate's own
/// code: dependencies stop at debug, the level `make hygiene` proves free of
/// secrets (at trace lambda_runtime prints each raw event, a CloudFormation
/// ResponseURL with its signature among them, and the SDK's signer its
/// string to sign).
fn filter_directives(lambda_level: Option<&str>, rust_log: Option<&str>) -> String {
    let level = lambda_level
        .map(str::trim)
        .and_then(|l| match l.to_ascii_uppercase().as_str() {
            "TRACE" => Some("trace"),
            "DEBUG" => Some("debug"),
            "INFO" => Some("info"),
            "WARN" => Some("warn"),
            "ERROR" | "FATAL" => Some("error"),
            _ => None,
        });
    let mut directives = match (level, rust_log.map(str::trim)) {
        (Some("trace"), _) => {
            let own: Vec<String> = OWN_TARGETS.iter().map(|t| format!("{t}=trace")).collect();
            format!("debug,{}", own.join(","))
        }
        (Some(level), _) => level.to_owned(),
        (None, Some(rust_log)) if !rust_log.is_empty() => rust_log.to_owned(),
        (None, _) => "info".to_owned(),
    };
    for target in QUIET_SDK_TARGETS {
        directives.push_str(&format!(",{target}=info"));
    }
    // The request's span (info) carries `requestId`: kept at WARN and ERROR
    // too, so the lines that matter most name their request. The module
    // logs no events of its own.
    directives.push_str(&format!(",{REQUEST_SPAN_TARGET}=info"));
    directives
}

/// JSON log lines in the shape of Lambda's own JSON log format, one object
/// a line: `level`, `message` and `requestId` at top level, then `target`,
/// then every field of the request's spans and of the event itself (so
/// `security_alarm` is `$.security_alarm` to a metric filter). No timestamp:
/// CloudWatch adds one. The level comes from Lambda's `AWS_LAMBDA_LOG_LEVEL`
/// (the template's `LogLevel` parameter), or `RUST_LOG` off Lambda.
pub fn init_tracing() {
    let directives = filter_directives(
        std::env::var(LAMBDA_LOG_LEVEL_VARIABLE).ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    tracing::subscriber::set_global_default(subscriber(&directives, std::io::stdout)).ok();
    log_version(VERSION, GIT_COMMIT);
}

/// The version every Rolegate function is built at: the workspace version in
/// Cargo.toml, which is also the template's `SemanticVersion`.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit of the build, when the build was given one in
/// `ROLEGATE_GIT_COMMIT` (`make package` sets it; cargo rebuilds when it
/// changes). No build script: a plain `cargo build` simply has none.
const GIT_COMMIT: Option<&str> = option_env!("ROLEGATE_GIT_COMMIT");

/// Once per cold start, at info: which build is running, so a log line can
/// be traced to a release (`$.version`, `$.commit` to a query).
fn log_version(version: &str, commit: Option<&str>) {
    match commit.map(str::trim).filter(|c| !c.is_empty()) {
        Some(commit) => {
            tracing::info!(version, commit, "rolegate {version} ({commit}) starting")
        }
        None => tracing::info!(version, "rolegate {version} starting"),
    }
}

/// The subscriber [`init_tracing`] installs, writing to `writer`; a filter
/// directive that does not parse is skipped, as `EnvFilter` does with
/// `RUST_LOG`.
fn subscriber<W>(directives: &str, writer: W) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::builder().parse_lossy(directives))
        .fmt_fields(JsonFields::new())
        .event_format(LambdaJson)
        .with_writer(writer)
        .finish()
}

/// The one-line JSON event format (see [`init_tracing`]). Span fields come
/// from what [`JsonFields`] stored for each span: lambda_runtime's
/// "Lambda runtime invoke" span holds `requestId` (and `xrayTraceId`).
struct LambdaJson;

/// Keys the format writes first; a span or event field of the same name is
/// written as `field.<name>` rather than replace them.
const RESERVED_KEYS: [&str; 4] = ["level", "message", "requestId", "target"];

impl<S> FormatEvent<S, JsonFields> for LambdaJson
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut fields = FieldMap::default();
        // Outermost span first, so an inner span's field comes after.
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let stored = extensions
                    .get::<FormattedFields<JsonFields>>()
                    .and_then(|f| serde_json::from_str::<Map<String, Value>>(&f.fields).ok());
                for (name, value) in stored.into_iter().flatten() {
                    fields.push(name, value);
                }
            }
        }
        event.record(&mut fields);
        let line = log_line(
            event.metadata().level().as_str(),
            event.metadata().target(),
            fields.0,
        );
        writeln!(writer, "{line}")
    }
}

/// The line's JSON text: reserved keys first, in the order Lambda writes
/// them, then the rest in the order recorded.
fn log_line(level: &str, target: &str, fields: Vec<(String, Value)>) -> String {
    let mut message = None;
    let mut request_id = None;
    let mut rest = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        match name.as_str() {
            "message" if message.is_none() => message = Some(value),
            "requestId" if request_id.is_none() => request_id = Some(value),
            _ if RESERVED_KEYS.contains(&name.as_str()) => {
                rest.push((format!("field.{name}"), value))
            }
            _ => rest.push((name, value)),
        }
    }
    let mut head = vec![
        ("level".to_owned(), Value::from(level)),
        (
            "message".to_owned(),
            message.unwrap_or_else(|| Value::from("")),
        ),
    ];
    if let Some(id) = request_id {
        head.push(("requestId".to_owned(), id));
    }
    head.push(("target".to_owned(), Value::from(target)));
    let members: Vec<String> = head
        .into_iter()
        .chain(rest)
        .map(|(name, value)| format!("{}:{value}", Value::from(name)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// An event's fields as JSON values, in the order recorded; a name seen
/// twice keeps its last value (an event field over a span's).
#[derive(Default)]
struct FieldMap(Vec<(String, Value)>);

impl FieldMap {
    fn push(&mut self, name: String, value: Value) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }
}

impl Visit for FieldMap {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.push(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field.name().to_owned(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field.name().to_owned(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field.name().to_owned(), Value::from(value.to_string()));
    }
}

/// The AWS configuration, loaded the standard way: it honours
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, so the same binary
/// runs against AWS or a local emulator.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .load()
        .await
}

/// The SDK's standard retry mode (exponential backoff with jitter from 1 s,
/// retry quota) with [`AWS_MAX_ATTEMPTS`]: 5xx, throttling and dropped
/// connections are retried; IAM's own refusals are not.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(AWS_MAX_ATTEMPTS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};

    use super::{VERSION, filter_directives, log_version, subscriber};

    /// Everything the subscriber writes, kept for the test to read.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The lines `log` writes under the subscriber `init_tracing` installs.
    fn lines_logged(directives: &str, log: impl FnOnce()) -> Vec<String> {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing::subscriber::with_default(subscriber(directives, move || writer.clone()), log);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn a_log_line_has_level_message_and_request_id_at_top_level_and_its_fields_beside_them() {
        let lines = lines_logged("info", || {
            // As lambda_runtime opens it around each invocation.
            let span = tracing::info_span!(
                target: "lambda_runtime::layers::trace",
                "Lambda runtime invoke",
                requestId = "8f5c-req",
                xrayTraceId = "Root=1-abc"
            );
            let _in_request = span.enter();
            tracing::warn!(
                target: "guard",
                security_alarm = "COMMAND_REFUSED",
                role = "vendor-x",
                attempts = 3,
                "command refused"
            );
        });
        assert_eq!(
            lines,
            [concat!(
                r#"{"level":"WARN","message":"command refused","requestId":"8f5c-req","target":"guard","#,
                r#""xrayTraceId":"Root=1-abc","security_alarm":"COMMAND_REFUSED","role":"vendor-x","attempts":3}"#
            )]
        );
    }

    #[test]
    fn a_line_outside_any_request_has_no_request_id_and_a_field_named_like_a_reserved_key_is_renamed()
     {
        let lines = lines_logged("info", || {
            tracing::info!(target: "provisioner", level = "mine", "cold start");
        });
        let line: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(
            line,
            json!({"level": "INFO", "message": "cold start", "target": "provisioner", "field.level": "mine"})
        );
    }

    #[test]
    fn the_request_span_survives_a_warn_level_so_errors_name_their_request() {
        let directives = filter_directives(Some("WARN"), None);
        let lines = lines_logged(&directives, || {
            let span = tracing::info_span!(
                target: "lambda_runtime::layers::trace",
                "Lambda runtime invoke",
                requestId = "r-1"
            );
            let _in_request = span.enter();
            tracing::info!(target: "guard", "not written at warn");
            tracing::error!(target: "guard", "event refused");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(line["requestId"], "r-1");
        assert_eq!(line["message"], "event refused");
    }

    #[test]
    fn lambdas_log_level_wins_over_rust_log_and_trace_reaches_only_rolegates_code() {
        let quiet = "aws_smithy_runtime=info,aws_smithy_runtime_api=info,aws_config=info,lambda_runtime::layers::trace=info";
        assert_eq!(
            filter_directives(Some("DEBUG"), Some("warn")),
            format!("debug,{quiet}")
        );
        assert_eq!(
            filter_directives(Some("FATAL"), None),
            format!("error,{quiet}")
        );
        assert_eq!(
            filter_directives(None, Some("rolegate_aws=debug")),
            format!("rolegate_aws=debug,{quiet}")
        );
        assert_eq!(
            filter_directives(Some("nonsense"), None),
            format!("info,{quiet}")
        );
        assert_eq!(filter_directives(None, None), format!("info,{quiet}"));
        assert_eq!(
            filter_directives(Some("TRACE"), None),
            format!("debug,rolegate=trace,provisioner=trace,guard=trace,validator=trace,{quiet}")
        );
    }

    #[test]
    fn at_trace_dependencies_stay_at_debug_and_the_sdk_runtime_at_info() {
        let directives = filter_directives(Some("TRACE"), None);
        let lines = lines_logged(&directives, || {
            tracing::trace!(target: "rolegate_aws::live", "own trace");
            tracing::trace!(target: "lambda_runtime::layers::api_response", "raw event");
            tracing::debug!(target: "aws_smithy_runtime::client", "identity");
            tracing::debug!(target: "hyper_util::client", "connection");
        });
        let messages: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["message"].clone())
            .collect();
        assert_eq!(messages, [json!("own trace"), json!("connection")]);
    }

    #[test]
    fn the_cold_start_line_names_the_workspace_version_and_the_commit_when_the_build_had_one() {
        let lines = lines_logged("info", || {
            log_version(VERSION, Some("1af8efe"));
            log_version(VERSION, None);
            log_version(VERSION, Some(" "));
        });
        let lines: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                json!({"level": "INFO", "message": format!("rolegate {VERSION} (1af8efe) starting"),
                       "target": "rolegate_aws::runtime", "version": VERSION, "commit": "1af8efe"}),
                json!({"level": "INFO", "message": format!("rolegate {VERSION} starting"),
                       "target": "rolegate_aws::runtime", "version": VERSION}),
                json!({"level": "INFO", "message": format!("rolegate {VERSION} starting"),
                       "target": "rolegate_aws::runtime", "version": VERSION}),
            ]
        );
    }
}
