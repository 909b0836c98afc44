//! Delivers the response to CloudFormation's presigned S3 ResponseURL.
//!
//! A stack that never hears back waits an hour, so delivery retries with
//! backoff and checks the HTTP status; and because the URL comes from the
//! event, it is only ever sent to S3 (no SSRF into the VPC or the metadata
//! service) unless a local host is allowed explicitly.

use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use thiserror::Error;

/// Environment variable naming one host (e.g. `127.0.0.1`) to which
/// responses may go, plain HTTP included, besides S3: for local emulators
/// only. Tests set it for moto's S3; a local CloudFormation engine
/// (MiniStack) answers at `http://127.0.0.1:PORT/_ministack/cfn-response/..`,
/// and the template's `AllowedResponseHost` parameter sets it. Unset or
/// empty (the template's default), only S3 hosts are answered.
///
/// Its value must be a loopback host (see [`is_loopback_host`]); anything
/// else is refused when the function starts. A deployment cannot be
/// weakened by it: a loopback address never leaves the machine that sends
/// to it (on Lambda, the function's own sandbox), so a forged event can at
/// worst make the function talk to itself, while any other host would let
/// it PUT the role ARN and ExternalId, unencrypted, across a network to
/// wherever the event says.
pub const ALLOW_HOST_ENV: &str = "ROLEGATE_ALLOW_RESPONSE_HOST";

/// Why the responder cannot be built.
#[derive(Debug, Error)]
pub enum ResponderError {
    #[error(
        "ROLEGATE_ALLOW_RESPONSE_HOST: {value:?} is not a loopback host (127.0.0.0/8, ::1 or localhost); the setting is for local emulators only and leaves every other host refused (leave it empty in a real deployment)"
    )]
    NotLoopback { value: String },
    #[error("the HTTPS client could not load the system's root certificates: {0}")]
    Tls(#[from] std::io::Error),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ResponseUrlError {
    #[error("ResponseURL: not a valid URL")]
    Unparseable,
    #[error("ResponseURL: must use https")]
    NotHttps,
    #[error("ResponseURL: host {host:?} is not an Amazon S3 endpoint")]
    NotS3 { host: String },
}

#[derive(Debug, Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Url(#[from] ResponseUrlError),
    #[error("the response was refused with HTTP {status} after {attempts} attempt(s)")]
    Refused { status: u16, attempts: u32 },
    #[error("the response could not be sent after {attempts} attempt(s): {reason}")]
    Unreachable { attempts: u32, reason: String },
    #[error(
        "the response could not be sent before the Lambda deadline, after {attempts} attempt(s): {reason}"
    )]
    OutOfTime { attempts: u32, reason: String },
}

/// How delivery retries.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub attempt_timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            first_backoff: Duration::from_millis(200),
            attempt_timeout: Duration::from_secs(5),
        }
    }
}

/// Checks that `url` points at S3 in some AWS partition (or at the one
/// explicitly allowed local host). Returns the parsed URI.
pub fn check_url(url: &str, allowed_host: Option<&str>) -> Result<Uri, ResponseUrlError> {
    let uri: Uri = url.parse().map_err(|_| ResponseUrlError::Unparseable)?;
    let host = uri
        .host()
        .ok_or(ResponseUrlError::Unparseable)?
        .to_ascii_lowercase();
    if allowed_host
        .is_some_and(|allowed| unbracketed(allowed).eq_ignore_ascii_case(unbracketed(&host)))
    {
        return Ok(uri);
    }
    if uri.scheme_str() != Some("https") {
        return Err(ResponseUrlError::NotHttps);
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@'))
        || uri.port_u16().is_some_and(|p| p != 443)
        || !is_s3_host(&host)
    {
        return Err(ResponseUrlError::NotS3 { host });
    }
    Ok(uri)
}

/// True for `localhost` and an IPv4 (127.0.0.0/8) or IPv6 (`::1`, with or
/// without brackets) loopback address: the only hosts [`ALLOW_HOST_ENV`]
/// may name.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || unbracketed(host)
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An IPv6 host as URLs write it (`[::1]`) or bare (`::1`), bare.
fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// `bucket.s3.amazonaws.com`, `bucket.s3-us-west-2.amazonaws.com`,
/// `bucket.s3.us-gov-west-1.amazonaws.com`, `bucket.s3.cn-north-1.amazonaws.com.cn`
/// and their path-style forms.
fn is_s3_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let service_labels = if host.ends_with(".amazonaws.com") {
        &labels[..labels.len() - 2]
    } else if host.ends_with(".amazonaws.com.cn") {
        &labels[..labels.len() - 3]
    } else {
        return false;
    };
    let valid =
        |l: &&str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    service_labels.iter().all(valid)
        && service_labels
            .iter()
            .any(|l| *l == "s3" || l.starts_with("s3-"))
}

