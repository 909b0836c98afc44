//! The one wildcard matcher of the crate: `*` matches any run of characters
//! (the empty one too), `?` exactly one character, everything else itself,
//! with the case rule a parameter.
//!
//! Every reader of IAM's wildcards calls it: the evaluator
//! (`eval/pattern.rs`, which adds policy variables and the ARN segment
//! rules on top, by matching one ARN component at a time), lint's coverage
//! questions (`lint/pattern.rs`) and the action database's action patterns
//! (`actiondb`). Keeping one matcher keeps their answers the same.
//!
//! The matcher is iterative, with single-star backtracking: when a piece
//! fails, only the most recent `*` takes one more character. That is
//! complete for `*`/`?` patterns (a later `*` can absorb whatever an
//! earlier one would have), needs no stack, and is linear in practice and
//! quadratic at worst, so a hostile pattern cannot exhaust the stack.
//!
//! API (stable; `symbolic` and lint rely on it):
//! - [`matches`]: does `pattern` match the text `text`?
//! - [`covers`]: does `pattern` match every string the *pattern* `text`
//!   stands for? (A `?` of `pattern` does not read a wildcard of `text`.)
//! - [`Case`]: `Sensitive` (ARNs, StringLike) or `Insensitive` (actions,
//!   IgnoreCase operators): ASCII letters fold, and so does other text as
//!   Unicode lower case.

/// How letters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Byte for byte: ARNs, resource patterns, StringLike.
    Sensitive,
    /// ASCII letters fold; a run of pattern text holding other characters
    /// also matches the text of the same length with the same Unicode
    /// lower case (`Straße-Ä` matches `straße-ä`). Actions and the
    /// IgnoreCase operators.
    Insensitive,
}

/// Does `pattern` (`*` and `?` wildcards) match all of `text`?
pub fn matches(pattern: &str, text: &str, case: Case) -> bool {
    run(&Raw(pattern), text, case, Wildcards::Literal)
}

/// Does `pattern` match every string the pattern `text` stands for? A `*`
/// or `?` in `text` is matched only by a `*` of `pattern`, so `true` is
/// sound for questions such as "does `s3:*` cover `s3:Get*`?" (it does) or
/// "does `s3:Get?bject` cover `s3:Get*`?" (it does not).
pub fn covers(pattern: &str, text: &str, case: Case) -> bool {
    run(&Raw(pattern), text, case, Wildcards::Opaque)
}

/// Does the compiled pattern `pieces` match all of `text`? For callers
/// whose pattern text is not all wildcards (the evaluator's policy
/// variables and escapes stand for literal text).
pub(crate) fn matches_pieces<P: Pieces + ?Sized>(pieces: &P, text: &str, case: Case) -> bool {
    run(pieces, text, case, Wildcards::Literal)
}

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Literal text, matched under the case rule.
    Text(&'a str),
    /// `?`: exactly one character.
    AnyOne,
    /// `*`: any run of characters.
    AnyRun,
}

/// A pattern read piece by piece, without building a list: a position, and
/// the piece at a position with the position after it.
pub(crate) trait Pieces {
    type Pos: Copy;
    fn start(&self) -> Self::Pos;
    /// The piece at `pos` and the position after it; `None` at the end.
    fn next(&self, pos: Self::Pos) -> Option<(Piece<'_>, Self::Pos)>;
}

/// A slice of pieces is a pattern.
impl Pieces for [Piece<'_>] {
    type Pos = usize;
    fn start(&self) -> usize {
        0
    }
    fn next(&self, pos: usize) -> Option<(Piece<'_>, usize)> {
        self.get(pos).map(|p| (*p, pos + 1))
    }
}

/// Pattern text in which every `*` and `?` is a wildcard.
struct Raw<'a>(&'a str);

