//! Test harness: a moto server per test on a free loopback port, SDK
//! clients pointed at it, presigned S3 PUT URLs that stand in for
//! CloudFormation's ResponseURL, an IAM call log, and a queue that catches
//! every event Rolegate emits.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod faults;
pub mod http;
pub mod template;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_iam::error::BoxError;
use lambda_runtime::{Context, LambdaEvent};
use rolegate_aws::Clients;
use rolegate_policy::reconcile::{LiveRole, RoleRecord, diff};
use rolegate_provisioner::Provisioner;
use rolegate_provisioner::response::delivery::{Responder, Retry};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/vendor-integration/5b3c1e70-0000-4000-8000-000000000001";
pub const BUCKET: &str = "cfn-responses";
/// The HMAC key that seals role records, as `Moto::start` creates it
/// (the template's `RecordKey`).
pub const RECORD_KEY: &str = "alias/rolegate-records";

pub fn venv_bin(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/bin")
        .join(name)
}

/// A test's tuning knob from the environment (`make faults` sets the full
/// counts), else `default`.
pub fn env_setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A moto server in its own process, killed when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let server = venv_bin("moto_server");
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); `make test` installs it",
                    server.display()
                )
            });
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto.python(&format!(
            "s3.create_bucket(Bucket={BUCKET:?})\n\
             key = kms.create_key(KeySpec='HMAC_256', KeyUsage='GENERATE_VERIFY_MAC')['KeyMetadata']['KeyId']\n\
             kms.create_alias(AliasName={RECORD_KEY:?}, TargetKeyId=key)"
        ));
        moto
    }

    /// Runs Python with `s3`, `iam`, `ssm`, `events`, `sqs` and `kms` boto3 clients
    /// bound to this server; returns what it printed.
    pub fn python(&self, code: &str) -> String {
        let prelude = format!(
            "import boto3, json, sys\n\
             kw = dict(endpoint_url={ep:?}, region_name={REGION:?}, aws_access_key_id='testing', aws_secret_access_key='testing')\n\
             s3 = boto3.client('s3', **kw)\niam = boto3.client('iam', **kw)\nssm = boto3.client('ssm', **kw)\n\
             events = boto3.client('events', **kw)\nsqs = boto3.client('sqs', **kw)\nkms = boto3.client('kms', **kw)\n",
            ep = self.endpoint
        );
        let out = Command::new(venv_bin("python"))
            .args(["-c", &format!("{prelude}{code}")])
            .output()
            .expect("the virtualenv's python runs");
        assert!(
            out.status.success(),
            "python failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }

    /// A presigned PUT URL for `key`, as CloudFormation would hand out.
    pub fn response_url(&self, key: &str) -> String {
        self.python(&format!(
            "print(s3.generate_presigned_url('put_object', Params={{'Bucket': {BUCKET:?}, 'Key': {key:?}}}, ExpiresIn=3600))"
        ))
    }

    /// Presigned PUT URLs for many keys, from one Python start.
    pub fn response_urls(&self, keys: &[String]) -> Vec<String> {
        let out = self.python(&format!(
            "print(json.dumps([s3.generate_presigned_url('put_object', Params={{'Bucket': {BUCKET:?}, 'Key': k}}, ExpiresIn=3600) for k in json.loads({keys:?})]))",
            keys = serde_json::to_string(keys).expect("keys serialize"),
        ));
        serde_json::from_str(&out).expect("a JSON list of URLs")
    }

    /// The response documents delivered for many keys (`None` where none
    /// was), from one Python start.
    pub fn responses(&self, keys: &[String]) -> Vec<Option<Value>> {
        let out = self.python(&format!(
            "def body(k):\n    try:\n        return json.loads(s3.get_object(Bucket={BUCKET:?}, Key=k)['Body'].read())\n    \
             except s3.exceptions.NoSuchKey:\n        return None\n\
             print(json.dumps([body(k) for k in json.loads({keys:?})]))",
            keys = serde_json::to_string(keys).expect("keys serialize"),
        ));
        serde_json::from_str(&out).expect("a JSON list of responses")
    }

    /// The response document delivered for `key`, with its size in bytes.
    pub fn response(&self, key: &str) -> Option<(Value, usize)> {
        let out = self.python(&format!(
            "try:\n    print(s3.get_object(Bucket={BUCKET:?}, Key={key:?})['Body'].read().decode())\n\
             except s3.exceptions.NoSuchKey:\n    print('')"
        ));
        (!out.is_empty()).then(|| {
            (
                serde_json::from_str(&out).expect("response is JSON"),
                out.len(),
            )
        })
    }

    /// Routes every event on the default bus to an SQS queue, so a test
    /// can read back exactly what Rolegate emitted.
    pub fn capture_events(&self) {
        self.python(
            "q = sqs.create_queue(QueueName='captured-events')['QueueUrl']\n\
             arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
             events.put_rule(Name='capture-all', EventPattern=json.dumps({'source': [{'prefix': ''}]}))\n\
             events.put_targets(Rule='capture-all', Targets=[{'Id': 'q', 'Arn': arn}])",
        );
    }

    /// The events captured since the last call, oldest first.
    pub fn captured_events(&self) -> Vec<Value> {
        let out = self.python(
            "q = sqs.get_queue_url(QueueName='captured-events')['QueueUrl']\n\
             got = []\n\
             while True:\n    m = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10).get('Messages', [])\n    \
             if not m: break\n    \
             for x in m:\n        got.append(json.loads(x['Body'])); sqs.delete_message(QueueUrl=q, ReceiptHandle=x['ReceiptHandle'])\n\
             print(json.dumps(got))",
        );
        serde_json::from_str(&out).expect("captured events are JSON")
    }

    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.endpoint).await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    config_loader(endpoint).load().await
}

