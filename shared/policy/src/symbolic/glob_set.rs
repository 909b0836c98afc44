//! Reasoning over sets of IAM patterns: is there a string that matches these
//! patterns and none of those, and if so, which?
//!
//! A pattern (`s3:Get*`, `arn:aws:s3:::b*/k?`) is read into a list of
//! segments exactly as the evaluator's `eval/pattern.rs` reads it, and each
//! becomes a position automaton: a state is an index into the segments.
//! A question ("in L1, in L2, not in M") is answered by a breadth-first walk
//! of the product of the automata, each side kept as the *set* of positions
//! it may be in (subset construction, lazily, only for the states reached).
//! Characters that occur in no pattern behave alike, so the walk tries every
//! character that occurs in a pattern and one fresh character; the first
//! accepting product state gives the shortest witness.
//!
//! The ARN rules of the evaluator are one number shared by every automaton:
//! the delimiter colons read so far (capped at five). Below five, no
//! wildcard reads a colon (a literal colon reads it and counts it); a `*`
//! ending a Resource pattern reads anything; ArnLike needs five colons.
//!
//! Bounds: every transition computed costs its positions from the
//! [`Budget`]; a walk stops at the budget's state cap. Either answers
//! Unknown, never a guess.

use std::collections::{HashMap, VecDeque};

use super::err::Unknown;

/// The colons before an ARN's resource segment.
const ARN_DELIMITERS: u8 = 5;

/// How wildcards treat `:`, as in the evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Colons {
    /// Actions and string conditions: colons are ordinary characters.
    Free,
    /// Resource / NotResource: no wildcard crosses the first five colons,
    /// except a `*` that ends the pattern.
    Resource,
    /// ArnLike / ArnEquals: each of the six components on its own, and the
    /// value needs five colons.
    ArnCondition,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    Char(char),
    /// `?`
    One,
    /// `*`
    Many,
}

/// One compiled pattern without policy variables.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Glob {
    segs: Vec<Seg>,
    colons: Colons,
    /// Characters compare ASCII-case-insensitively (actions, IgnoreCase,
    /// Bool); the pattern's letters are stored lower-case.
    ignore_case: bool,
}

/// A pattern as written: either a [`Glob`] or one naming policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed {
    Glob(Glob),
    /// The variables' keys, as written (`aws:username`), and the pattern
    /// with each variable read as `*`: a superset of what it matches for
    /// any value, kept only where that holds (no ARN delimiter colon can
    /// fall inside the value: plain text, or five literal colons before).
    Variables(Vec<String>, Option<Glob>),
}

impl Glob {
    /// Reads `text` as `eval::pattern::Pattern::compile` does: `*` and `?`
    /// are wildcards when `wildcards`; with `variables`, `${*}`, `${?}` and
    /// `${$}` are literal characters and `${key}` a policy variable.
    pub(crate) fn parse(
        text: &str,
        wildcards: bool,
        variables: bool,
        colons: Colons,
        ignore_case: bool,
    ) -> Parsed {
        let mut segs = Vec::with_capacity(text.len());
        let mut vars = Vec::new();
        // Literal colons read before the first variable.
        let mut colons_before = 0usize;
        let mut rest = text;
        let push_char = |segs: &mut Vec<Seg>, c: char| {
            segs.push(Seg::Char(if ignore_case {
                c.to_ascii_lowercase()
            } else {
                c
            }))
        };
        while let Some(c) = rest.chars().next() {
            if variables
                && rest.starts_with("${")
                && let Some(end) = rest.find('}')
            {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" | "?" | "$" => inner.chars().for_each(|c| push_char(&mut segs, c)),
                    _ => {
                        if vars.is_empty() {
                            colons_before = segs.iter().filter(|s| **s == Seg::Char(':')).count();
                        }
                        let key = inner.split(',').next().unwrap_or("").trim();
                        vars.push(key.to_owned());
                        if segs.last() != Some(&Seg::Many) {
                            segs.push(Seg::Many);
                        }
                    }
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if wildcards => {
                    if segs.last() != Some(&Seg::Many) {
                        segs.push(Seg::Many);
                    }
                }
                '?' if wildcards => segs.push(Seg::One),
                c => push_char(&mut segs, c),
            }
        }
        let glob = Glob {
            segs,
            colons,
            ignore_case,
        };
        if vars.is_empty() {
            Parsed::Glob(glob)
        } else {
            let safe = colons == Colons::Free || colons_before >= usize::from(ARN_DELIMITERS);
            Parsed::Variables(vars, safe.then_some(glob))
        }
    }

