//! One simulation case in the corpus format of
//! `shared/policy/tests/eval_cases/`: `{"request": {...}, "policies": {...}}`,
//! any other member (`doc`, `description`, `expect`) ignored.
//!
//! `simulate CASE.json` and every line of `simulate --batch` are read here,
//! and the two halves go through the readers the corpus runner uses
//! ([`Request::from_value`], [`PolicySet::from_value`]), so a case means the
//! same thing to the corpus, to one simulation and to a batch. A batch line
//! whose policy set was compiled before is read faster ([`read_cached`]),
//! by readers that accept only what those read, and make the same of it.

mod plain;
mod request;

use std::fmt;

use memchr::memmem;
use request::RequestSeed;
use rolegate_policy::eval::{PolicySet, Request};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use thiserror::Error;

/// Distinct policy sets kept compiled at once. A batch usually repeats a few
/// sets over many requests; one whose every line differs would otherwise
/// grow the cache without bound, so it is emptied when full.
const MAX_CACHED_SETS: usize = 4096;

/// Why a case cannot be simulated. Each names the field at fault (when
/// there is one) and a stable code for the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CaseError {
    #[error("not JSON at column {column}: {message}")]
    NotJson { column: usize, message: String },
    #[error("not a case: {0}; a case is an object with \"request\" and \"policies\"")]
    NotACase(String),
    #[error("{field}: missing; a case holds \"request\" and \"policies\"")]
    Missing { field: &'static str },
    /// The request's reader rejected it; `detail` names the member.
    #[error("{detail}")]
    Request { field: String, detail: String },
    /// The policy set's reader rejected it; `detail` names the layer.
    #[error("{detail}")]
    Policies { field: String, detail: String },
}

impl CaseError {
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::NotJson { .. } => "NOT_JSON",
            CaseError::NotACase(_) => "NOT_A_CASE",
            CaseError::Missing { .. } => "MISSING_FIELD",
            CaseError::Request { .. } => "INVALID_REQUEST",
            CaseError::Policies { .. } => "INVALID_POLICIES",
        }
    }

    /// The case's member at fault, as a JSON path (`policies.identity[0]`);
    /// `None` when the whole text is.
    pub fn field(&self) -> Option<&str> {
        match self {
            CaseError::NotJson { .. } | CaseError::NotACase(_) => None,
            CaseError::Missing { field } => Some(field),
            CaseError::Request { field, .. } | CaseError::Policies { field, .. } => Some(field),
        }
    }

    /// Where in the text the JSON broke (1-based), for `FILE:LINE:COLUMN`.
    pub fn column(&self) -> Option<usize> {
        match self {
            CaseError::NotJson { column, .. } => Some(*column),
            _ => None,
        }
    }
}

/// The two halves of a case. The request is read in the same pass; the
/// policies are kept as text, so that a policy set seen before is looked up
/// by its text instead of being built again.
#[derive(Deserialize)]
struct Envelope<'a> {
    request: Option<Value>,
    #[serde(borrow)]
    policies: Option<&'a RawValue>,
}

/// [`Envelope`] for [`read_cached`], reading the request into the one
/// given: the case's `policies`, when the case has a request. It gives up
/// (an error) on anything [`Envelope`] would not read as plainly: a member
/// named twice, an escaped member name, a request it cannot read.
struct QuickEnvelope<'r>(&'r mut Request);

impl<'de> DeserializeSeed<'de> for QuickEnvelope<'_> {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for QuickEnvelope<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a case")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut request, mut policies) = (false, None);
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "request" if !request => {
                    map.next_value_seed(RequestSeed(&mut *self.0))?;
                    request = true;
                }
                "policies" if policies.is_none() => policies = Some(map.next_value()?),
                "request" | "policies" => return Err(de::Error::custom("twice")),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(policies.filter(|_| request))
    }
}

/// Compiled policy sets by the text they came from. Identical text compiles
/// to an identical set, so a batch that repeats a set pays for it once.
pub struct PolicyCache {
    /// Each set with the text it was compiled from.
    sets: Vec<(Box<str>, PolicySet)>,
    /// The texts, for finding one at the start of a line's remainder.
    texts: Prefixes,
    /// Where a line's `"policies"` member may be.
    key: memmem::Finder<'static>,
}