/// The SDK's configuration for `endpoint` with moto's test credentials.
pub fn config_loader(endpoint: &str) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
}

/// Records the IAM API action of every request (the Query protocol's
/// `Action=` parameter), in order.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<String>>>);

impl CallLog {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// Calls that change IAM: everything but Get*/List*.
    pub fn take_writes(&self) -> Vec<String> {
        self.take()
            .into_iter()
            .filter(|a| !a.starts_with("Get") && !a.starts_with("List"))
            .collect()
    }
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.request().body().bytes().unwrap_or_default();
        let body = String::from_utf8_lossy(body);
        if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
            self.0.lock().unwrap().push(action.to_owned());
        }
        Ok(())
    }
}

/// Clients on `config`, with their IAM calls logged.
pub fn logged_clients(config: &SdkConfig) -> (Clients, CallLog) {
    let log = CallLog::default();
    let iam_conf = aws_sdk_iam::config::Builder::from(config)
        .interceptor(log.clone())
        .build();
    let clients = Clients {
        iam: aws_sdk_iam::Client::from_conf(iam_conf),
        ssm: aws_sdk_ssm::Client::new(config),
        events: aws_sdk_eventbridge::Client::new(config),
        kms: aws_sdk_kms::Client::new(config),
        record_key: Some(RECORD_KEY.to_owned()),
    };
    (clients, log)
}

/// A provisioner wired to `config`, with its IAM calls logged.
pub fn provisioner(config: &SdkConfig) -> (Provisioner, CallLog) {
    let (clients, log) = logged_clients(config);
    let retry = Retry {
        attempts: 3,
        first_backoff: Duration::from_millis(50),
        attempt_timeout: Duration::from_secs(5),
    };
    let responder = Responder::new(Some("127.0.0.1".into()), retry).expect("TLS roots load");
    (Provisioner::new(clients, responder), log)
}

/// A CloudFormation request as CloudFormation sends it.
pub fn request(
    moto: &Moto,
    request_type: &str,
    request_id: &str,
    properties: Value,
    physical_id: Option<&str>,
    old_properties: Option<Value>,
) -> Value {
    let url = moto.response_url(request_id);
    request_to(
        &url,
        request_type,
        request_id,
        properties,
        physical_id,
        old_properties,
    )
}

/// A CloudFormation request answered at `response_url`.
pub fn request_to(
    response_url: &str,
    request_type: &str,
    request_id: &str,
    properties: Value,
    physical_id: Option<&str>,
    old_properties: Option<Value>,
) -> Value {
    let mut event = json!({
        "RequestType": request_type,
        "ServiceToken": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:rolegate-provisioner"),
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": request_id,
        "ResourceType": "Custom::IntegrationRole",
        "LogicalResourceId": "VendorRole",
        "ResourceProperties": properties,
    });
    if let Some(id) = physical_id {
        event["PhysicalResourceId"] = json!(id);
    }
    if let Some(old) = old_properties {
        event["OldResourceProperties"] = old;
    }
    event
}

/// Reads role `name` and its stored record through `clients` and checks
/// that IAM holds exactly what the record asks for: trust, inline policies,
/// boundary, session length, description, tags, nothing attached.
pub async fn role_as_recorded(
    clients: &Clients,
    name: &str,
) -> Result<(LiveRole, RoleRecord), String> {
    let live = rolegate_aws::read_role(&clients.iam, name)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{name}: no such role"))?;
    let record = rolegate_aws::trusted_record(clients, &live)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|why| format!("{name}: {why}"))?;
    let desired = record.desired_state().map_err(|e| e.to_string())?;
    let drift = diff(&live, &desired.role);
    if drift.is_empty() {
        Ok((live, record))
    } else {
        Err(format!("{name}: IAM differs from its record: {drift:?}"))
    }
}

pub fn invoke_event(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, Context::default())
}
