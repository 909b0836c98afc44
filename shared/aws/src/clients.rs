/// The SDK clients a Rolegate function needs, built once per cold start
/// from one `aws-config` load. Clients are cheap to clone (shared handles).
#[derive(Debug, Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub events: aws_sdk_eventbridge::Client,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Clients {
            iam: aws_sdk_iam::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            events: aws_sdk_eventbridge::Client::new(config),
        }
    }
}
