//! Compiled string patterns: wildcards and policy variables, parsed once.
//!
//! A pattern is a list of segments. `*` and `?` are wildcards only where the
//! element allows them (Resource, StringLike, ArnLike); `${*}`, `${?}` and
//! `${$}` always mean the literal character, and a variable's value is
//! literal text. Matching walks the segments without allocating, through
//! the crate's one wildcard matcher, `crate::glob`.
//!
//! ARNs are matched segment by segment (IAM User Guide, "IAM JSON policy
//! elements: Resource", Using wildcards in resource ARNs): the first five
//! colons separate partition, service, region, account and resource, and
//! no wildcard matches one of them. The resource segment keeps its own
//! colons, which wildcards there may match, and a `*` that ends the pattern
//! "can expand to match beyond the colon boundaries". Those rules live
//! here, on top of `glob`: the pattern and the ARN are cut at their first
//! five colons and each component is matched on its own.

use super::request::Request;
use crate::glob::{self, Case, Piece, Pieces};

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
    /// When the first segment is a literal holding the five ARN delimiter
    /// colons (`arn:aws:s3:::b/*`, the common case), the byte length of
    /// that literal up to and including the fifth: the components before
    /// it are then plain text, compared at once.
    arn_head: Option<usize>,
    /// The source text, for explanations.
    source: String,
}

/// The colons before an ARN's resource segment: partition, service, region,
/// account. Wildcards never match these.
const ARN_DELIMITERS: u8 = 5;

