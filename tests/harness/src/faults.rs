//! A fault-injecting proxy between the functions' SDK clients and moto.
//! At a configurable rate it answers a request itself with a 5xx, with
//! the service's throttling error (`Throttling`, `ThrottlingException`,
//! S3's `SlowDown`), resets the connection (before or after moto
//! has done the work, so a lost response is covered too), or adds latency.
//! Faults are drawn from a seeded generator, so a failing run repeats.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::http::{HttpRequest, Protocol, forward, read_request, response};

#[derive(Debug, Default)]
pub struct FaultCounts {
    pub requests: AtomicUsize,
    pub server_errors: AtomicUsize,
    pub throttles: AtomicUsize,
    pub resets_before: AtomicUsize,
    pub resets_after: AtomicUsize,
    pub delays: AtomicUsize,
}

impl FaultCounts {
    pub fn injected(&self) -> usize {
        self.server_errors.load(Ordering::Relaxed)
            + self.throttles.load(Ordering::Relaxed)
            + self.resets_before.load(Ordering::Relaxed)
            + self.resets_after.load(Ordering::Relaxed)
            + self.delays.load(Ordering::Relaxed)
    }

    pub fn summary(&self) -> String {
        format!(
            "{} requests, {} faults: {} 5xx, {} Throttling, {} resets before and {} after the upstream call, {} delayed",
            self.requests.load(Ordering::Relaxed),
            self.injected(),
            self.server_errors.load(Ordering::Relaxed),
            self.throttles.load(Ordering::Relaxed),
            self.resets_before.load(Ordering::Relaxed),
            self.resets_after.load(Ordering::Relaxed),
            self.delays.load(Ordering::Relaxed),
        )
    }
}

pub struct FaultProxy {
    pub endpoint: String,
    upstream: String,
    pub counts: Arc<FaultCounts>,
    /// The fault rate's f64 bits, so a test can end an outage.
    rate: Arc<AtomicU64>,
}

/// What happens to one request.
enum Fault {
    None,
    ServerError,
    Throttle,
    ResetBefore,
    ResetAfter,
    Delay(Duration),
}

impl FaultProxy {
    /// Proxies to `upstream` (an `http://host:port` endpoint), injecting a
    /// fault into `rate` (0.0–1.0) of the requests.
    pub async fn start(upstream: &str, rate: f64, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let counts = Arc::new(FaultCounts::default());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let upstream_addr = upstream.clone();
        let dice = Arc::new(AtomicU64::new(seed | 1));
        let shared = Arc::clone(&counts);
        let rate = Arc::new(AtomicU64::new(rate.to_bits()));
        let current_rate = Arc::clone(&rate);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let rate = f64::from_bits(current_rate.load(Ordering::Relaxed));
                let fault = draw(&dice, rate);
                let (counts, upstream) = (Arc::clone(&shared), upstream.clone());
                tokio::spawn(async move { serve(stream, fault, &counts, &upstream).await });
            }
        });
        FaultProxy {
            endpoint,
            upstream: format!("http://{upstream_addr}"),
            counts,
            rate,
        }
    }

    /// Injects faults into `rate` of the requests from now on.
    pub fn set_rate(&self, rate: f64) {
        self.rate.store(rate.to_bits(), Ordering::Relaxed);
    }

    /// SDK configuration that reaches AWS through this proxy, with
    /// Rolegate's production retry policy, except that backoff starts at
    /// 20 ms instead of 1 s so that a test run takes seconds, not minutes.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        crate::config_loader(&self.endpoint)
            .retry_config(
                rolegate_aws::retry_config().with_initial_backoff(Duration::from_millis(20)),
            )
            .load()
            .await
    }

    /// `url`, an address on the upstream, redirected through this proxy.
    pub fn via(&self, url: &str) -> String {
        url.replacen(&self.upstream, &self.endpoint, 1)
    }
}

/// xorshift64*: a fault for the next request.
fn draw(state: &AtomicU64, rate: f64) -> Fault {
    let next = || {
        let mut x = state.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.store(x, Ordering::Relaxed);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    if next() >= rate {
        return Fault::None;
    }
    match (next() * 5.0) as u32 {
        0 => Fault::ServerError,
        1 => Fault::Throttle,
        2 => Fault::ResetBefore,
        3 => Fault::ResetAfter,
        _ => Fault::Delay(Duration::from_millis(50 + (next() * 250.0) as u64)),
    }
}

async fn serve(mut client: TcpStream, fault: Fault, counts: &FaultCounts, upstream: &str) {
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    counts.requests.fetch_add(1, Ordering::Relaxed);
    let answer = match fault {
        Fault::ServerError => {
            counts.server_errors.fetch_add(1, Ordering::Relaxed);
            Some(error(&request, false))
        }
        Fault::Throttle => {
            counts.throttles.fetch_add(1, Ordering::Relaxed);
            Some(error(&request, true))
        }
        Fault::ResetBefore => {
            counts.resets_before.fetch_add(1, Ordering::Relaxed);
            None
        }
        Fault::ResetAfter => {
            counts.resets_after.fetch_add(1, Ordering::Relaxed);
            let _ = forward(&request, upstream).await;
            None
        }
        Fault::Delay(wait) => {
            counts.delays.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
            forward(&request, upstream).await
        }
        Fault::None => forward(&request, upstream).await,
    };
    match answer {
        Some(bytes) => {
            let _ = client.write_all(&bytes).await;
            let _ = client.shutdown().await;
        }
        // A reset: drop the connection without a byte of answer.
        None => drop(client),
    }
}

/// The error as the service's protocol spells it. S3 throttles with
/// `503 SlowDown`; the others with a 400 `Throttling` error.
fn error(request: &HttpRequest, throttle: bool) -> Vec<u8> {
    let message = "injected by the fault proxy";
    match request.protocol() {
        Protocol::Json => {
            let (status, code) = if throttle {
                (400, "ThrottlingException")
            } else {
                (503, "ServiceUnavailable")
            };
            response(
                status,
                "application/x-amz-json-1.1",
                &format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
            )
        }
        Protocol::Query => {
            let (status, kind, code) = if throttle {
                (400, "Sender", "Throttling")
            } else {
                (503, "Receiver", "ServiceUnavailable")
            };
            response(
                status,
                "text/xml",
                &format!(
                    "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
                ),
            )
        }
        Protocol::RestXml => {
            let code = if throttle {
                "SlowDown"
            } else {
                "ServiceUnavailable"
            };
            response(
                503,
                "application/xml",
                &format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
            )
        }
    }
}
