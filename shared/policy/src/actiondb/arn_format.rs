//! The ARN-format matcher: does an ARN (or an ARN pattern with `*` and
//! `?`) fit a resource type's ARN format from the action database
//! (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`)?
//!
//! A `${...}` placeholder matches one or more characters (`${Partition}`,
//! `${Region}` and `${Account}` never a ':'); a `*` in the ARN matches any
//! run of the format, a `?` any one character. This is the reverse of an
//! ordinary glob (the wildcards are in the text, the placeholders in the
//! pattern), so it is not `crate::glob`.

/// A resource type's ARN format, tokenised once when its service is loaded.
pub(super) struct ArnFormat {
    /// The format's six ':'-separated parts after `arn:`, tokenised apart:
    /// matching part by part keeps backtracking inside one part. `None` when
    /// the format is not an ARN.
    parts: Option<[Vec<Token>; 5]>,
    whole: Vec<Token>,
}

impl ArnFormat {
    pub(super) fn compile(format: &str) -> ArnFormat {
        ArnFormat {
            parts: arn_parts(format).map(|p| p.map(tokenize)),
            whole: tokenize(format),
        }
    }

    /// Does `arn` fit the format?
    pub(super) fn matches(&self, arn: &str) -> bool {
        if let (Some(parts), Some(formats)) = (arn_parts(arn), &self.parts) {
            return formats
                .iter()
                .zip(parts)
                .all(|(tokens, part)| match_part(tokens, part));
        }
        match_part(&self.whole, arn)
    }
}

/// The five parts after `arn:`, the last holding any further ':'.
fn arn_parts(arn: &str) -> Option<[&str; 5]> {
    let rest = arn.strip_prefix("arn:")?;
    let mut it = rest.splitn(5, ':');
    Some([it.next()?, it.next()?, it.next()?, it.next()?, it.next()?])
}

fn match_part(tokens: &[Token], text: &str) -> bool {
    let text = text.as_bytes();
    // Plain backtracking settles ordinary ARNs in a few dozen steps; the
    // memoised search only runs for pathological wildcard patterns.
    let mut budget = 4096u32;
    if let Some(answer) = match_plain(tokens, text, 0, 0, &mut budget) {
        return answer;
    }
    let width = text.len() + 1;
    let mut memo = vec![0u8; (tokens.len() + 1) * width];
    match_tokens(tokens, text, 0, 0, width, &mut memo)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Literal(u8),
    /// Exactly one character of a placeholder.
    One {
        no_colon: bool,
    },
    /// Zero or more further characters of a placeholder.
    More {
        no_colon: bool,
    },
}

fn tokenize(format: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.extend(rest[..start].bytes().map(Token::Literal));
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let no_colon = matches!(&after[..end], "Partition" | "Region" | "Account");
                out.push(Token::One { no_colon });
                out.push(Token::More { no_colon });
                rest = &after[end + 1..];
            }
            None => {
                out.extend(rest[start..].bytes().map(Token::Literal));
                rest = "";
            }
        }
    }
    out.extend(rest.bytes().map(Token::Literal));
    out
}

/// Unmemoised `match_tokens`; `None` once `budget` steps are spent.
fn match_plain(tokens: &[Token], arn: &[u8], t: usize, a: usize, budget: &mut u32) -> Option<bool> {
    *budget = budget.checked_sub(1)?;
    let fits = |no_colon: bool, c: u8| c != b'*' && !(no_colon && c == b':');
    if a < arn.len() && arn[a] == b'*' {
        if match_plain(tokens, arn, t, a + 1, budget)? {
            return Some(true);
        }
        return Some(t < tokens.len() && match_plain(tokens, arn, t + 1, a, budget)?);
    }
    let Some(token) = tokens.get(t) else {
        return Some(a == arn.len());
    };
    match *token {
        Token::Literal(c) => {
            if a < arn.len() && (arn[a] == c || arn[a] == b'?') {
                match_plain(tokens, arn, t + 1, a + 1, budget)
            } else {
                Some(false)
            }
        }
        Token::One { no_colon } => {
            if a < arn.len() && fits(no_colon, arn[a]) {
                match_plain(tokens, arn, t + 1, a + 1, budget)
            } else {
                Some(false)
            }
        }
        Token::More { no_colon } => {
            if match_plain(tokens, arn, t + 1, a, budget)? {
                return Some(true);
            }
            Some(
                a < arn.len()
                    && fits(no_colon, arn[a])
                    && match_plain(tokens, arn, t, a + 1, budget)?,
            )
        }
    }
}

