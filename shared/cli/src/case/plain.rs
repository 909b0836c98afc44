//! The usual batch line, read by hand: `{"request":{...},"policies":0}`
//! (the line as [`super::splice`] leaves it, its cached set replaced by
//! `0`), members in any order, the request holding plain strings (no
//! escapes), `true` and `false`, and arrays of them.
//!
//! It reads only a strict part of JSON: structure, strings without escapes,
//! the two literals, white space; other members of the case only when they
//! are strings with simple escapes. Anything else (a number, `null`, `\u`,
//! an escaped member name, a member named twice, a byte it does not
//! expect) gives up, and the caller reads the line with serde. What it
//! reads is therefore JSON, and the case means to it what it means to
//! [`super::read`]: the request as `Request::from_value` reads it (see
//! [`super::request`]), and the set whose text the `0` replaced.

use rolegate_policy::eval::{ContextValue, PrincipalKind, Request};

use super::request::{Principal, fill, finish, in_key_order, set_single};

/// Reads the spliced line `text` into `request`, its `policies` member
/// being the `0` at `at`.
pub(super) fn read(text: &str, at: usize, request: &mut Request) -> Option<()> {
    let mut r = Reader { s: text, i: 0 };
    r.expect(b'{')?;
    let (mut has_request, mut has_policies) = (false, false);
    loop {
        let key = r.string()?;
        r.expect(b':')?;
        match key {
            "request" if !has_request => {
                read_request(&mut r, request)?;
                has_request = true;
            }
            "policies" if !has_policies => {
                r.space();
                (r.i == at && r.byte() == Some(b'0')).then_some(())?;
                r.i += 1;
                has_policies = true;
            }
            "request" | "policies" => return None,
            _ => r.skip_string()?,
        }
        if r.end_of(b'}')? {
            break;
        }
    }
    r.space();
    (r.i == text.len() && has_request && has_policies).then_some(())
}

fn read_request(r: &mut Reader, req: &mut Request) -> Option<()> {
    r.expect(b'{')?;
    let mut principal = None;
    let mut read = [false; 5];
    let [action, resource, account, tags, context] = [0, 1, 2, 3, 4];
    // A member named twice: a tree keeps the last; give up.
    let mut once = |member: usize| (!std::mem::replace(&mut read[member], true)).then_some(());
    loop {
        let key = r.string()?;
        r.expect(b':')?;
        match key {
            "principal" if principal.is_none() => principal = Some(read_principal(r)?),
            "action" => {
                once(action)?;
                fill(&mut req.action, r.string()?);
            }
            "resource" => {
                once(resource)?;
                fill(&mut req.resource, r.string()?);
            }
            "resource_account" => {
                once(account)?;
                let value = r.string()?;
                match &mut req.resource_account {
                    Some(a) => fill(a, value),
                    None => req.resource_account = Some(value.to_owned()),
                }
            }
            "principal_tags" => {
                once(tags)?;
                read_members(r, &mut req.principal_tags, |r, tag: &mut String| {
                    fill(tag, r.string()?);
                    Some(())
                })?;
            }
            "context" => {
                once(context)?;
                read_members(r, &mut req.context, read_values)?;
            }
            _ => return None,
        }
        if r.end_of(b'}')? {
            break;
        }
    }
    finish(req, principal, read).then_some(())
}

/// An ARN, `{"service": NAME}` or `{"federated": PROVIDER}`.
fn read_principal<'a>(r: &mut Reader<'a>) -> Option<Principal<'a>> {
    if r.peek()? == b'"' {
        return Some(Principal::Arn(r.string()?.into()));
    }
    r.expect(b'{')?;
    let key = r.string()?;
    r.expect(b':')?;
    let name = r.string()?.to_owned();
    r.expect(b'}')?;
    match key {
        "service" => Some(Principal::Accountless(PrincipalKind::Service(name))),
        "federated" => Some(Principal::Accountless(PrincipalKind::Federated(name))),
        _ => None,
    }
}

