//! What every Rolegate Lambda does once per cold start.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per AWS call; the SDK backs off on throttling between them.
pub const AWS_MAX_ATTEMPTS: u32 = 8;

/// JSON log lines without timestamps (CloudWatch adds them); `RUST_LOG`
/// sets the level, `info` by default.
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
}

/// The AWS configuration, loaded the standard way: it honours
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`, so the same binary
/// runs against AWS or a local emulator.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(AWS_MAX_ATTEMPTS))
        .load()
        .await
}