impl Pieces for Raw<'_> {
    type Pos = usize;
    fn start(&self) -> usize {
        0
    }
    fn next(&self, pos: usize) -> Option<(Piece<'_>, usize)> {
        let rest = self.0.get(pos..).filter(|r| !r.is_empty())?;
        Some(match rest.as_bytes()[0] {
            b'*' => (Piece::AnyRun, pos + 1),
            b'?' => (Piece::AnyOne, pos + 1),
            _ => {
                let len = rest.find(['*', '?']).unwrap_or(rest.len());
                (Piece::Text(&rest[..len]), pos + len)
            }
        })
    }
}

/// What a wildcard character in the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wildcards {
    /// An ordinary character ([`matches`]).
    Literal,
    /// A stand-in for unknown text, matched only by a `*` ([`covers`]).
    Opaque,
}

fn run<P: Pieces + ?Sized>(pattern: &P, text: &str, case: Case, wildcards: Wildcards) -> bool {
    let mut p = pattern.start();
    let mut t = 0usize;
    // The position after the last `*` seen, and where its run ends so far.
    let mut star: Option<(P::Pos, usize)> = None;
    loop {
        let rest = &text[t..];
        match pattern.next(p) {
            None if rest.is_empty() => return true,
            Some((Piece::AnyRun, after)) => {
                if pattern.next(after).is_none() {
                    // A trailing `*` takes whatever is left.
                    return true;
                }
                star = Some((after, t));
                p = after;
                continue;
            }
            Some((Piece::AnyOne, after)) => {
                if let Some(c) = rest.chars().next()
                    && !(wildcards == Wildcards::Opaque && matches!(c, '*' | '?'))
                {
                    t += c.len_utf8();
                    p = after;
                    continue;
                }
            }
            Some((Piece::Text(literal), after)) if starts_with(rest, literal, case) => {
                t += literal.len();
                p = after;
                continue;
            }
            Some((Piece::Text(_), _)) | None => {}
        }
        // This piece failed: the last `*` takes one more character.
        let Some((after, from)) = star else {
            return false;
        };
        let Some(c) = text[from..].chars().next() else {
            return false;
        };
        let from = from + c.len_utf8();
        star = Some((after, from));
        p = after;
        t = from;
    }
}

