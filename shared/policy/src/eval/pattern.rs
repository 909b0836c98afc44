//! Compiled string patterns: wildcards and policy variables, parsed once.
//!
//! A pattern is a list of segments. `*` and `?` are wildcards only where the
//! element allows them (Resource, StringLike, ArnLike); `${*}`, `${?}` and
//! `${$}` always mean the literal character, and a variable's value is
//! literal text. Matching walks the segments without allocating.

use super::request::Request;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    AnyMany,
    AnyOne,
    /// `${key}` or `${key, 'default'}`.
    Variable {
        key: String,
        default: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    segments: Vec<Segment>,
    has_variables: bool,
    /// The source text, for explanations.
    source: String,
}

impl Pattern {
    /// `wildcards`: whether `*` and `?` are wildcards; `variables`: whether
    /// `${...}` is a policy variable (only in Version 2012-10-17 documents).
    pub(crate) fn compile(text: &str, wildcards: bool, variables: bool) -> Pattern {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut has_variables = false;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if variables
                && rest.starts_with("${")
                && let Some(end) = rest.find('}')
            {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" | "?" | "$" => literal.push_str(inner),
                    _ => {
                        flush(&mut literal, &mut segments);
                        let (key, default) = parse_variable(inner);
                        segments.push(Segment::Variable { key, default });
                        has_variables = true;
                    }
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if wildcards => {
                    flush(&mut literal, &mut segments);
                    if segments.last() != Some(&Segment::AnyMany) {
                        segments.push(Segment::AnyMany);
                    }
                }
                '?' if wildcards => {
                    flush(&mut literal, &mut segments);
                    segments.push(Segment::AnyOne);
                }
                c => literal.push(c),
            }
        }
        flush(&mut literal, &mut segments);
        Pattern {
            segments,
            has_variables,
            source: text.to_owned(),
        }
    }

    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Matches `text`; `ignore_case` for IgnoreCase operators and actions.
    /// `None` when a variable has no value and no default: the element then
    /// matches nothing, as IAM documents.
    pub(crate) fn matches(&self, text: &str, ignore_case: bool, req: &Request) -> Option<bool> {
        if self.has_variables {
            for s in &self.segments {
                if let Segment::Variable { key, default } = s
                    && req.variable(key).is_none()
                    && default.is_none()
                {
                    return None;
                }
            }
        }
        Some(match_segments(&self.segments, text, ignore_case, req))
    }

    /// The literal text when the pattern has no wildcard and no variable.
    pub(crate) fn as_literal(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [] => Some(""),
            [Segment::Literal(s)] => Some(s),
            _ => None,
        }
    }

    /// The pattern with variables resolved, for values that are compared as
    /// numbers, dates or addresses rather than matched as text.
    pub(crate) fn resolve(&self, req: &Request) -> Option<std::borrow::Cow<'_, str>> {
        if !self.has_variables {
            return Some(std::borrow::Cow::Borrowed(
                self.as_literal().unwrap_or(&self.source),
            ));
        }
        let mut out = String::new();
        for s in &self.segments {
            match s {
                Segment::Literal(l) => out.push_str(l),
                Segment::AnyMany => out.push('*'),
                Segment::AnyOne => out.push('?'),
                Segment::Variable { key, default } => {
                    out.push_str(req.variable(key).or(default.as_deref())?)
                }
            }
        }
        Some(std::borrow::Cow::Owned(out))
    }
}

fn flush(literal: &mut String, segments: &mut Vec<Segment>) {
    if !literal.is_empty() {
        segments.push(Segment::Literal(std::mem::take(literal)));
    }
}

/// `aws:username` or `aws:PrincipalTag/team, 'none'`.
fn parse_variable(inner: &str) -> (String, Option<String>) {
    match inner.split_once(',') {
        Some((key, default)) => {
            let d = default.trim();
            let d = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(d);
            (key.trim().to_owned(), Some(d.to_owned()))
        }
        None => (inner.trim().to_owned(), None),
    }
}

fn match_segments(segs: &[Segment], text: &str, ic: bool, req: &Request) -> bool {
    match segs.split_first() {
        None => text.is_empty(),
        Some((Segment::Literal(l), rest)) => {
            strip_prefix(text, l, ic).is_some_and(|t| match_segments(rest, t, ic, req))
        }
        Some((Segment::Variable { key, default }, rest)) => {
            let value = req.variable(key).or(default.as_deref()).unwrap_or("");
            strip_prefix(text, value, ic).is_some_and(|t| match_segments(rest, t, ic, req))
        }
        Some((Segment::AnyOne, rest)) => {
            let mut chars = text.chars();
            chars.next().is_some() && match_segments(rest, chars.as_str(), ic, req)
        }
        Some((Segment::AnyMany, rest)) => {
            if rest.is_empty() {
                return true;
            }
            let mut t = text;
            loop {
                if match_segments(rest, t, ic, req) {
                    return true;
                }
                let mut chars = t.chars();
                if chars.next().is_none() {
                    return false;
                }
                t = chars.as_str();
            }
        }
    }
}

fn strip_prefix<'t>(text: &'t str, prefix: &str, ignore_case: bool) -> Option<&'t str> {
    if !ignore_case {
        return text.strip_prefix(prefix);
    }
    let head = text.get(..prefix.len())?;
    // For ASCII the two comparisons agree; only other text needs Unicode
    // lowercasing, which allocates, and a mismatch is the common case.
    let equal = head.eq_ignore_ascii_case(prefix)
        || (!(head.is_ascii() && prefix.is_ascii())
            && head.to_lowercase() == prefix.to_lowercase());
    equal.then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::compile(p, true, true)
            .matches(t, false, &Request::default())
            .unwrap_or(false)
    }

    #[test]
    fn star_crosses_slashes_and_colons() {
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c"));
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
        assert!(!m("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
        assert!(m("*", ""));
        assert!(m("a?c", "abc") && !m("a?c", "ac"));
    }

    #[test]
    fn escapes_are_literal() {
        assert!(m("a${*}b", "a*b"));
        assert!(!m("a${*}b", "axb"));
        assert!(m("${?}${$}", "?$"));
    }

    #[test]
    fn missing_variable_without_default_matches_nothing() {
        let p = Pattern::compile("home/${aws:username}/*", true, true);
        assert_eq!(p.matches("home/x/y", false, &Request::default()), None);
        let d = Pattern::compile("home/${aws:username, 'nobody'}/*", true, true);
        assert_eq!(
            d.matches("home/nobody/y", false, &Request::default()),
            Some(true)
        );
    }

    #[test]
    fn ignoring_case_folds_ascii_and_other_letters_alike() {
        let ic = |p: &str, t: &str| {
            Pattern::compile(p, true, true)
                .matches(t, true, &Request::default())
                .unwrap_or(false)
        };
        assert!(ic("S3:GetObject*", "s3:getobjectversion"));
        assert!(!ic("s3:GetObject", "s3:PutObject"));
        assert!(ic("Straße-Ä*", "straße-äb"));
        assert!(!ic("Straße-Ä", "straße-öb"));
        assert!(
            !m("S3:GetObject", "s3:getobject"),
            "case counts unless ignored"
        );
    }

    #[test]
    fn variables_are_literal_in_old_versions() {
        let p = Pattern::compile("home/${aws:username}", true, false);
        assert_eq!(p.as_literal(), Some("home/${aws:username}"));
    }
}