impl Default for PolicyCache {
    fn default() -> PolicyCache {
        PolicyCache {
            sets: Vec::new(),
            texts: Prefixes::default(),
            key: memmem::Finder::new(b"\"policies\""),
        }
    }
}

impl PolicyCache {
    fn get(&mut self, text: &str) -> Result<&PolicySet, CaseError> {
        if let Some(i) = self.texts.find(text.as_bytes())
            && &*self.sets[i].0 == text
        {
            return Ok(&self.sets[i].1);
        }
        let set = compile(text)?;
        if self.sets.len() >= MAX_CACHED_SETS {
            self.sets.clear();
            self.texts = Prefixes::default();
        }
        self.sets.push((text.into(), set));
        let i = self.sets.len() - 1;
        self.texts.insert(i, &self.sets);
        Ok(&self.sets[i].1)
    }
}

/// A crit-bit tree over the cached texts. Walking it with a byte string
/// reads one byte per level and ends at the one text that can begin the
/// string, if any does; the caller compares the two. A set's text is found
/// that way in a line without knowing yet where the text ends in it.
#[derive(Default)]
struct Prefixes {
    nodes: Vec<Node>,
    root: Option<usize>,
}

#[derive(Clone, Copy)]
enum Node {
    /// The index of a set in the cache.
    Leaf(usize),
    /// Texts whose byte at `at` has the `bit` set go to `child[1]`. Along
    /// every path `(at, bit)` only ever moves later in the text.
    Split {
        at: usize,
        bit: u8,
        child: [usize; 2],
    },
}

/// A text's byte at `at`, as if the text went on with zero bytes (which no
/// JSON text holds, so two different texts differ within the longer one).
fn byte_at(text: &[u8], at: usize) -> u8 {
    text.get(at).copied().unwrap_or(0)
}

impl Prefixes {
    /// The set whose text `bytes` may start with (or be): the only one.
    fn find(&self, bytes: &[u8]) -> Option<usize> {
        let mut node = self.root?;
        loop {
            match self.nodes[node] {
                Node::Leaf(set) => return Some(set),
                Node::Split { at, bit, child } => {
                    node = child[usize::from(byte_at(bytes, at) & bit != 0)];
                }
            }
        }
    }

    /// Adds `sets[set]`'s text.
    fn insert(&mut self, set: usize, sets: &[(Box<str>, PolicySet)]) {
        let text = sets[set].0.as_bytes();
        let leaf = self.nodes.len();
        self.nodes.push(Node::Leaf(set));
        let Some(nearest) = self.find(text) else {
            self.root = Some(leaf);
            return;
        };
        let other = sets[nearest].0.as_bytes();
        let Some(at) =
            (0..text.len().max(other.len())).find(|&i| byte_at(text, i) != byte_at(other, i))
        else {
            self.nodes.pop(); // the same text: it is there already
            return;
        };
        let differ = byte_at(text, at) ^ byte_at(other, at);
        let bit = 0x80u8 >> differ.leading_zeros();
        let side = usize::from(byte_at(text, at) & bit != 0);
        // The new split goes above the first node that tests a later bit.
        let mut parent: Option<(usize, usize)> = None;
        let mut node = self.root.unwrap_or(leaf);
        while let Node::Split {
            at: a,
            bit: b,
            child,
        } = self.nodes[node]
        {
            if a > at || (a == at && b < bit) {
                break;
            }
            let d = usize::from(byte_at(text, a) & b != 0);
            parent = Some((node, d));
            node = child[d];
        }
        let mut child = [node; 2];
        child[side] = leaf;
        let split = self.nodes.len();
        self.nodes.push(Node::Split { at, bit, child });
        match parent {
            None => self.root = Some(split),
            Some((p, d)) => {
                if let Node::Split { child, .. } = &mut self.nodes[p] {
                    child[d] = split;
                }
            }
        }
    }
}

