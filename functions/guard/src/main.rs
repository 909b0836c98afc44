//! Lambda entry point: settings and SDK clients once per cold start.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use rolegate_aws::Clients;
use rolegate_guard::{Guard, GuardConfig};
use serde_json::Value;

/// Attempts per AWS call; the SDK backs off on throttling between them.
const AWS_MAX_ATTEMPTS: u32 = 8;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();

    let config = GuardConfig::from_env()?;
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(AWS_MAX_ATTEMPTS))
        .load()
        .await;
    let guard = Guard::new(Clients::new(&sdk), config);
    let guard = &guard;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        guard.handle(event).await
    }))
    .await
}
