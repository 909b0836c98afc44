//! Lambda entry point: builds the SDK clients and the HTTP client once per
//! cold start, then serves events.

// The SDK futures nest deeply; the async main's layout needs more than 128.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, service_fn};
use rolegate_aws::Clients;
use rolegate_provisioner::Provisioner;
use rolegate_provisioner::config::ProvisionerConfig;
use rolegate_provisioner::response::delivery::Responder;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    rolegate_aws::init_tracing();
    let config = rolegate_aws::load_sdk_config().await;
    let mut provisioner = Provisioner::new(
        Clients::new(&config).with_record_key_from_env(),
        Responder::from_env()?,
    );
    provisioner.config = ProvisionerConfig::from_env();
    let provisioner = &provisioner;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        provisioner.handle(event).await
    }))
    .await
}
