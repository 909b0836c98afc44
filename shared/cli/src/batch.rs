//! `rolegate simulate --batch FILE|-`: one case per line in, one decision
//! per line out, in input order, written as each case is decided.
//!
//! The input is streamed: memory holds a block of it (or one line, when
//! longer), the output waiting to be written, and the compiled policy sets,
//! whatever the batch's size. Two limits bound the work anyway, so a
//! wrong file (a disk image, `/dev/zero`, a log without newlines) fails in
//! seconds instead of running for minutes:
//!
//! - a line may hold at most `--max-line-bytes` (1 MiB by default; IAM's
//!   own quotas keep a case's policies far below that). A longer line is
//!   reported and skipped without being buffered, and the batch goes on;
//! - the input may hold at most `--max-input-bytes` (512 MiB by default,
//!   about half a million typical cases). A file over it is refused before
//!   anything is read; a stream stops at the line that crosses it.
//!
//! A line that cannot be simulated gets an error line naming its line
//! number, field and rule, on standard output (in order) and on standard
//! error (`FILE:LINE: field: message`), and the batch goes on. The exit
//! code is 0 when every case was decided, whatever the decisions, and 2
//! when any line was bad input: a batch that was partly bad input must not
//! pass for a clean one, and the decisions are in the output, not the code.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::ops::Range;

use rolegate_policy::eval::{Evaluation, Request, evaluate};
use serde::Serialize;

use crate::Outcome;
use crate::case::{self, CaseError, PolicyCache};
use crate::check::{Checker, Naming, Warning};

pub const DEFAULT_MAX_LINE_BYTES: u64 = 1 << 20;
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 512 << 20;

/// Write behind in large blocks: a batch is throughput-bound.
const IO_BUFFER: usize = 1 << 16;

/// Read ahead in blocks this large: few system calls, and a block still
/// fits in the core's cache while its lines are decided.
const READ_BLOCK: usize = 1 << 17;

pub struct BatchArgs {
    /// A file, or `-` for standard input.
    pub path: String,
    pub max_line_bytes: u64,
    pub max_input_bytes: u64,
}

/// Why one line produced no decision.
enum LineError {
    Case(CaseError),
    TooLong {
        limit: u64,
    },
    InputTooLarge {
        limit: u64,
    },
    NotUtf8 {
        column: usize,
    },
    /// `--strict`: the request's warnings, the first one reported as the error.
    Strict(Vec<Warning>),
}

impl LineError {
    fn code(&self) -> &str {
        match self {
            LineError::Case(e) => e.code(),
            LineError::TooLong { .. } => "LINE_TOO_LONG",
            LineError::InputTooLarge { .. } => "INPUT_TOO_LARGE",
            LineError::NotUtf8 { .. } => "NOT_UTF8",
            LineError::Strict(w) => w.first().map_or("STRICT", |w| w.code),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            LineError::Case(e) => e.field(),
            LineError::Strict(w) => w.first().map(|w| w.field.as_str()),
            _ => None,
        }
    }

    fn column(&self) -> Option<usize> {
        match self {
            LineError::Case(e) => e.column(),
            LineError::NotUtf8 { column } => Some(*column),
            _ => None,
        }
    }

    fn message(&self) -> String {
        match self {
            LineError::Case(e) => e.to_string(),
            LineError::TooLong { limit } => {
                format!("the line is longer than {limit} bytes (--max-line-bytes); it was skipped")
            }
            LineError::InputTooLarge { limit } => format!(
                "the input is larger than {limit} bytes (--max-input-bytes); the batch stops here. Split it, or raise the limit"
            ),
            LineError::NotUtf8 { .. } => "not UTF-8 text".to_owned(),
            LineError::Strict(w) => w
                .first()
                .map_or_else(String::new, |w| format!("{} (--strict)", w.message)),
        }
    }
}

#[derive(Serialize)]
struct Failed<'a> {
    line: u64,
    error: ErrorBody<'a>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [Warning],
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    message: &'a str,
}

/// Writes `pending` out. `false` when the reader went away (`| head`):
/// nobody wants the rest.
fn drain(out: &mut impl Write, pending: &mut Vec<u8>) -> Result<bool, String> {
    let written = out.write_all(pending);
    pending.clear();
    match written {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(format!("cannot write standard output: {e}")),
    }
}

