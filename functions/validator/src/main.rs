//! Lambda entry point: settings and SDK clients once per cold start.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use rolegate_validator::{Validator, ValidatorConfig};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    rolegate_aws::init_tracing();
    let config = ValidatorConfig::from_env()?;
    let sdk = rolegate_aws::load_sdk_config().await;
    let validator = Validator::new(&sdk, config);
    let validator = &validator;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        validator.handle(event).await
    }))
    .await
}