/// How wildcards treat `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Colons {
    /// Plain text (actions, string conditions): a wildcard matches any character.
    Free,
    /// A Resource element ARN: no wildcard crosses the first five colons,
    /// except a `*` that ends the pattern.
    Resource,
    /// ArnLike and ArnEquals: "each of the six colon-delimited components
    /// of the ARN is checked separately"; a trailing `*` stays in its own.
    ArnCondition,
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
        let arn_head = match segments.first() {
            Some(Segment::Literal(l)) => l
                .match_indices(':')
                .nth(usize::from(ARN_DELIMITERS) - 1)
                .map(|(at, _)| at + 1),
            _ => None,
        };
        Pattern {
            segments,
            has_variables,
            arn_head,
            source: text.to_owned(),
        }
    }

    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Matches `text` as plain text; `ignore_case` for IgnoreCase operators
    /// and actions. `None` when a variable has no value and no default: IAM
    /// then treats the whole statement as invalid.
    pub(crate) fn matches(&self, text: &str, ignore_case: bool, req: &Request) -> Option<bool> {
        self.matches_with(text, ignore_case, req, Colons::Free)
    }

    /// Matches a Resource or NotResource entry by the ARN segment rules.
    /// `*` alone still matches everything: it ends the pattern.
    pub(crate) fn matches_resource(&self, text: &str, req: &Request) -> Option<bool> {
        self.matches_with(text, false, req, Colons::Resource)
    }

    /// ArnLike/ArnEquals: `value` must be an ARN (six components) and each
    /// component is matched on its own.
    pub(crate) fn matches_arn_condition(&self, value: &str, req: &Request) -> Option<bool> {
        let colons = value.bytes().filter(|b| *b == b':').count();
        if colons < usize::from(ARN_DELIMITERS) && !self.unresolved(req) {
            return Some(false);
        }
        self.matches_with(value, false, req, Colons::ArnCondition)
    }

    /// Does a variable in the pattern have neither a value in the request
    /// nor a default? ("not present ... any attempt to match it fails and
    /// causes the statement to be invalid", IAM policy variables page.)
    pub(crate) fn unresolved(&self, req: &Request) -> bool {
        self.has_variables
            && self.segments.iter().any(|s| {
                matches!(s, Segment::Variable { key, default: None } if req.variable(key).is_none())
            })
    }

    fn matches_with(
        &self,
        text: &str,
        ignore_case: bool,
        req: &Request,
        colons: Colons,
    ) -> Option<bool> {
        if self.unresolved(req) {
            return None;
        }
        let case = if ignore_case {
            Case::Insensitive
        } else {
            Case::Sensitive
        };
        Some(match colons {
            // Plain text: no colon is special.
            Colons::Free => self.tail_matches(0, text, case, req),
            Colons::Resource | Colons::ArnCondition => {
                self.components_match(text, case, req, colons)
            }
        })
    }

    /// Does the pattern, from byte `skip` of its first segment on, match
    /// `text`? Without variables the segments are read as they are, the
    /// evaluator's hot path; with them, through [`Span`].
    fn tail_matches(&self, skip: usize, text: &str, case: Case, req: &Request) -> bool {
        if self.has_variables {
            let span = Span {
                segs: &self.segments,
                req,
                from: (0, skip),
                to: (self.segments.len(), 0),
            };
            glob::matches_pieces(&span, text, case)
        } else {
            // Most patterns a request meets fail on their literal head (an
            // action of another service), and many are one literal: settle
            // those with one comparison.
            if let Some(Segment::Literal(l)) = self.segments.first() {
                let head = l.get(skip..).unwrap_or("");
                if !glob::starts_with(text, head, case) {
                    return false;
                }
                if self.segments.len() == 1 {
                    return text.len() == head.len();
                }
            }
            glob::matches_pieces(
                &Plain {
                    segs: &self.segments,
                    skip,
                },
                text,
                case,
            )
        }
    }

    /// The ARN rules: the pattern's first five literal colons (its own or
    /// a variable's value) must meet the text's first five, in order, as no
    /// wildcard may read one; between them each component is a plain glob.
    /// With fewer than five in the pattern, its last component meets the
    /// rest of the text, where a colon can be read only by a `*` that ends a
    /// Resource pattern.
    fn components_match(&self, text: &str, case: Case, req: &Request, colons: Colons) -> bool {
        if colons == Colons::Resource && matches!(self.segments.as_slice(), [Segment::AnyMany]) {
            // `"Resource": "*"`: a trailing `*` takes everything.
            return true;
        }
        if let (Some(head), Some(Segment::Literal(l)), Case::Sensitive) =
            (self.arn_head, self.segments.first(), case)
        {
            // Five literal components: the text must start with them, and
            // its first five colons are then theirs.
            return text.as_bytes().starts_with(&l.as_bytes()[..head])
                && self.tail_matches(head, &text[head..], case, req);
        }
        let mut cuts = [(0usize, 0usize); ARN_DELIMITERS as usize];
        let mut k = 0;
        'segments: for (i, seg) in self.segments.iter().enumerate() {
            let Some(literal) = literal_text(seg, req) else {
                continue;
            };
            for (at, _) in literal.match_indices(':') {
                let Some(cut) = cuts.get_mut(k) else {
                    break 'segments;
                };
                *cut = (i, at);
                k += 1;
            }
        }
        let mut text_cuts = [0usize; ARN_DELIMITERS as usize];
        let mut m = 0;
        for ((at, _), cut) in text.match_indices(':').zip(text_cuts.iter_mut()) {
            *cut = at;
            m += 1;
        }
        if m < k {
            return false;
        }
        let span = |from, to| Span {
            segs: &self.segments,
            req,
            from,
            to,
        };
        let (mut from, mut text_from) = ((0, 0), 0);
        for (&(i, at), &text_at) in cuts.iter().zip(&text_cuts).take(k) {
            if !glob::matches_pieces(&span(from, (i, at)), &text[text_from..text_at], case) {
                return false;
            }
            from = (i, at + 1);
            text_from = text_at + 1;
        }
        let rest = &text[text_from..];
        let last = span(from, (self.segments.len(), 0));
        if k == usize::from(ARN_DELIMITERS) || !rest.contains(':') {
            return glob::matches_pieces(&last, rest, case);
        }
        // `rest` holds a delimiter colon that only a trailing `*` of a
        // Resource pattern may read: what precedes the `*` must match
        // before that colon, and the `*` takes the rest.
        colons == Colons::Resource
            && self.segments.last() == Some(&Segment::AnyMany)
            && glob::matches_pieces(&last, rest.split(':').next().unwrap_or(""), case)
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

/// The text a literal or a variable stands for (a missing variable with
/// no default reads as empty: `unresolved` has already refused that case).
fn literal_text<'p>(seg: &'p Segment, req: &'p Request) -> Option<&'p str> {
    match seg {
        Segment::Literal(l) => Some(l),
        Segment::Variable { key, default } => {
            Some(req.variable(key).or(default.as_deref()).unwrap_or(""))
        }
        Segment::AnyOne | Segment::AnyMany => None,
    }
}

/// The segments of a pattern without variables, the first from byte `skip`.
struct Plain<'p> {
    segs: &'p [Segment],
    skip: usize,
}