/// Reads one case. The policy set comes from `cache` when its text was seen before.
pub fn read<'c>(
    text: &str,
    cache: &'c mut PolicyCache,
) -> Result<(&'c PolicySet, Request), CaseError> {
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => CaseError::NotACase(strip_position(&e)),
        _ => CaseError::NotJson {
            column: e.column(),
            message: strip_position(&e),
        },
    })?;
    let request = envelope
        .request
        .ok_or(CaseError::Missing { field: "request" })?;
    let policies = envelope
        .policies
        .ok_or(CaseError::Missing { field: "policies" })?;
    // The request first: it is cheap, and its error is as useful as any.
    let request = Request::from_value(&request).map_err(|detail| CaseError::Request {
        field: leading_path(&detail, "request"),
        detail,
    })?;
    Ok((cache.get(policies.get())?, request))
}

/// Reads one case line, when its policy set is one `cache` holds, without
/// scanning the set's text. A cached text is looked for where a
/// `"policies"` member's value would start, and only the rest of the line
/// is parsed, with the text replaced by `0`: by hand ([`plain`]) when it is
/// a usual line, by serde otherwise. Either must find the case's `policies`
/// member at exactly that `0`: the line then reads as [`read`] would read
/// it, with that set (a cached text is one complete JSON value, which
/// starts and ends with ASCII, so the line is UTF-8 and JSON exactly when
/// the rest is). `None` when it does not, or on any error: the caller reads
/// the line with [`read`], which reports it.
pub fn read_cached<'c>(
    line: &[u8],
    cache: &'c PolicyCache,
    scratch: &mut Vec<u8>,
    request: &mut Request,
) -> Option<&'c PolicySet> {
    let (set, at) = splice(line, cache, scratch)?;
    let rest = std::str::from_utf8(scratch).ok()?;
    if plain::read(rest, at, request).is_none() {
        let mut de = serde_json::Deserializer::from_str(rest);
        let placeholder = QuickEnvelope(request).deserialize(&mut de).ok()??.get();
        de.end().ok()?;
        if placeholder.len() != 1 || placeholder.as_ptr() as usize != rest.as_ptr() as usize + at {
            return None;
        }
    }
    Some(&cache.sets[set].1)
}

/// Finds a cached set's text where a `"policies"` member's value starts in
/// `line`, and writes the line into `scratch` with that text replaced by
/// `0`: the set, and where the `0` is.
fn splice(line: &[u8], cache: &PolicyCache, scratch: &mut Vec<u8>) -> Option<(usize, usize)> {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let skip_space = |at: usize| at + line[at..].iter().take_while(|b| space(b)).count();
    for key in cache.key.find_iter(line) {
        let colon = skip_space(key + b"\"policies\"".len());
        if line.get(colon) != Some(&b':') {
            continue;
        }
        let at = skip_space(colon + 1);
        let set = cache.texts.find(&line[at..])?;
        let text = cache.sets[set].0.as_bytes();
        if !line[at..].starts_with(text) {
            continue;
        }
        scratch.clear();
        scratch.extend_from_slice(&line[..at]);
        scratch.push(b'0');
        scratch.extend_from_slice(&line[at + text.len()..]);
        return Some((set, at));
    }
    None
}

fn compile(text: &str) -> Result<PolicySet, CaseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| CaseError::NotJson {
        column: e.column(),
        message: strip_position(&e),
    })?;
    PolicySet::from_value(&value).map_err(|detail| CaseError::Policies {
        field: leading_path(&detail, "policies"),
        detail,
    })
}

/// The JSON path an error message of the policy crate starts with
/// (`policies.identity[0]: ...`, `request.action must be ...`): its readers
/// return plain strings, and every one of them leads with the path.
fn leading_path(detail: &str, root: &str) -> String {
    match detail.split([':', ' ']).next() {
        Some(path) if path.starts_with(root) => path.to_owned(),
        _ => root.to_owned(),
    }
}

