//! Where a lint finding's JSON path (`Statement[2].Action[0]`) sits in the
//! text of the file it came from, for SARIF's `region`.
//!
//! Lint works on the parsed document, which keeps no positions, so this
//! walks the text again: a small scanner that reads only as far as the path
//! leads and skips every other value whole. It never fails: a path it
//! cannot follow to the end (an element that is missing, such as
//! `MISSING_VERSION`'s `Version`) gives the deepest element it did reach,
//! which is where the fix goes.

/// A span of the text, lines and columns counted from 1 as SARIF counts
/// them, columns in UTF-16 code units (SARIF's default `columnKind`, and
/// what GitHub's code scanning reads). The end column is one past the last
/// character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// The span of the element at `path` in `text` (the object member's key
/// through its value, or an array item), or of the deepest element on the
/// way there. `None` only when `text` holds no JSON value at all.
pub fn locate(text: &str, path: &str) -> Option<Region> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
    };
    scanner.skip_ws();
    let root_start = scanner.pos;
    scanner.skip_value()?;
    let mut span = (root_start, scanner.pos);
    let mut value_start = root_start;
    let mut rest = path.strip_prefix('.').unwrap_or(path);
    while !rest.is_empty() {
        scanner.pos = value_start;
        let step = match scanner.peek()? {
            b'{' => scanner.member(rest),
            b'[' => scanner.item(rest),
            _ => None,
        };
        let Some(step) = step else { break };
        span = (step.start, step.end);
        value_start = step.value_start;
        rest = step.rest;
    }
    Some(Region::of(text, span.0, span.1))
}

/// One step down the path: the element found and what is left of the path.
struct Step<'p> {
    /// The element's span: a member's key through its value, or an item.
    start: usize,
    end: usize,
    value_start: usize,
    rest: &'p str,
}

struct Scanner<'t> {
    bytes: &'t [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// At `{`: the member whose key `path` starts with (followed by `.`,
    /// `[` or the end). Keys may hold dots (`aws:PrincipalTag/team.name`),
    /// so the longest key that fits wins.
    fn member<'p>(&mut self, path: &'p str) -> Option<Step<'p>> {
        self.eat(b'{')?;
        let mut best: Option<Step<'p>> = None;
        loop {
            self.skip_ws();
            if self.peek()? == b'}' {
                break;
            }
            let start = self.pos;
            let key = self.string()?;
            self.eat(b':')?;
            self.skip_ws();
            let value_start = self.pos;
            self.skip_value()?;
            let end = self.pos;
            if let Some(rest) = path.strip_prefix(key.as_str())
                && (rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
                && best.as_ref().is_none_or(|b| b.rest.len() > rest.len())
            {
                best = Some(Step {
                    start,
                    end,
                    value_start,
                    rest: rest.strip_prefix('.').unwrap_or(rest),
                });
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                _ => break,
            }
        }
        best
    }

    /// At `[`: the item `path` names as `[i]`.
    fn item<'p>(&mut self, path: &'p str) -> Option<Step<'p>> {
        let inner = path.strip_prefix('[')?;
        let close = inner.find(']')?;
        let index: usize = inner[..close].parse().ok()?;
        let rest = &inner[close + 1..];
        let rest = rest.strip_prefix('.').unwrap_or(rest);
        self.eat(b'[')?;
        for i in 0.. {
            self.skip_ws();
            if self.peek()? == b']' {
                return None;
            }
            let start = self.pos;
            self.skip_value()?;
            if i == index {
                return Some(Step {
                    start,
                    end: self.pos,
                    value_start: start,
                    rest,
                });
            }
            self.eat(b',')?;
        }
        None
    }

    /// A string's decoded text; the scanner stands just past its closing quote.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => escaped = !escaped,
                b'"' if !escaped => {
                    let raw = std::str::from_utf8(&self.bytes[start - 1..self.pos]).ok()?;
                    // Escapes are rare in keys; serde_json decodes them exactly.
                    return serde_json::from_str(raw).ok();
                }
                _ => escaped = false,
            }
        }
        None
    }

    /// Past one value of any kind.
    fn skip_value(&mut self) -> Option<()> {
        self.skip_ws();
        match self.peek()? {
            b'"' => self.string().map(drop),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                loop {
                    self.skip_ws();
                    match self.peek()? {
                        b if b == close => {
                            self.pos += 1;
                            return Some(());
                        }
                        b',' | b':' => self.pos += 1,
                        _ => self.skip_value()?,
                    }
                }
            }
            _ => {
                // A number, true, false or null: up to the next delimiter.
                let start = self.pos;
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
                (self.pos > start).then_some(())
            }
        }
    }
}

