//! The SDK clients a Rolegate function needs, and the one setting that
//! goes with them: the KMS key that seals role records.

/// Built once per cold start from one `aws-config` load. Clients are cheap
/// to clone (shared handles).
#[derive(Debug, Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub kms: aws_sdk_kms::Client,
    /// `ROLEGATE_RECORD_KEY_ID`: the HMAC key that seals role records. The
    /// provisioner cannot write a record without it; the guard without it
    /// trusts no record (it reports, and never restores).
    pub record_key: Option<String>,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Clients {
            iam: aws_sdk_iam::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            events: aws_sdk_eventbridge::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            record_key: None,
        }
    }

    /// The same clients, sealing and verifying records with `key`.
    pub fn with_record_key(mut self, key: Option<String>) -> Self {
        self.record_key = key.filter(|k| !k.trim().is_empty());
        self
    }

    /// `ROLEGATE_RECORD_KEY_ID` from the environment (the template sets it).
    pub fn with_record_key_from_env(self) -> Self {
        self.with_record_key(std::env::var(RECORD_KEY_VARIABLE).ok())
    }
}

/// The environment variable naming the record key.
pub const RECORD_KEY_VARIABLE: &str = "ROLEGATE_RECORD_KEY_ID";
