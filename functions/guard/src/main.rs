//! Lambda entry point: settings and SDK clients once per cold start.

// The SDK futures nest deeply; the async main's layout needs more than 128.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, service_fn};
use rolegate_aws::Clients;
use rolegate_guard::{Guard, GuardConfig};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    rolegate_aws::init_tracing();
    let config = GuardConfig::from_env()?;
    let sdk = rolegate_aws::load_sdk_config().await;
    let guard = Guard::new(Clients::new(&sdk).with_record_key_from_env(), config);
    let guard = &guard;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        guard.handle(event).await
    }))
    .await
}
