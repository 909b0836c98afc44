//! What every Rolegate Lambda does once per cold start.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per AWS call; the SDK backs off on throttling between them.
pub const AWS_MAX_ATTEMPTS: u32 = 8;

/// SDK internals that, below info, print request identities: an STS
/// session's access key id among them. They never log below info.
const QUIET_SDK_TARGETS: [&str; 3] = ["aws_smithy_runtime", "aws_smithy_runtime_api", "aws_config"];

/// JSON log lines without timestamps (CloudWatch adds them); `RUST_LOG`
/// sets the level, `info` by default.
pub fn init_tracing() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for target in QUIET_SDK_TARGETS {
        if let Ok(directive) = format!("{target}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .init();
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