/// A decision's line: `{"line":N,"decision":...,"decidedBy":...,
/// "matched":[{"layer":...,"policy":...,"statement":N,"sid":...,"effect":...}],
/// "warnings":[...]}` (warnings only when there are some), spelt as
/// serde_json spells it, without going through a serializer.
fn write_decided(out: &mut Vec<u8>, line: u64, evaluation: &Evaluation, warnings: &[Warning]) {
    let mut number = itoa::Buffer::new();
    out.extend_from_slice(b"{\"line\":");
    out.extend_from_slice(number.format(line).as_bytes());
    out.extend_from_slice(b",\"decision\":");
    json_name(out, evaluation.decision.as_str());
    out.extend_from_slice(b",\"decidedBy\":");
    json_name(out, evaluation.decided_by.as_str());
    out.extend_from_slice(b",\"matched\":[");
    for (i, m) in evaluation.matched.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"layer\":");
        json_name(out, m.layer.as_str());
        out.extend_from_slice(b",\"policy\":");
        json_str(out, &m.policy);
        out.extend_from_slice(b",\"statement\":");
        out.extend_from_slice(number.format(m.index).as_bytes());
        out.extend_from_slice(b",\"sid\":");
        match &m.sid {
            Some(sid) => json_str(out, sid),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"effect\":");
        json_name(out, m.effect.as_str());
        out.push(b'}');
    }
    out.push(b']');
    if !warnings.is_empty() {
        out.extend_from_slice(b",\"warnings\":");
        // Writing to a Vec cannot fail, nor can serialising these.
        let _ = serde_json::to_writer(&mut *out, warnings);
    }
    out.extend_from_slice(b"}\n");
}

/// An error line (rare: through serde).
fn write_failed(out: &mut Vec<u8>, line: u64, e: &LineError) {
    let message = e.message();
    let failed = Failed {
        line,
        error: ErrorBody {
            code: e.code(),
            field: e.field(),
            column: e.column(),
            message: &message,
        },
        warnings: match e {
            LineError::Strict(w) => w,
            _ => &[],
        },
    };
    let _ = serde_json::to_writer(&mut *out, &failed);
    out.push(b'\n');
}

/// The name of a decision, a layer or an effect as a JSON string: each is
/// a word, which serde_json writes as it is (a test holds them to that).
fn json_name(out: &mut Vec<u8>, name: &'static str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// A JSON string as serde_json writes it: as is, unless it holds a quote,
/// a backslash or a control character, which serde_json escapes.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= b' ' && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Runs the batch; with `strict`, a line with input warnings is an error line.
pub fn run(args: &BatchArgs, strict: bool) -> Result<Outcome, String> {
    let (name, input): (String, Box<dyn Read>) = if args.path == "-" {
        ("standard input".to_owned(), Box::new(io::stdin().lock()))
    } else {
        let path = &args.path;
        let file = File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        if meta.is_dir() {
            return Err(format!("{path}: is a directory, not a file of cases"));
        }
        // Refuse a file over the limit before reading any of it.
        if meta.is_file() && meta.len() > args.max_input_bytes {
            return Err(format!(
                "{path}: {} bytes, larger than the batch limit of {} bytes (--max-input-bytes); split it, or raise the limit",
                meta.len(),
                args.max_input_bytes
            ));
        }
        (path.clone(), Box::new(file))
    };
    let mut out = BufWriter::with_capacity(IO_BUFFER, io::stdout().lock());
    let result = stream(args, strict, &name, input, &mut out);
    let flushed = out.flush();
    let outcome = result?;
    match flushed {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write standard output: {e}"))
        }
        _ => Ok(outcome),
    }
}

fn stream(
    args: &BatchArgs,
    strict: bool,
    name: &str,
    reader: impl Read,
    out: &mut impl Write,
) -> Result<Outcome, String> {
    let mut cache = PolicyCache::default();
    let mut checker = Checker::new();
    let mut lines = Lines::new(reader);
    // Output lines, written out a block at a time.
    let mut pending: Vec<u8> = Vec::with_capacity(IO_BUFFER + (IO_BUFFER >> 2));
    // The part of a line read around a cached policy set.
    let mut scratch: Vec<u8> = Vec::new();
    // Each line's request, read into the same one when it can be.
    let mut request = Request::default();
    let mut consumed: u64 = 0;
    let (mut line_no, mut cases, mut bad) = (0u64, 0u64, 0u64);
    let read_error = |e: io::Error| format!("cannot read {name}: {e}");
    loop {
        line_no += 1;
        // One byte past each limit, to tell "at the limit" from "over it".
        let budget = args.max_input_bytes.saturating_sub(consumed);
        let cap = args.max_line_bytes.min(budget).saturating_add(1);
        let mut line = lines.next(cap).map_err(read_error)?;
        let n = line.len() as u64;
        if n == 0 {
            break;
        }
        consumed += n;
        let error = if consumed > args.max_input_bytes {
            Some(LineError::InputTooLarge {
                limit: args.max_input_bytes,
            })
        } else if lines.buf[line.end - 1] == b'\n' {
            line.end -= 1;
            None
        } else if n == cap {
            // Over the line limit: skip to the next line without keeping it.
            let budget = args.max_input_bytes.saturating_sub(consumed);
            consumed += lines.skip(budget.saturating_add(1)).map_err(read_error)?;
            Some(if consumed > args.max_input_bytes {
                LineError::InputTooLarge {
                    limit: args.max_input_bytes,
                }
            } else {
                LineError::TooLong {
                    limit: args.max_line_bytes,
                }
            })
        } else {
            None // the last line, without a newline
        };
        let stop = matches!(error, Some(LineError::InputTooLarge { .. }));
        let result = match error {
            Some(e) => Err(e),
            None => {
                let text = &lines.buf[line];
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue; // a blank line is no case
                }
                decide(
                    text,
                    &mut cache,
                    &mut checker,
                    &mut scratch,
                    &mut request,
                    strict,
                )
            }
        };
        cases += 1;
        match &result {
            Ok((evaluation, warnings)) => {
                write_decided(&mut pending, line_no, evaluation, warnings)
            }
            Err(e) => {
                bad += 1;
                report(name, line_no, e);
                write_failed(&mut pending, line_no, e);
            }
        }
        if (pending.len() >= IO_BUFFER || stop) && !drain(out, &mut pending)? {
            break;
        }
        if stop {
            break;
        }
    }
    drain(out, &mut pending)?;
    if cases == 0 {
        return Err(format!(
            "{name}: no cases; a batch holds one case per line, in the format of shared/policy/tests/eval_cases/"
        ));
    }
    Ok(if bad == 0 {
        Outcome::Clean
    } else {
        Outcome::BadInput
    })
}