impl Region {
    /// The region from byte `start` to byte `end` of `text`.
    fn of(text: &str, start: usize, end: usize) -> Region {
        let (start_line, start_column) = line_column(text, start);
        let (end_line, end_column) = line_column(text, end);
        Region {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }

    /// A region of one position, as serde_json reports a syntax error
    /// (line from 1, column from 1 counted in bytes of that line); the
    /// column is recounted in UTF-16 code units.
    pub fn at_line_byte_column(text: &str, line: usize, byte_column: usize) -> Region {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let offset = (line_start + byte_column.saturating_sub(1)).min(text.len());
        let mut offset = offset;
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (start_line, start_column) = line_column(text, offset);
        Region {
            start_line,
            start_column,
            end_line: start_line,
            end_column: start_column,
        }
    }
}

/// Line and UTF-16 column, both from 1, of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].encode_utf16().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:*"],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Resource": "*",
      "Condition": {"StringEquals": {"aws:PrincipalTag/team.name": "é-x"}}
    }
  ]
}"#;

    fn at(path: &str) -> (usize, usize) {
        let r = locate(POLICY, path).unwrap_or_else(|| panic!("{path} not located"));
        (r.start_line, r.start_column)
    }

    #[test]
    fn a_top_level_member_is_found_at_its_key() {
        assert_eq!(at("Version"), (2, 3));
    }

    #[test]
    fn array_items_are_found_by_index() {
        assert_eq!(at("Statement[1]"), (9, 5));
        assert_eq!(at("Statement[0].Action[1]"), (6, 34));
        assert_eq!(at("Statement[1].Resource"), (12, 7));
    }

    #[test]
    fn a_key_holding_dots_is_matched_whole() {
        assert_eq!(
            at("Statement[1].Condition.StringEquals.aws:PrincipalTag/team.name"),
            (13, 38)
        );
    }

    #[test]
    fn the_region_spans_the_member_through_its_value() {
        let r = locate(POLICY, "Statement[0].Action").unwrap_or_else(|| panic!("located"));
        assert_eq!((r.start_line, r.start_column), (6, 7));
        assert_eq!((r.end_line, r.end_column), (6, 41));
    }

    #[test]
    fn a_missing_element_gives_the_deepest_element_reached() {
        // MISSING_RESOURCE names a path that does not exist yet.
        assert_eq!(at("Statement[0].NotThere"), (4, 5));
        assert_eq!(at("Statement[7]"), (3, 3));
        assert_eq!(at("Nowhere"), (1, 1));
    }

    #[test]
    fn the_empty_path_and_a_leading_dot_mean_the_document() {
        assert_eq!(at(""), (1, 1));
        assert_eq!(at(".Version"), (2, 3));
    }

    #[test]
    fn a_path_with_an_index_on_a_single_value_stops_at_that_value() {
        assert_eq!(at("Statement[1].Action[0]"), (11, 7));
    }

    #[test]
    fn columns_count_utf16_code_units_after_wide_characters() {
        let text = "{\"a\": \"😀\", \"b\": 1}";
        let r = locate(text, "b").unwrap_or_else(|| panic!("located"));
        // 😀 is 4 bytes in UTF-8, 2 code units in UTF-16.
        assert_eq!(r.start_column, 13);
    }

    #[test]
    fn escaped_quotes_in_strings_do_not_end_them() {
        let text = r#"{"a": "x\"}", "b": 2}"#;
        assert_eq!(
            locate(text, "b").map(|r| r.start_column),
            Some(15),
            "{text}"
        );
    }

    #[test]
    fn text_without_json_is_not_located() {
        assert_eq!(locate("   ", "Version"), None);
    }

    #[test]
    fn a_syntax_error_position_is_recounted_in_utf16() {
        let text = "{\n  \"é\": ,\n}";
        let r = Region::at_line_byte_column(text, 2, 9);
        assert_eq!((r.start_line, r.start_column), (2, 8));
    }
}
