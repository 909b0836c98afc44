//! A loopback STS that enforces trust policies. moto's STS lets anyone
//! assume any role; this front answers `AssumeRole` itself by asking
//! Rolegate's evaluator whether the role's trust policy admits the caller
//! with the ExternalId presented (or none), and forwards everything else,
//! and every granted AssumeRole, to moto. So the positive path is judged by
//! a real evaluation of the real trust policy, and the credentials are
//! moto's real ones.

#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::CompiledPolicy;
use rolegate_policy::eval::{ContextValue, Decision, PolicySet, Request, evaluate};
use rolegate_test_harness::http::{forward, read_request, response};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
pub struct FrontState {
    /// Trust policy of each role, by ARN; an unknown role is denied.
    pub trust: HashMap<String, PolicyDocument>,
    /// Answer GetCallerIdentity with this ARN instead of asking moto.
    pub lie_about_identity: Option<String>,
    /// Every STS action the front saw, in order.
    pub calls: Vec<String>,
    /// Answer every AssumeRole with STS's throttling error.
    pub throttle: bool,
}

pub struct StsFront {
    pub endpoint: String,
    pub state: Arc<Mutex<FrontState>>,
}

impl StsFront {
    /// Listens on a free loopback port; `caller` is the identity the
    /// validator has (its own role in the vendor's account).
    pub async fn start(moto_endpoint: &str, caller: &str) -> StsFront {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(FrontState::default()));
        let moto = moto_endpoint.trim_start_matches("http://").to_owned();
        let (shared, caller) = (Arc::clone(&state), caller.to_owned());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (state, moto, caller) = (Arc::clone(&shared), moto.clone(), caller.clone());
                tokio::spawn(async move { serve(stream, &state, &moto, &caller).await });
            }
        });
        StsFront { endpoint, state }
    }
}

async fn serve(mut client: TcpStream, state: &Mutex<FrontState>, moto: &str, caller: &str) {
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    let form = parse_form(&request.body);
    let action = form.get("Action").cloned().unwrap_or_default();
    state.lock().unwrap().calls.push(action.clone());
    let response = match action.as_str() {
        "AssumeRole" if state.lock().unwrap().throttle => xml(
            400,
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>front</RequestId></ErrorResponse>",
        ),
        "AssumeRole" => {
            let role = form.get("RoleArn").cloned().unwrap_or_default();
            if admits(state, caller, &role, form.get("ExternalId")) {
                forward(&request, moto).await.unwrap_or_default()
            } else {
                xml(
                    403,
                    &format!(
                        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}</Message></Error><RequestId>front</RequestId></ErrorResponse>"
                    ),
                )
            }
        }
        "GetCallerIdentity" => match lie(state) {
            Some(arn) => xml(
                200,
                &format!(
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROAFRONT:s</UserId><Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>front</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                    arn.split(':').nth(4).unwrap_or_default()
                ),
            ),
            None => forward(&request, moto).await.unwrap_or_default(),
        },
        _ => forward(&request, moto).await.unwrap_or_default(),
    };
    let _ = client.write_all(&response).await;
    let _ = client.shutdown().await;
}

fn lie(state: &Mutex<FrontState>) -> Option<String> {
    state.lock().unwrap().lie_about_identity.clone()
}

/// Rolegate's evaluator on the role's trust policy: may `caller` assume
/// `role` presenting `external_id`?
fn admits(
    state: &Mutex<FrontState>,
    caller: &str,
    role: &str,
    external_id: Option<&String>,
) -> bool {
    let state = state.lock().unwrap();
    let Some(trust) = state.trust.get(role) else {
        return false;
    };
    let caller_policy = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    )
    .unwrap();
    let set = PolicySet {
        identity: vec![CompiledPolicy::compile(&caller_policy, "caller identity")],
        resource: Some(CompiledPolicy::compile(trust, "trust policy")),
        ..PolicySet::default()
    };
    let account = role.split(':').nth(4).unwrap_or_default();
    let mut request = Request::new(caller, "sts:AssumeRole", role).in_account(account);
    if let Some(id) = external_id {
        request = request.with_context("sts:ExternalId", ContextValue::Single(id.clone()));
    }
    evaluate(&set, &request).decision == Decision::Allowed
}

fn xml(status: u16, body: &str) -> Vec<u8> {
    response(status, "text/xml", body)
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}