/// The HTTP client, built once per cold start.
#[derive(Clone)]
pub struct Responder {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    allowed_host: Option<String>,
    retry: Retry,
}

impl Responder {
    /// A responder that answers S3 hosts and `allowed_host`, which must be
    /// a loopback host (empty counts as none, as the template's default
    /// leaves it).
    pub fn new(allowed_host: Option<String>, retry: Retry) -> Result<Self, ResponderError> {
        let allowed_host = allowed_host.filter(|h| !h.trim().is_empty());
        if let Some(value) = allowed_host.as_ref().filter(|h| !is_loopback_host(h)) {
            return Err(ResponderError::NotLoopback {
                value: value.clone(),
            });
        }
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Responder {
            client: Client::builder(TokioExecutor::new()).build(https),
            allowed_host,
            retry,
        })
    }

    /// From the environment: [`ALLOW_HOST_ENV`] and default retries. A
    /// non-loopback value stops the cold start with an error naming the
    /// setting, rather than run with a check other than the one asked for.
    pub fn from_env() -> Result<Self, ResponderError> {
        Responder::new(std::env::var(ALLOW_HOST_ENV).ok(), Retry::default())
    }

    /// Whether responses may go to `url` at all.
    pub fn check(&self, url: &str) -> Result<(), ResponseUrlError> {
        check_url(url, self.allowed_host.as_deref()).map(|_| ())
    }

    /// PUTs `body` to `url` within `within`. Retries connection failures,
    /// timeouts, 5xx and 429; any other status is final. No attempt or
    /// backoff runs past `within`: a handler that gives up by itself logs
    /// why, where one killed at the Lambda deadline says nothing.
    pub async fn send(
        &self,
        url: &str,
        body: String,
        within: Duration,
    ) -> Result<(), DeliveryError> {
        let uri = check_url(url, self.allowed_host.as_deref())?;
        let body = Bytes::from(body);
        let give_up_at = Instant::now() + within;
        // The pause before the next attempt: none before the first.
        let mut pause = Duration::ZERO;
        let mut last = String::from("no time left for a first attempt");
        let mut attempts = 0;
        while attempts < self.retry.attempts {
            // What the attempt may take once the pause is over.
            let left = give_up_at.saturating_duration_since(Instant::now() + pause);
            if left.is_zero() {
                return Err(DeliveryError::OutOfTime {
                    attempts,
                    reason: last,
                });
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            pause = if attempts == 0 {
                self.retry.first_backoff
            } else {
                pause * 2
            };
            attempts += 1;
            let request = Request::builder()
                .method(Method::PUT)
                .uri(uri.clone())
                // The presigned URL was signed without a content type.
                .header(http::header::CONTENT_TYPE, "")
                .header(http::header::CONTENT_LENGTH, body.len())
                .body(Full::new(body.clone()))
                .map_err(|_| ResponseUrlError::Unparseable)?;
            let timeout = self.retry.attempt_timeout.min(left);
            match tokio::time::timeout(timeout, self.client.request(request)).await {
                Ok(Ok(response)) if response.status().is_success() => return Ok(()),
                Ok(Ok(response)) => {
                    let status = response.status();
                    if !(status.is_server_error() || status.as_u16() == 429) {
                        return Err(DeliveryError::Refused {
                            status: status.as_u16(),
                            attempts,
                        });
                    }
                    last = format!("HTTP {}", status.as_u16());
                }
                // hyper's error text names no URL, so it is safe to keep.
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = format!("no answer within {} ms", timeout.as_millis()),
            }
            tracing::warn!(attempt = attempts, reason = %last, "response delivery failed; retrying");
        }
        Err(DeliveryError::Unreachable {
            attempts,
            reason: last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudformation_response_hosts_of_every_partition_are_accepted() {
        for url in [
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?sig=1",
            "https://cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com/x",
            "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x",
            "https://s3.amazonaws.com/bucket/key",
            "https://bucket.s3.cn-north-1.amazonaws.com.cn/key",
            "https://bucket.s3.us-gov-west-1.amazonaws.com/key",
            "https://bucket.s3-fips.us-gov-west-1.amazonaws.com:443/key",
        ] {
            assert!(check_url(url, None).is_ok(), "{url}");
        }
    }

    #[test]
    fn non_s3_hosts_and_plain_http_are_refused() {
        let refused = [
            (
                "http://bucket.s3.amazonaws.com/x",
                ResponseUrlError::NotHttps,
            ),
            (
                "https://169.254.169.254/latest/meta-data",
                ResponseUrlError::NotS3 {
                    host: "169.254.169.254".into(),
                },
            ),
            (
                "https://evil.example.com/s3.amazonaws.com",
                ResponseUrlError::NotS3 {
                    host: "evil.example.com".into(),
                },
            ),
            (
                "https://s3.amazonaws.com.evil.example/x",
                ResponseUrlError::NotS3 {
                    host: "s3.amazonaws.com.evil.example".into(),
                },
            ),
            (
                "https://lambda.us-east-1.amazonaws.com/x",
                ResponseUrlError::NotS3 {
                    host: "lambda.us-east-1.amazonaws.com".into(),
                },
            ),
            (
                "https://bucket.s3.amazonaws.com:8443/x",
                ResponseUrlError::NotS3 {
                    host: "bucket.s3.amazonaws.com".into(),
                },
            ),
            (
                "https://user@bucket.s3.amazonaws.com/x",
                ResponseUrlError::NotS3 {
                    host: "bucket.s3.amazonaws.com".into(),
                },
            ),
            ("not a url", ResponseUrlError::Unparseable),
        ];
        for (url, expected) in refused {
            assert_eq!(check_url(url, None).unwrap_err(), expected, "{url}");
        }
    }

    #[test]
    fn a_local_host_is_allowed_only_when_named() {
        let url = "http://127.0.0.1:5000/bucket/key";
        assert!(check_url(url, None).is_err());
        assert!(check_url(url, Some("127.0.0.1")).is_ok());
        assert!(check_url(url, Some("localhost")).is_err());
        let v6 = "http://[::1]:4566/_ministack/cfn-response/t";
        assert!(check_url(v6, Some("::1")).is_ok());
        assert!(check_url(v6, Some("[::1]")).is_ok());
        assert!(check_url(v6, None).is_err());
    }

    #[test]
    fn only_a_loopback_host_may_be_allowed_and_empty_allows_none() {
        for host in [
            "127.0.0.1",
            "127.3.2.1",
            "localhost",
            "LOCALHOST",
            "::1",
            "[::1]",
        ] {
            assert!(
                Responder::new(Some(host.into()), Retry::default()).is_ok(),
                "{host}"
            );
        }
        for host in [
            "10.0.0.5",
            "169.254.169.254",
            "0.0.0.0",
            "attacker.example.com",
            "s3.amazonaws.com",
            "localhost.example.com",
            "::",
        ] {
            let err = Responder::new(Some(host.into()), Retry::default()).err();
            assert!(
                matches!(&err, Some(ResponderError::NotLoopback { value }) if value == host),
                "{host}: {err:?}"
            );
        }
        // The template's default, an empty parameter, allows no extra host.
        let production = Responder::new(Some(String::new()), Retry::default()).unwrap();
        assert_eq!(production.allowed_host, None);
        assert_eq!(
            production.check("http://127.0.0.1:4566/_ministack/cfn-response/t"),
            Err(ResponseUrlError::NotHttps)
        );
    }
}
