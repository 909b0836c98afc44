//! Just enough HTTP/1.1 to stand between the SDK and moto: read one
//! request, forward it, answer it. One request per connection (answers say
//! `Connection: close`), which the SDK's client handles like any server.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The AWS wire protocols the functions meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// IAM and STS.
    Query,
    /// SSM and EventBridge.
    Json,
    /// S3, where CloudFormation's ResponseURL points.
    RestXml,
}

/// One request: its head (request line and headers) and its body.
pub struct HttpRequest {
    pub head: String,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The Query protocol's `Action=` (IAM, STS) or the JSON protocols'
    /// `X-Amz-Target` operation (SSM, EventBridge).
    pub fn operation(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or(target).to_owned();
        }
        String::from_utf8_lossy(&self.body)
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
            .unwrap_or_default()
            .to_owned()
    }

    /// How the service spells its answers, judged from the request.
    pub fn protocol(&self) -> Protocol {
        match self.header("content-type") {
            Some(t) if t.contains("x-amz-json") => Protocol::Json,
            Some(t) if t.contains("x-www-form-urlencoded") => Protocol::Query,
            _ => Protocol::RestXml,
        }
    }
}

pub async fn read_request(stream: &mut TcpStream) -> Option<HttpRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut request = HttpRequest {
        head,
        body: buf[head_end..].to_vec(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while request.body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        request.body.extend_from_slice(&chunk[..n]);
    }
    Some(request)
}

/// Sends `request` to `upstream` (`host:port`) and returns the whole raw
/// response, or `None` when the upstream cannot be reached.
pub async fn forward(request: &HttpRequest, upstream: &str) -> Option<Vec<u8>> {
    let mut conn = TcpStream::connect(upstream).await.ok()?;
    let head: String = request
        .head
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    conn.write_all(head.as_bytes()).await.ok()?;
    conn.write_all(b"Connection: close\r\n\r\n").await.ok()?;
    conn.write_all(&request.body).await.ok()?;
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.ok()?;
    Some(response)
}

pub fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
