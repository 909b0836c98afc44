//! A fault-injecting proxy between the functions' SDK clients and moto.
//! At a configurable rate it answers a request itself with a 5xx, with
//! AWS's `Throttling` error, resets the connection (before or after moto
//! has done the work, so a lost response is covered too), or adds latency.
//! Faults are drawn from a seeded generator, so a failing run repeats.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::http::{HttpRequest, forward, read_request, response};

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
    pub counts: Arc<FaultCounts>,
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
        let dice = Arc::new(AtomicU64::new(seed | 1));
        let shared = Arc::clone(&counts);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let fault = draw(&dice, rate);
                let (counts, upstream) = (Arc::clone(&shared), upstream.clone());
                tokio::spawn(async move { serve(stream, fault, &counts, &upstream).await });
            }
        });
        FaultProxy { endpoint, counts }
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
            Some(error(
                &request,
                503,
                "ServiceUnavailable",
                "injected by the fault proxy",
            ))
        }
        Fault::Throttle => {
            counts.throttles.fetch_add(1, Ordering::Relaxed);
            Some(error(&request, 400, "Throttling", "Rate exceeded"))
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

/// The error as the service's protocol spells it.
fn error(request: &HttpRequest, status: u16, code: &str, message: &str) -> Vec<u8> {
    if request.is_json_protocol() {
        let json_code = if code == "Throttling" {
            "ThrottlingException"
        } else {
            code
        };
        response(
            status,
            "application/x-amz-json-1.1",
            &format!(r#"{{"__type":"{json_code}","message":"{message}"}}"#),
        )
    } else {
        response(
            status,
            "text/xml",
            &format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
                if status >= 500 { "Receiver" } else { "Sender" }
            ),
        )
    }
}