/// The input's lines, read in blocks of [`READ_BLOCK`] and split with
/// `memchr`. [`Lines::next`] and [`Lines::skip`] consume exactly what
/// `take(cap).read_until(b'\\n')` and `take(limit).skip_until(b'\\n')` of a
/// `BufRead` would, so the limits mean the same, but a line is not copied
/// out of the block it was read into.
struct Lines<R> {
    inner: R,
    /// Read but not consumed: `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Lines<R> {
        Lines {
            inner,
            buf: vec![0; READ_BLOCK],
            start: 0,
            end: 0,
        }
    }

    /// The next line with its newline, at most `cap` bytes of it, as a
    /// range of `buf`; empty at the end of the input.
    fn next(&mut self, cap: u64) -> io::Result<Range<usize>> {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let mut searched = 0;
        loop {
            let limit = (self.end - self.start).min(cap);
            let rest = &self.buf[self.start + searched..self.start + limit];
            if let Some(i) = memchr::memchr(b'\n', rest) {
                return Ok(self.consume(searched + i + 1));
            }
            if limit == cap || !self.fill()? {
                return Ok(self.consume(limit));
            }
            searched = limit;
        }
    }

    /// Consumes up to the next newline, at most `limit` bytes; their count.
    fn skip(&mut self, limit: u64) -> io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            let room = usize::try_from(limit - skipped)
                .unwrap_or(usize::MAX)
                .min(self.end - self.start);
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.start + room]) {
                self.start += i + 1;
                return Ok(skipped + i as u64 + 1);
            }
            self.start += room;
            skipped += room as u64;
            if skipped == limit || !self.fill()? {
                return Ok(skipped);
            }
        }
    }

    fn consume(&mut self, n: usize) -> Range<usize> {
        self.start += n;
        self.start - n..self.start
    }

    /// Reads more after what is left, moving that to the front first and
    /// growing the buffer only for a line longer than a block. `false` at
    /// the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// One line's decision, with the request's warnings.
fn decide(
    text: &[u8],
    cache: &mut PolicyCache,
    checker: &mut Checker,
    scratch: &mut Vec<u8>,
    request: &mut Request,
    strict: bool,
) -> Result<(Evaluation, Vec<Warning>), LineError> {
    let read;
    let (set, request) = match case::read_cached(text, cache, scratch, request) {
        Some(set) => (set, &*request),
        None => {
            let text = std::str::from_utf8(text).map_err(|e| LineError::NotUtf8 {
                column: e.valid_up_to() + 1,
            })?;
            read = case::read(text, cache).map_err(LineError::Case)?;
            (read.0, &read.1)
        }
    };
    let warnings = checker.check(request, Naming::Case);
    if strict && !warnings.is_empty() {
        return Err(LineError::Strict(warnings));
    }
    Ok((evaluate(set, request), warnings))
}

/// `FILE:LINE[:COLUMN]: [field: ]message [CODE]` on standard error, and the
/// other warnings of a `--strict` line after it.
fn report(name: &str, line: u64, e: &LineError) {
    let at = match e.column() {
        Some(c) => format!("{name}:{line}:{c}"),
        None => format!("{name}:{line}"),
    };
    let message = e.message();
    // Case errors from the policy crate already lead with their field.
    let field = match (e.field(), e) {
        (Some(f), LineError::Case(_)) if message.starts_with(f) => String::new(),
        (Some(f), _) => format!("{f}: "),
        (None, _) => String::new(),
    };
    eprintln!("rolegate: {at}: {field}{message} [{}]", e.code());
    if let LineError::Strict(warnings) = e {
        for w in warnings.iter().skip(1) {
            eprintln!(
                "rolegate: {at}: {}: {} [{}] (--strict)",
                w.field, w.message, w.code
            );
        }
    }
}

#[cfg(test)]
mod tests;