    /// Every action a request can name: `service:name`, both parts non-empty.
    pub(crate) fn any_action() -> Glob {
        Glob {
            segs: vec![Seg::One, Seg::Many, Seg::Char(':'), Seg::One, Seg::Many],
            colons: Colons::Free,
            ignore_case: true,
        }
    }

    /// Every resource a request can name: not empty.
    pub(crate) fn any_resource() -> Glob {
        Glob {
            segs: vec![Seg::One, Seg::Many],
            colons: Colons::Free,
            ignore_case: false,
        }
    }

    /// Appends a compact spelling that tells globs apart, for interning.
    pub(crate) fn key(&self, out: &mut String) {
        out.push('\u{0}');
        out.push(match (self.colons, self.ignore_case) {
            (Colons::Free, false) => 'f',
            (Colons::Free, true) => 'F',
            (Colons::Resource, false) => 'r',
            (Colons::Resource, true) => 'R',
            (Colons::ArnCondition, false) => 'a',
            (Colons::ArnCondition, true) => 'A',
        });
        for s in &self.segs {
            match s {
                // The markers below, when literal, are escaped.
                Seg::Char(c) if ('\u{0}'..='\u{3}').contains(c) => {
                    out.push('\u{3}');
                    out.push(*c);
                }
                Seg::Char(c) => out.push(*c),
                Seg::One => out.push('\u{1}'),
                Seg::Many => out.push('\u{2}'),
            }
        }
    }

    /// The text when the pattern has no wildcard.
    fn literal(&self) -> Option<String> {
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Char(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn is_ascii(&self) -> bool {
        self.segs
            .iter()
            .all(|s| !matches!(s, Seg::Char(c) if !c.is_ascii()))
    }

    pub(crate) fn len(&self) -> usize {
        self.segs.len()
    }

    /// Adds `p` and the positions an empty string reaches from it.
    fn close(&self, p: usize, into: &mut Vec<u32>) {
        // The chain only moves forward, so it never loops; callers sort
        // and deduplicate.
        let mut p = p;
        loop {
            into.push(u32::try_from(p).unwrap_or(u32::MAX));
            match self.segs.get(p) {
                Some(Seg::Many) => p += 1,
                _ => return,
            }
        }
    }

    /// The positions after reading `ch` from position `p`, with `seen`
    /// delimiter colons read before `ch`.
    fn step(&self, p: usize, ch: char, seen: u8, into: &mut Vec<u32>) {
        let guarded = self.colons != Colons::Free && seen < ARN_DELIMITERS && ch == ':';
        match self.segs.get(p) {
            None => {}
            Some(Seg::Char(c)) => {
                let same = if self.ignore_case {
                    ch.to_ascii_lowercase() == *c
                } else {
                    ch == *c
                };
                if same {
                    self.close(p + 1, into);
                }
            }
            Some(Seg::One) if !guarded => self.close(p + 1, into),
            Some(Seg::One) => {}
            Some(Seg::Many) => {
                let last = p + 1 == self.segs.len();
                if (last && self.colons == Colons::Resource) || !guarded {
                    self.close(p, into);
                }
            }
        }
    }

    fn accepts_at(&self, p: usize, seen: u8) -> bool {
        p == self.segs.len() && (self.colons != Colons::ArnCondition || seen >= ARN_DELIMITERS)
    }

    /// Direct match of one string (the automaton run on it).
    pub(crate) fn matches(&self, text: &str) -> bool {
        let mut cur = Vec::new();
        self.close(0, &mut cur);
        let mut seen = 0u8;
        let mut next = Vec::new();
        for ch in text.chars() {
            next.clear();
            for &p in &cur {
                self.step(p as usize, ch, seen, &mut next);
            }
            next.sort_unstable();
            next.dedup();
            std::mem::swap(&mut cur, &mut next);
            if cur.is_empty() {
                return false;
            }
            if ch == ':' {
                seen = (seen + 1).min(ARN_DELIMITERS);
            }
        }
        cur.iter().any(|p| self.accepts_at(*p as usize, seen))
    }
}

/// "Matches one of `globs`" (`positive`) or "matches none of them".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Constraint<'g> {
    pub globs: &'g [Glob],
    pub positive: bool,
}

/// The work one question may do: shared by a whole comparison.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub steps_left: u64,
    /// The steps the comparison started with, for the message.
    pub steps: u64,
    /// Product states one walk may visit.
    pub max_states: usize,
}