/// Does `text` start with `literal` under `case`? The comparison every
/// literal piece makes; callers with a literal head use it to fail fast.
pub(crate) fn starts_with(text: &str, literal: &str, case: Case) -> bool {
    match case {
        Case::Sensitive => text.as_bytes().starts_with(literal.as_bytes()),
        Case::Insensitive => {
            let Some(head) = text.get(..literal.len()) else {
                return false;
            };
            // For ASCII the two comparisons agree; only other text needs
            // Unicode lowercasing, which allocates, and a mismatch is the
            // common case.
            head.eq_ignore_ascii_case(literal)
                || (!(head.is_ascii() && literal.is_ascii())
                    && head.to_lowercase() == literal.to_lowercase())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: Case = Case::Sensitive;
    const I: Case = Case::Insensitive;

    #[test]
    fn a_star_matches_any_run_including_none() {
        assert!(matches("*", "", S));
        assert!(matches("a*", "a", S));
        assert!(matches("a*c", "abbbc", S));
        assert!(matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y:z", S));
        assert!(!matches("arn:aws:s3:::b/*", "arn:aws:s3:::b", S));
        assert!(matches("a*b*c", "aXbYbZc", S));
        assert!(!matches("a*b", "aXbY", S));
    }

    #[test]
    fn a_question_mark_matches_exactly_one_character() {
        assert!(matches("a?c", "abc", S));
        assert!(!matches("a?c", "ac", S));
        assert!(!matches("?", "", S));
        assert!(matches("?", "é", S), "one character, two bytes");
        assert!(!matches("??", "é", S));
    }

    #[test]
    fn sensitive_case_compares_byte_for_byte() {
        assert!(!matches("S3:GetObject", "s3:getobject", S));
        assert!(!matches("Ä", "ä", S));
        assert!(matches("s3:Get*", "s3:GetObject", S));
    }

    #[test]
    fn insensitive_case_folds_ascii_and_other_letters() {
        assert!(matches("S3:GetObject*", "s3:getobjectversion", I));
        assert!(!matches("s3:GetObject", "s3:PutObject", I));
        assert!(matches("Straße-Ä*", "straße-äb", I));
        assert!(!matches("Straße-Ä", "straße-öb", I));
        assert!(matches("get*item", "GetBatchItem", I));
    }

    #[test]
    fn wildcards_in_the_text_are_characters_when_matching() {
        assert!(matches("a?c", "a*c", S));
        assert!(matches("a*", "a?*", S));
    }

    #[test]
    fn wildcards_in_the_text_are_covered_only_by_a_star() {
        assert!(covers("s3:*", "s3:Get*", I));
        assert!(covers("s3:Get*", "s3:GetObject*", I));
        assert!(!covers("s3:GetObject", "s3:Get*", I));
        assert!(!covers("s3:Get?bject", "s3:Get*", I));
        assert!(covers("s3:Get?bject", "s3:GetObject", I));
        assert!(!covers("a?", "a?", S), "? stands for any one character");
        assert!(covers("**", "", S));
        assert!(!covers("", "s3:GetObject", S));
    }

    #[test]
    fn a_hostile_pattern_is_decided_without_recursion() {
        let pattern = "*a".repeat(300);
        let text = "a".repeat(1_000) + "b";
        assert!(!matches(&pattern, &text, S));
        assert!(!covers(&pattern, &text, I));
    }

    #[test]
    fn a_piece_list_matches_as_its_pattern_text_would() {
        let pieces = [
            Piece::Text("home/"),
            Piece::AnyOne,
            Piece::Text("*"),
            Piece::AnyRun,
        ];
        assert!(matches_pieces(&pieces[..], "home/x*/y", S));
        assert!(
            !matches_pieces(&pieces[..], "home/xy/y", S),
            "the * piece is literal"
        );
    }

    /// IAM's definition, character by character and recursively: the
    /// reference the iterative matcher must agree with.
    fn reference(p: &[char], t: &[char], case: Case, opaque: bool) -> bool {
        let same = |a: char, b: char| match case {
            Case::Sensitive => a == b,
            Case::Insensitive => a.to_lowercase().eq(b.to_lowercase()),
        };
        let wild = |c: char| opaque && (c == '*' || c == '?');
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..], case, opaque)),
            Some(('?', rest)) => {
                t.first().is_some_and(|c| !wild(*c)) && reference(rest, &t[1..], case, opaque)
            }
            Some((c, rest)) => {
                t.first().is_some_and(|d| !wild(*d) && same(*c, *d))
                    && reference(rest, &t[1..], case, opaque)
            }
        }
    }

    fn text(alphabet: &'static [char], max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(alphabet), 0..max)
            .prop_map(|cs| cs.into_iter().collect())
    }

    const PATTERN_CHARS: &[char] = &['a', 'A', 'b', ':', '/', 'é', 'É', '*', '?'];
    const TEXT_CHARS: &[char] = &['a', 'A', 'b', 'B', ':', '/', 'é', 'É', '*', '?'];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn matches_agrees_with_the_recursive_definition(
            p in text(PATTERN_CHARS, 8),
            t in text(TEXT_CHARS, 10),
            insensitive in any::<bool>(),
        ) {
            let case = if insensitive { I } else { S };
            let (pc, tc): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
            prop_assert_eq!(matches(&p, &t, case), reference(&pc, &tc, case, false), "{} ~ {}", p, t);
        }

        #[test]
        fn covers_agrees_with_the_recursive_definition(
            p in text(PATTERN_CHARS, 8),
            t in text(TEXT_CHARS, 10),
            insensitive in any::<bool>(),
        ) {
            let case = if insensitive { I } else { S };
            let (pc, tc): (Vec<char>, Vec<char>) = (p.chars().collect(), t.chars().collect());
            prop_assert_eq!(covers(&p, &t, case), reference(&pc, &tc, case, true), "{} ~ {}", p, t);
        }
    }
}