/// serde_json's message without its " at line L column C" tail: a batch
/// line is always line 1 of its own text, so the tail would mislead.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = r#"{"doc": "x", "request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject", "resource": "*"}, "policies": {"identity": [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]}, "expect": "Allowed"}"#;

    #[test]
    fn a_repeated_policy_set_is_compiled_once() {
        let mut cache = PolicyCache::default();
        for _ in 0..3 {
            assert!(read(CASE, &mut cache).is_ok());
        }
        assert_eq!(cache.sets.len(), 1);
    }

    #[test]
    fn every_cached_text_is_found_alone_and_at_the_start_of_a_line() {
        // Texts sharing long prefixes, differing in one bit or in length.
        let mut texts: Vec<String> = Vec::new();
        for n in 0..300 {
            let tail = "x".repeat(n % 7);
            texts.push(format!(r#"{{"identity":[{{"Sid":"{n}{tail}"}}]}}"#));
            texts.push(format!(r#"{{"identity":[{{"Sid":"{}"}}]}}"#, n * 31 % 1000));
        }
        texts.push(r#"{"identity":[{"Sid":"a"}]}"#.into());
        texts.push(r#"{"identity":[{"Sid":"`"}]}"#.into());
        texts.push(r#"{"identity":[{"Sid":"aa"}]}"#.into());
        let mut sets: Vec<(Box<str>, PolicySet)> = Vec::new();
        let mut prefixes = Prefixes::default();
        for t in &texts {
            if sets.iter().all(|(s, _)| &**s != t) {
                sets.push((t.as_str().into(), PolicySet::default()));
                prefixes.insert(sets.len() - 1, &sets);
            }
        }
        for (i, (text, _)) in sets.iter().enumerate() {
            assert_eq!(prefixes.find(text.as_bytes()), Some(i), "{text}");
            let line = format!(r#"{text},"request":{{}}}}"#);
            assert_eq!(prefixes.find(line.as_bytes()), Some(i), "{line}");
        }
    }

    #[test]
    fn a_cached_set_is_read_from_the_line_only_where_the_case_holds_it() {
        let mut cache = PolicyCache::default();
        let mut scratch = Vec::new();
        let mut request = Request::default();
        assert!(read_cached(CASE.as_bytes(), &cache, &mut scratch, &mut request).is_none());
        assert!(read(CASE, &mut cache).is_ok());
        let got = read_cached(CASE.as_bytes(), &cache, &mut scratch, &mut request)
            .map(|set| set.identity.len())
            .expect("cached");
        let want = read(CASE, &mut cache)
            .map(|(set, want)| (set.identity.len(), want))
            .expect("a case");
        assert_eq!((got, request), want);
        // The set as a member of another member: the case's own is not cached.
        let policies = &CASE[CASE.find(r#"{"identity""#).expect("policies")
            ..CASE.find(r#", "expect""#).expect("expect")];
        let nested = CASE
            .replace(r#""Action": "*""#, r#""Action": "s3:*""#)
            .replace(
                r#""doc": "x""#,
                &format!(r#""doc": {{"policies": {policies}}}"#),
            );
        let mut request = Request::default();
        assert!(read_cached(nested.as_bytes(), &cache, &mut scratch, &mut request).is_none());
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let mut cache = PolicyCache::default();
        let bad = CASE.replace(r#""action": "s3:GetObject""#, r#""action": 7"#);
        let e = read(&bad, &mut cache).err();
        assert_eq!(e.as_ref().map(CaseError::code), Some("INVALID_REQUEST"));
        assert_eq!(
            e.as_ref().and_then(CaseError::field),
            Some("request.action")
        );
        let bad = CASE.replace(r#""identity": ["#, r#""identity": [7, "#);
        let e = read(&bad, &mut cache).err();
        assert_eq!(
            e.as_ref().and_then(CaseError::field),
            Some("policies.identity[0]")
        );
        let e = read("[1]", &mut cache).err();
        assert_eq!(e.as_ref().map(CaseError::code), Some("NOT_A_CASE"));
        let e = read("{\"request\": ", &mut cache).err();
        assert_eq!(e.as_ref().map(CaseError::code), Some("NOT_JSON"));
    }
}