/// Memoised match of tokens[t..] against arn[a..]; memo: 0 unknown, 1 no, 2 yes.
fn match_tokens(
    tokens: &[Token],
    arn: &[u8],
    t: usize,
    a: usize,
    width: usize,
    memo: &mut [u8],
) -> bool {
    let slot = t * width + a;
    match memo.get(slot) {
        Some(1) => return false,
        Some(2) => return true,
        _ => {}
    }
    let fits = |no_colon: bool, c: u8| c != b'*' && !(no_colon && c == b':');
    let result = if a < arn.len() && arn[a] == b'*' {
        // The ARN's own wildcard swallows zero or more tokens.
        match_tokens(tokens, arn, t, a + 1, width, memo)
            || (t < tokens.len() && match_tokens(tokens, arn, t + 1, a, width, memo))
    } else if t == tokens.len() {
        a == arn.len()
    } else {
        match tokens[t] {
            Token::Literal(c) => {
                a < arn.len()
                    && (arn[a] == c || arn[a] == b'?')
                    && match_tokens(tokens, arn, t + 1, a + 1, width, memo)
            }
            Token::One { no_colon } => {
                a < arn.len()
                    && fits(no_colon, arn[a])
                    && match_tokens(tokens, arn, t + 1, a + 1, width, memo)
            }
            Token::More { no_colon } => {
                match_tokens(tokens, arn, t + 1, a, width, memo)
                    || (a < arn.len()
                        && fits(no_colon, arn[a])
                        && match_tokens(tokens, arn, t, a + 1, width, memo))
            }
        }
    };
    if let Some(m) = memo.get_mut(slot) {
        *m = if result { 2 } else { 1 };
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    const FUNCTION: &str = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";

    #[test]
    fn placeholders_match_one_or_more_characters() {
        let f = ArnFormat::compile(OBJECT);
        assert!(f.matches("arn:aws:s3:::b/k"));
        assert!(f.matches("arn:aws:s3:::b/dir/k"));
        assert!(!f.matches("arn:aws:s3:::b/"), "an empty object name");
        assert!(!f.matches("arn:aws:s3:::b"));
    }

    #[test]
    fn region_and_account_placeholders_never_match_a_colon() {
        let f = ArnFormat::compile(FUNCTION);
        assert!(f.matches("arn:aws:lambda:us-east-1:111122223333:function:f"));
        assert!(f.matches("arn:aws:lambda:us-east-1:111122223333:function:f:prod"));
        assert!(!f.matches("arn:aws:lambda:us:east:111122223333:function:f"));
    }

    #[test]
    fn wildcards_in_the_arn_match_runs_and_characters_of_the_format() {
        let f = ArnFormat::compile(OBJECT);
        assert!(f.matches("arn:aws:s3:::b/*"));
        assert!(f.matches("arn:*:s3:::b?/k"));
        assert!(f.matches("*"));
        assert!(!f.matches("arn:aws:sqs:*"));
    }

    #[test]
    fn a_pathological_arn_pattern_is_decided_within_the_memo() {
        let f = ArnFormat::compile(OBJECT);
        // Hundreds of ARN wildcards against placeholders: plain backtracking
        // runs out of budget and the memoised search answers.
        let arn = format!("arn:aws:s3:::{}", "*a".repeat(200));
        assert!(f.matches(&arn));
        assert!(!f.matches(&format!("{arn}:x").replace("s3", "sqs")));
    }
}