impl Budget {
    pub(crate) fn spend(&mut self, steps: u64) -> Result<(), Unknown> {
        match self.steps_left.checked_sub(steps) {
            Some(left) => {
                self.steps_left = left;
                Ok(())
            }
            None => {
                self.steps_left = 0;
                Err(Unknown::Budget {
                    what: "steps",
                    limit: self.steps,
                })
            }
        }
    }
}

/// A product state: the colons read, and per constraint the sorted
/// positions `(glob index, segment index)` packed into `u64`s.
type State = (u8, Vec<Vec<u64>>);

fn pack(g: usize, p: u32) -> u64 {
    ((g as u64) << 32) | u64::from(p)
}

/// A string in every positive constraint's language and in no negative
/// one's; `Ok(None)` when there is none.
pub(crate) fn witness(
    constraints: &[Constraint<'_>],
    budget: &mut Budget,
) -> Result<Option<String>, Unknown> {
    if constraints.iter().any(|c| c.positive && c.globs.is_empty()) {
        return Ok(None);
    }
    if let Some(found) = by_literals(constraints, budget)? {
        return Ok(found);
    }
    product_walk(constraints, budget)
}

/// When a positive constraint lists only literal strings, the answer is
/// one of them: test each instead of walking the product.
fn by_literals(
    constraints: &[Constraint<'_>],
    budget: &mut Budget,
) -> Result<Option<Option<String>>, Unknown> {
    let all_ignore_case = constraints
        .iter()
        .all(|c| c.globs.iter().all(|g| g.ignore_case));
    let Some(literals) = constraints.iter().find_map(|c| {
        let ok = c.positive && c.globs.iter().all(|g| all_ignore_case || !g.ignore_case);
        ok.then(|| {
            c.globs
                .iter()
                .map(Glob::literal)
                .collect::<Option<Vec<_>>>()
        })
        .flatten()
    }) else {
        return Ok(None);
    };
    for text in literals {
        let cost: usize = constraints
            .iter()
            .flat_map(|c| c.globs.iter())
            .map(Glob::len)
            .sum();
        budget.spend((text.len() as u64 + 1) * (cost as u64 + 1))?;
        let fits = constraints
            .iter()
            .all(|c| c.globs.iter().any(|g| g.matches(&text)) == c.positive);
        if fits {
            return Ok(Some(Some(text)));
        }
    }
    Ok(Some(None))
}

/// Characters worth trying: every character of a pattern (both cases where
/// a pattern ignores case), `:`, and one character no pattern names.
fn alphabet(constraints: &[Constraint<'_>]) -> Vec<char> {
    let mut chars: Vec<char> = Vec::new();
    for g in constraints.iter().flat_map(|c| c.globs.iter()) {
        for s in &g.segs {
            if let Seg::Char(c) = s {
                chars.push(*c);
                if g.ignore_case {
                    chars.push(c.to_ascii_uppercase());
                }
            }
        }
    }
    chars.push(':');
    let ignore_case = constraints
        .iter()
        .any(|c| c.globs.iter().any(|g| g.ignore_case));
    let fresh = "xqzjkvwyabcdefghilmnoprstu0123456789-_."
        .chars()
        .find(|c| !(chars.contains(c) || ignore_case && chars.contains(&c.to_ascii_uppercase())))
        .unwrap_or('~');
    chars.push(fresh);
    chars.sort_unstable();
    chars.dedup();
    // The fresh character first: witnesses read as invented names.
    if let Some(i) = chars.iter().position(|c| *c == fresh) {
        chars.remove(i);
        chars.insert(0, fresh);
    }
    chars
}

fn initial(constraints: &[Constraint<'_>]) -> State {
    let free = constraints
        .iter()
        .all(|c| c.globs.iter().all(|g| g.colons == Colons::Free));
    let seen = if free { ARN_DELIMITERS } else { 0 };
    let sets = constraints
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            let mut tmp = Vec::new();
            for (i, g) in c.globs.iter().enumerate() {
                tmp.clear();
                g.close(0, &mut tmp);
                out.extend(tmp.iter().map(|p| pack(i, *p)));
            }
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect();
    (seen, sets)
}

fn accepting(constraints: &[Constraint<'_>], state: &State) -> bool {
    let (seen, sets) = state;
    constraints.iter().zip(sets).all(|(c, set)| {
        let hit = set.iter().any(|packed| {
            let g = (packed >> 32) as usize;
            let p = (packed & 0xffff_ffff) as usize;
            c.globs.get(g).is_some_and(|g| g.accepts_at(p, *seen))
        });
        hit == c.positive
    })
}

/// Can the state still reach acceptance? A positive constraint with no
/// position left never accepts again.
fn alive(constraints: &[Constraint<'_>], state: &State) -> bool {
    constraints
        .iter()
        .zip(&state.1)
        .all(|(c, set)| !c.positive || !set.is_empty())
}

fn successor(
    constraints: &[Constraint<'_>],
    state: &State,
    ch: char,
    budget: &mut Budget,
) -> Result<State, Unknown> {
    let (seen, sets) = state;
    let mut out = Vec::with_capacity(sets.len());
    let mut tmp = Vec::new();
    let mut cost = 1u64;
    for (c, set) in constraints.iter().zip(sets) {
        let mut next = Vec::new();
        for packed in set {
            let g = (packed >> 32) as usize;
            let p = (packed & 0xffff_ffff) as usize;
            if let Some(glob) = c.globs.get(g) {
                tmp.clear();
                glob.step(p, ch, *seen, &mut tmp);
                next.extend(tmp.iter().map(|q| pack(g, *q)));
            }
        }
        next.sort_unstable();
        next.dedup();
        cost += set.len() as u64 + next.len() as u64;
        out.push(next);
    }
    budget.spend(cost)?;
    let seen = if ch == ':' {
        (seen + 1).min(ARN_DELIMITERS)
    } else {
        *seen
    };
    Ok((seen, out))
}

/// The positions all the states of one walk may hold together (8 bytes
/// each, twice: the queue and the index): about 64 MB.
const MAX_POSITIONS: usize = 4_000_000;

/// The characters `state` can read without a positive constraint dying,
/// when every position of some positive constraint is a literal character
/// (`None` when each has a wildcard that reads anything). Walking a
/// literal ARN then costs one successor per character, not one per
/// character of the alphabet.
fn next_chars(constraints: &[Constraint<'_>], state: &State) -> Option<Vec<char>> {
    let mut allowed: Option<Vec<char>> = None;
    for (c, set) in constraints.iter().zip(&state.1) {
        if !c.positive {
            continue;
        }
        let mut chars = Vec::new();
        let mut wildcard = false;
        for packed in set {
            let g = (packed >> 32) as usize;
            let p = (packed & 0xffff_ffff) as usize;
            let Some(glob) = c.globs.get(g) else { continue };
            match glob.segs.get(p) {
                Some(Seg::Char(ch)) => {
                    chars.push(*ch);
                    if glob.ignore_case {
                        chars.push(ch.to_ascii_uppercase());
                    }
                }
                Some(Seg::One | Seg::Many) => wildcard = true,
                None => {}
            }
        }
        if wildcard {
            continue;
        }
        allowed = Some(match allowed {
            None => chars,
            Some(prev) => prev.into_iter().filter(|ch| chars.contains(ch)).collect(),
        });
    }
    allowed
}

fn product_walk(
    constraints: &[Constraint<'_>],
    budget: &mut Budget,
) -> Result<Option<String>, Unknown> {
    let sigma = alphabet(constraints);
    let start = initial(constraints);
    let mut index: HashMap<State, usize> = HashMap::new();
    // (state, parent, character read to reach it)
    let mut nodes: Vec<(State, usize, char)> = Vec::new();
    let mut queue = VecDeque::new();
    let mut positions = 0usize;
    index.insert(start.clone(), 0);
    nodes.push((start, usize::MAX, ' '));
    queue.push_back(0usize);
    while let Some(i) = queue.pop_front() {
        let state = nodes[i].0.clone();
        if accepting(constraints, &state) {
            let mut text = Vec::new();
            let mut at = i;
            while at != 0 && at != usize::MAX {
                text.push(nodes[at].2);
                at = nodes[at].1;
            }
            return Ok(Some(text.into_iter().rev().collect()));
        }
        let forced = next_chars(constraints, &state);
        for &ch in &sigma {
            if forced.as_ref().is_some_and(|f| !f.contains(&ch)) {
                continue;
            }
            let next = successor(constraints, &state, ch, budget)?;
            if !alive(constraints, &next) || index.contains_key(&next) {
                continue;
            }
            if nodes.len() >= budget.max_states {
                return Err(Unknown::Budget {
                    what: "automaton states",
                    limit: budget.max_states as u64,
                });
            }
            positions += next.1.iter().map(Vec::len).sum::<usize>();
            if positions > MAX_POSITIONS {
                return Err(Unknown::Budget {
                    what: "automaton positions held",
                    limit: MAX_POSITIONS as u64,
                });
            }
            index.insert(next.clone(), nodes.len());
            nodes.push((next, i, ch));
            queue.push_back(nodes.len() - 1);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str, colons: Colons) -> Glob {
        match Glob::parse(text, true, true, colons, false) {
            Parsed::Glob(g) => g,
            Parsed::Variables(v, _) => panic!("variables {v:?}"),
        }
    }

    fn budget() -> Budget {
        Budget {
            steps_left: 10_000_000,
            steps: 10_000_000,
            max_states: 100_000,
        }
    }

    fn solve(pos: &[Glob], neg: &[Glob]) -> Option<String> {
        let mut cs = vec![Constraint {
            globs: pos,
            positive: true,
        }];
        for n in neg {
            cs.push(Constraint {
                globs: std::slice::from_ref(n),
                positive: false,
            });
        }
        witness(&cs, &mut budget()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_widened_action_has_a_witness_outside_the_narrow_one() {
        let wide = g("s3:get*tagging", Colons::Free);
        let narrow = g("s3:getobject*", Colons::Free);
        let w = solve(std::slice::from_ref(&wide), std::slice::from_ref(&narrow));
        let w = w.unwrap_or_default();
        assert!(wide.matches(&w) && !narrow.matches(&w), "{w}");
    }

    #[test]
    fn a_pattern_covered_by_another_has_no_witness() {
        let a = g("s3:getobject", Colons::Free);
        let b = g("s3:get*", Colons::Free);
        assert_eq!(solve(&[a], &[b]), None);
    }

    #[test]
    fn resource_wildcards_do_not_cross_delimiter_colons_but_a_trailing_star_does() {
        let star = g("arn:aws:sqs:*", Colons::Resource);
        let queue = g("arn:aws:sqs:*:111122223333:*", Colons::Resource);
        // The trailing * reaches accounts other than 111122223333.
        let w = solve(&[star], std::slice::from_ref(&queue)).unwrap_or_default();
        assert!(!queue.matches(&w), "{w}");
        let inner = g("arn:aws:sqs:us-east-1?111122223333:jobs", Colons::Resource);
        let w = solve(std::slice::from_ref(&inner), &[]).unwrap_or_default();
        assert_eq!(
            w.matches(':').count(),
            4,
            "? never reads a delimiter colon: {w}"
        );
        assert!(!inner.matches("arn:aws:sqs:us-east-1:111122223333:jobs"));
    }

    #[test]
    fn arn_conditions_need_five_colons() {
        let p = g("arn:aws:sns:*", Colons::ArnCondition);
        assert_eq!(solve(&[p], &[]), None);
        let q = g("arn:aws:sns:*:*:*", Colons::ArnCondition);
        let w = solve(std::slice::from_ref(&q), &[]).unwrap_or_default();
        assert!(q.matches(&w) && w.matches(':').count() >= 5, "{w}");
    }

    #[test]
    fn literal_answers_match_the_walk() {
        let lits = [g("abc", Colons::Free), g("abd", Colons::Free)];
        let star = g("*c", Colons::Free);
        assert_eq!(solve(&lits, &[star]), Some("abd".to_owned()));
    }

    #[test]
    fn a_thousand_stars_stay_within_the_state_cap() {
        let many = "*a".repeat(1000);
        let p = g(&many, Colons::Free);
        let q = g(&"*a".repeat(999), Colons::Free);
        let mut b = budget();
        let r = witness(
            &[
                Constraint {
                    globs: std::slice::from_ref(&q),
                    positive: true,
                },
                Constraint {
                    globs: std::slice::from_ref(&p),
                    positive: false,
                },
            ],
            &mut b,
        );
        match r {
            Ok(Some(w)) => assert!(q.matches(&w) && !p.matches(&w)),
            Ok(None) => panic!("q minus p is not empty"),
            Err(e) => assert!(matches!(e, Unknown::Budget { .. })),
        }
    }
}