/// An object's members into `members`, reusing its entries, in key order.
fn read_members<'a, T: Empty>(
    r: &mut Reader<'a>,
    members: &mut Vec<(String, T)>,
    mut value: impl FnMut(&mut Reader<'a>, &mut T) -> Option<()>,
) -> Option<()> {
    r.expect(b'{')?;
    let mut n = 0;
    if r.peek()? == b'}' {
        r.i += 1;
    } else {
        loop {
            let key = r.string()?;
            r.expect(b':')?;
            if n == members.len() {
                members.push((String::new(), T::empty()));
            }
            let (k, v) = &mut members[n];
            fill(k, key);
            value(r, v)?;
            n += 1;
            if r.end_of(b'}')? {
                break;
            }
        }
    }
    in_key_order(members, n).then_some(())
}

trait Empty {
    fn empty() -> Self;
}

impl Empty for String {
    fn empty() -> String {
        String::new()
    }
}

impl Empty for ContextValue {
    fn empty() -> ContextValue {
        ContextValue::Single(String::new())
    }
}

/// A context key's value: a string, `true` or `false`, or an array of them.
fn read_values(r: &mut Reader, value: &mut ContextValue) -> Option<()> {
    if r.peek()? != b'[' {
        set_single(value, r.scalar()?);
        return Some(());
    }
    r.i += 1;
    if !matches!(value, ContextValue::Multi(_)) {
        *value = ContextValue::Multi(Vec::new());
    }
    let ContextValue::Multi(values) = value else {
        return None;
    };
    let mut n = 0;
    if r.peek()? == b']' {
        r.i += 1;
    } else {
        loop {
            let scalar = r.scalar()?;
            match values.get_mut(n) {
                Some(v) => fill(v, scalar),
                None => values.push(scalar.to_owned()),
            }
            n += 1;
            if r.end_of(b']')? {
                break;
            }
        }
    }
    values.truncate(n);
    Some(())
}

