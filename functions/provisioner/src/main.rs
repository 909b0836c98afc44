//! Lambda entry point: builds the SDK clients and the HTTP client once per
//! cold start, then serves events.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use rolegate_aws::Clients;
use rolegate_provisioner::Provisioner;
use rolegate_provisioner::responder::Responder;
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

    // Honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, so the same
    // binary runs against AWS or a local emulator.
    let config = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(AWS_MAX_ATTEMPTS))
        .load()
        .await;
    let provisioner = Provisioner::new(Clients::new(&config), Responder::from_env()?);
    let provisioner = &provisioner;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        provisioner.handle(event).await
    }))
    .await
}