impl Pieces for Plain<'_> {
    type Pos = usize;

    fn start(&self) -> usize {
        0
    }

    fn next(&self, i: usize) -> Option<(Piece<'_>, usize)> {
        let piece = match self.segs.get(i)? {
            Segment::Literal(l) if i == 0 => Piece::Text(l.get(self.skip..)?),
            Segment::Literal(l) => Piece::Text(l),
            Segment::AnyOne => Piece::AnyOne,
            Segment::AnyMany => Piece::AnyRun,
            // Not in a pattern without variables.
            Segment::Variable { .. } => return None,
        };
        Some((piece, i + 1))
    }
}

/// The part of a pattern from one position to another, variables resolved,
/// read as `glob` pieces. A position is a segment and a byte offset in its
/// text, so that a component may begin or end inside a literal.
struct Span<'p> {
    segs: &'p [Segment],
    req: &'p Request,
    from: (usize, usize),
    /// Exclusive.
    to: (usize, usize),
}

impl Pieces for Span<'_> {
    type Pos = (usize, usize);

    fn start(&self) -> (usize, usize) {
        self.from
    }

    fn next(&self, (i, at): (usize, usize)) -> Option<(Piece<'_>, (usize, usize))> {
        if (i, at) >= self.to {
            return None;
        }
        let piece = match self.segs.get(i)? {
            Segment::AnyOne => Piece::AnyOne,
            Segment::AnyMany => Piece::AnyRun,
            seg => {
                let text = literal_text(seg, self.req)?;
                let end = if i == self.to.0 {
                    self.to.1
                } else {
                    text.len()
                };
                Piece::Text(text.get(at..end)?)
            }
        };
        Some((piece, (i + 1, 0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The recursive matcher this module used before `glob`, kept as the
    // reference the component-by-component reading must agree with.
    mod before {
        use super::super::*;

        pub(super) fn matches(
            p: &Pattern,
            text: &str,
            ignore_case: bool,
            req: &Request,
            colons: Colons,
        ) -> Option<bool> {
            if colons == Colons::ArnCondition {
                let n = text.bytes().filter(|b| *b == b':').count();
                if n < usize::from(ARN_DELIMITERS) && !p.unresolved(req) {
                    return Some(false);
                }
            }
            if p.unresolved(req) {
                return None;
            }
            let matcher = Matcher {
                ignore_case,
                req,
                trailing_star_expands: colons == Colons::Resource,
            };
            let seen = if colons == Colons::Free {
                ARN_DELIMITERS
            } else {
                0
            };
            Some(matcher.run(&p.segments, text, seen))
        }

        /// One match of a pattern against a text.
        struct Matcher<'r> {
            ignore_case: bool,
            req: &'r Request,
            /// A `*` ending the pattern may match the ARN's delimiter colons.
            trailing_star_expands: bool,
        }

        impl Matcher<'_> {
            /// Matches `segs` against `text`; `seen` counts the ARN delimiter colons
            /// already consumed (capped at [`ARN_DELIMITERS`], past which a colon is
            /// an ordinary character of the resource segment).
            fn run(&self, segs: &[Segment], text: &str, seen: u8) -> bool {
                match segs.split_first() {
                    None => text.is_empty(),
                    Some((Segment::Literal(l), rest)) => self.literal(l, rest, text, seen),
                    Some((Segment::Variable { key, default }, rest)) => {
                        let value = self.req.variable(key).or(default.as_deref()).unwrap_or("");
                        self.literal(value, rest, text, seen)
                    }
                    Some((Segment::AnyOne, rest)) => {
                        let mut chars = text.chars();
                        match chars.next() {
                            None => false,
                            Some(':') if seen < ARN_DELIMITERS => false,
                            Some(_) => self.run(rest, chars.as_str(), seen),
                        }
                    }
                    Some((Segment::AnyMany, rest)) => self.any_many(rest, text, seen),
                }
            }

            fn literal(&self, literal: &str, rest: &[Segment], text: &str, seen: u8) -> bool {
                let Some(after) = strip_prefix(text, literal, self.ignore_case) else {
                    return false;
                };
                self.run(rest, after, count_colons(literal, seen))
            }

            /// `*`: any run of characters that does not cross a delimiter colon,
            /// unless it ends the pattern and ARN expansion is allowed.
            fn any_many(&self, rest: &[Segment], text: &str, seen: u8) -> bool {
                if rest.is_empty() {
                    return seen >= ARN_DELIMITERS
                        || self.trailing_star_expands
                        || !text.contains(':');
                }
                let mut t = text;
                loop {
                    if self.run(rest, t, seen) {
                        return true;
                    }
                    let mut chars = t.chars();
                    match chars.next() {
                        None => return false,
                        Some(':') if seen < ARN_DELIMITERS => return false,
                        Some(_) => t = chars.as_str(),
                    }
                }
            }
        }

        /// `seen` plus the colons in `text`, capped at [`ARN_DELIMITERS`].
        fn count_colons(text: &str, seen: u8) -> u8 {
            if seen >= ARN_DELIMITERS {
                return seen;
            }
            let n = text.bytes().filter(|b| *b == b':').count();
            u8::try_from(n)
                .unwrap_or(u8::MAX)
                .saturating_add(seen)
                .min(ARN_DELIMITERS)
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
    }

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

    fn resource(p: &str, t: &str) -> bool {
        Pattern::compile(p, true, true).matches_resource(t, &Request::default()) == Some(true)
    }

    #[test]
    fn resource_wildcards_stay_in_their_arn_segment() {
        let queue = "arn:aws:sqs:us-east-1:111122223333:jobs";
        assert!(!resource("arn:aws:sqs:us-east-1:111122223333?jobs", queue));
        assert!(!resource("arn:aws:sqs:*:jobs", queue));
        assert!(resource("arn:aws:sqs:*:111122223333:jobs", queue));
        assert!(resource("arn:aws:sqs:*", queue), "a trailing * expands");
        assert!(resource("*", queue));
        assert!(
            resource(
                "arn:aws:lambda:*:*:function:f?prod",
                "arn:aws:lambda:us-east-1:1:function:f:prod"
            ),
            "the resource segment keeps its colons"
        );
    }

    #[test]
    fn arn_conditions_need_six_components_and_keep_a_trailing_star_in_its_own() {
        let p = |p: &str, v: &str| {
            Pattern::compile(p, true, true).matches_arn_condition(v, &Request::default())
                == Some(true)
        };
        assert!(!p("arn:aws:sns:*", "arn:aws:sns:us-east-1:111122223333:t"));
        assert!(p(
            "arn:aws:sns:*:*:*",
            "arn:aws:sns:us-east-1:111122223333:t"
        ));
        assert!(!p("*", "arn:aws:sns:us-east-1:111122223333:t"));
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

    fn text(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
            .prop_map(|parts| parts.concat())
    }

    const PATTERN_PARTS: &[&str] = &[
        "a",
        "B",
        ":",
        ":",
        "/",
        "*",
        "?",
        "é",
        "${aws:username}",
        "${x, 'd:e'}",
        "${y}",
        "${*}",
        "arn:aws:s3:::",
        "arn:aws:sqs:",
    ];
    const TEXT_PARTS: &[&str] = &[
        "a",
        "b",
        "A",
        ":",
        ":",
        "/",
        "*",
        "é",
        "É",
        "u:n",
        "d:e",
        "arn:aws:s3:::",
        "arn:aws:sqs:",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        #[test]
        fn matching_through_glob_agrees_with_the_recursive_matcher(
            p in text(PATTERN_PARTS, 8),
            t in text(TEXT_PARTS, 9),
            ignore_case in any::<bool>(),
            mode in 0..3u8,
            username in proptest::option::of(prop_oneof![Just(""), Just("u:n"), Just("a*"), Just("b")]),
        ) {
            let colons = [Colons::Free, Colons::Resource, Colons::ArnCondition][usize::from(mode)];
            let ignore_case = ignore_case && colons == Colons::Free;
            let mut req = Request::default();
            if let Some(u) = username {
                req = req.with_context("aws:username", super::super::request::ContextValue::Single(u.into()));
            }
            let pattern = Pattern::compile(&p, true, true);
            let now = match colons {
                Colons::Free => pattern.matches(&t, ignore_case, &req),
                Colons::Resource => pattern.matches_resource(&t, &req),
                Colons::ArnCondition => pattern.matches_arn_condition(&t, &req),
            };
            prop_assert_eq!(now, before::matches(&pattern, &t, ignore_case, &req, colons), "{} ~ {} ({:?})", p, t, colons);
        }
    }
}