struct Reader<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Reader<'a> {
    fn byte(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.i += 1;
        }
    }

    /// The next byte after white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.byte()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// After a member or an element: `,` (`false`) or `close` (`true`).
    fn end_of(&mut self, close: u8) -> Option<bool> {
        let next = self.peek()?;
        self.i += 1;
        match next {
            b',' => Some(false),
            b if b == close => Some(true),
            _ => None,
        }
    }

    /// A string without escapes or control characters, which JSON spells
    /// as it is.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.i;
        let end = start + special(&self.s.as_bytes()[start..])?;
        (self.s.as_bytes()[end] == b'"').then_some(())?;
        self.i = end + 1;
        // Both ends are next to an ASCII quote: character boundaries.
        self.s.get(start..end)
    }

    /// A string, or `true` or `false` as `from_value` spells them.
    fn scalar(&mut self) -> Option<&'a str> {
        if self.peek()? == b'"' {
            return self.string();
        }
        let literal = ["true", "false"]
            .into_iter()
            .find(|l| self.s.as_bytes()[self.i..].starts_with(l.as_bytes()))?;
        self.i += literal.len();
        Some(literal)
    }

    /// A string that nothing reads: escapes allowed, but not `\u`.
    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            self.i += special(&self.s.as_bytes()[self.i..])?;
            let byte = self.byte()?;
            self.i += 1;
            match byte {
                b'"' => return Some(()),
                b'\\' => {
                    match self.byte()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        _ => return None,
                    }
                    self.i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// Where the first quote, backslash or control character is: where a JSON
/// string ends or needs more than copying. Eight bytes at a time, as
/// serde_json looks (a byte's high bit is set in `found` for each of the
/// three; only the lowest of them counts, the others may be borrows).
fn special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut words = bytes.chunks_exact(8);
    for (n, word) in (&mut words).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let found = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if found != 0 {
            return Some(n * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let tail = words.remainder();
    let at = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < b' ')?;
    Some(bytes.len() - tail.len() + at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::PolicyCache;

    const SET: &str =
        r#"{"identity":[{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}]}"#;
    const ARN: &str = r#""principal":"arn:aws:sts::111122223333:assumed-role/r/s""#;
    const ACTION: &str = r#""action":"s3:GetObject","resource":"arn:aws:s3:::b/k""#;

    fn cache() -> PolicyCache {
        let mut cache = PolicyCache::default();
        assert!(cache.get(SET).is_ok());
        cache
    }

    /// Read by hand into a request that held another one before.
    fn by_hand(line: &[u8], cache: &PolicyCache) -> Option<Request> {
        let mut req = Request::new("arn:aws:iam::1:user/x", "a:b", "c")
            .in_account("2")
            .with_tag("t", "v")
            .with_context("k", ContextValue::Multi(vec!["1".into()]))
            .with_context("j", ContextValue::Single("1".into()));
        let mut scratch = Vec::new();
        let (_, at) = super::super::splice(line, cache, &mut scratch)?;
        read(std::str::from_utf8(&scratch).ok()?, at, &mut req)?;
        Some(req)
    }

    fn by_serde(line: &str) -> Option<Request> {
        let mut cache = cache();
        super::super::read(line, &mut cache).ok().map(|(_, r)| r)
    }

    #[test]
    fn the_usual_lines_are_read_by_hand_as_serde_reads_them() {
        let cache = cache();
        let lines = [
            format!(r#"{{"request":{{{ARN},{ACTION}}},"policies":{SET}}}"#),
            format!(r#"{{"policies":{SET},"request":{{{ACTION},{ARN}}}}}"#),
            format!(r#"{{"request":{{{ACTION}}},"policies":{SET}}}"#),
            format!(
                " {{ \"doc\" : \"a \\\"b\\\" \\\\ \\/ \\n\\t é\" ,\r\n\t\"request\" : {{ {ARN} , {ACTION} }} , \"policies\" : {SET} , \"expect\":\"Allowed\" }} \r"
            ),
            format!(
                r#"{{"request":{{"principal":{{"service":"glue.amazonaws.com"}},{ACTION}}},"policies":{SET}}}"#
            ),
            format!(
                r#"{{"request":{{"principal":{{ "federated" : "accounts.google.com" }},{ACTION}}},"policies":{SET}}}"#
            ),
            format!(
                r#"{{"request":{{{ARN},{ACTION},"resource_account":"444455556666","principal_tags":{{"team":"a","Env":"b","env":"c"}}}},"policies":{SET}}}"#
            ),
            format!(
                r#"{{"request":{{{ARN},{ACTION},"context":{{"z:k":"1","aws:SecureTransport":true,"b":false,"aws:SourceIp":["10.0.0.1", "10.0.0.2"],"m":[true,"x"],"e":[],"k":["é"]}}}},"policies":{SET}}}"#
            ),
            format!(
                r#"{{"request":{{{ARN},{ACTION},"context":{{}},"principal_tags":{{}}}},"policies":{SET}}}"#
            ),
            format!(
                r#"{{"request":{{"principal":"arn:aws:iam::1:user/é",{ACTION}}},"policies":{SET}}}"#
            ),
        ];
        for line in &lines {
            let got = by_hand(line.as_bytes(), &cache);
            assert!(got.is_some(), "{line}");
            assert_eq!(got, by_serde(line), "{line}");
        }
    }

    #[test]
    fn anything_else_is_left_to_serde() {
        let cache = cache();
        let request = format!("{{{ARN},{ACTION}}}");
        let case = |r: &str, p: &str| format!(r#"{{"request":{r},"policies":{p}}}"#);
        let with = |extra: &str| case(&format!("{{{ARN},{ACTION},{extra}}}"), SET);
        let mut lines = vec![
            case(&request, r#"{"identity":[]}"#),
            case(&request, &SET.replace("Allow", "Deny")),
            case(&request, &format!("{SET}1")),
            case(&request, &SET[..SET.len() - 1]),
            format!(r#"{{"request":{request},"policies":{SET},"policies":{SET}}}"#),
            format!(r#"{{"request":{request},"request":{request},"policies":{SET}}}"#),
            format!(r#"{{"request":{request}}}"#),
            format!(r#"{{"policies":{SET}}}"#),
            format!(r#"{{"request":{request},"policies":{SET}}}x"#),
            format!(r#"{{"request":{request},"policies":{SET},}}"#),
            format!(r#"{{"request":{request},"polic\u0069es":{SET}}}"#),
            format!(r#"{{"doc":"\u0041","request":{request},"policies":{SET}}}"#),
            format!(r#"{{"doc":"\x","request":{request},"policies":{SET}}}"#),
            format!(r#"{{"doc":1,"request":{request},"policies":{SET}}}"#),
            format!(r#"{{"doc":null,"request":{request},"policies":{SET}}}"#),
            format!(r#"{{"doc":{{}},"request":{request},"policies":{SET}}}"#),
            format!(r#"{{"request":null,"policies":{SET}}}"#),
            with(r#""context":{"k":1}"#),
            with(r#""context":{"k":null}"#),
            with(r#""context":{"k":truex}"#),
            with(r#""context":{"k":tru}"#),
            with(r#""context":{"k":[["x"]]}"#),
            with(r#""context":{"k":"a","k":"b"}"#),
            with(r#""context":{"k":"\n"}"#),
            with(r#""principal_tags":{"t":"a","t":"b"}"#),
            with(r#""principal_tags":{"t":true}"#),
            with(r#""resource_account":null"#),
            with(r#""action":"s3:PutObject""#),
            with(r#""surprise":"x""#),
            format!(
                r#"{{"request":{{"principal":{{"service":"a","federated":"b"}},{ACTION}}},"policies":{SET}}}"#
            ),
            format!(r#"{{"request":{{"principal":{{"other":"a"}},{ACTION}}},"policies":{SET}}}"#),
            format!(r#"{{"request":{{"principal":7,{ACTION}}},"policies":{SET}}}"#),
            format!(
                r#"{{"request":{{{ARN},"action":"s3:Get\"Object","resource":"*"}},"policies":{SET}}}"#
            ),
            format!(r#"{{"request":{{{ARN}}},"policies":{SET}}}"#),
            "{}".to_owned(),
            "[]".to_owned(),
            String::new(),
        ];
        lines.push(format!(
            "{{\"request\":{{{ARN},\"action\":\"a\tb\",\"resource\":\"*\"}},\"policies\":{SET}}}"
        ));
        for line in &lines {
            assert_eq!(by_hand(line.as_bytes(), &cache), None, "{line}");
        }
        // Not UTF-8, in a string read and in one skipped.
        let line = case(&request, SET).replace("assumed-role", "assumed-rol\u{e9}");
        let mut bytes = line.into_bytes();
        let at = bytes.iter().position(|&b| b == 0xc3).expect("é");
        bytes[at + 1] = b'x';
        assert_eq!(by_hand(&bytes, &cache), None);
        let mut bytes =
            format!(r#"{{"doc":"é","request":{request},"policies":{SET}}}"#).into_bytes();
        bytes[9] = 0xff;
        assert_eq!(by_hand(&bytes, &cache), None);
    }

    #[test]
    fn special_finds_the_first_quote_backslash_or_control_character() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < b' ');
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for len in 0..40 {
            let plain: Vec<u8> = (0..len).map(|i| b"abc\x7f\xc3\xa9 ~!"[i % 8]).collect();
            texts.push(plain.clone());
            for at in 0..len {
                for special in [
                    b'"', b'\\', 0u8, b'\n', 0x1f, b' ', 0x7f, 0x80, 0xff, 0x21, 0x5b,
                ] {
                    let mut t = plain.clone();
                    t[at] = special;
                    if at + 1 < len {
                        t[at + 1] = b'"';
                    }
                    texts.push(t);
                }
            }
        }
        for t in &texts {
            assert_eq!(special(t), naive(t), "{t:?}");
        }
    }
}
