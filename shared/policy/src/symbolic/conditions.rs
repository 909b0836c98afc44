//! Condition keys, symbolically: which states of one context key satisfy
//! a set of condition atoms that must hold and others that must fail.
//!
//! The semantics are the evaluator's (`eval/condition.rs`), restated per
//! state of the key: absent, one value, or a list of values (possibly
//! empty). For one value `v`, every non-Null operator is "some operand
//! matches `v`" (`m(v)`), negated or not. For a list, `ForAllValues`,
//! `ForAnyValue` and the plain operator become "every value" or "some
//! value" requirements on `m`, so a list satisfies the atoms iff the
//! requirements every value shares are satisfiable together with each
//! "some value" requirement in turn. What a value can satisfy is decided
//! per family: text and ARNs by the pattern automata of `glob_set`,
//! numbers and dates by the finitely many regions their thresholds cut the
//! line into, addresses by the regions their CIDR blocks cut the space into.

use std::net::IpAddr;

use super::err::Unknown;
use super::glob_set::{self, Budget, Colons, Constraint, Glob, Parsed};
use crate::document::ConditionValue;
// Values are read exactly as the evaluator reads them: its own readers.
use crate::eval::condition::{in_cidr, parse_cidr, parse_date};
use crate::time::{Timestamp, parse_rfc3339};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, v: T, n: T) -> bool {
        match self {
            Cmp::Eq => v == n,
            Cmp::Lt => v < n,
            Cmp::Le => v <= n,
            Cmp::Gt => v > n,
            Cmp::Ge => v >= n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetOp {
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub base: Base,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Option<SetOp>,
}

/// The operator names the evaluator knows, read by the evaluator's own
/// parser (one list of names: an operator the evaluator learns, this reads
/// too), then mapped onto this module's shapes.
pub(crate) fn parse_operator(name: &str) -> Option<Operator> {
    use crate::eval::condition::{Base as E, Operator as EvalOperator, SetOp as S};
    let op = EvalOperator::parse(name)?;
    let base = match op.base {
        E::StringEquals => Base::StringEquals,
        E::StringEqualsIgnoreCase => Base::StringEqualsIgnoreCase,
        E::StringLike => Base::StringLike,
        E::NumericEquals => Base::Numeric(Cmp::Eq),
        E::NumericLessThan => Base::Numeric(Cmp::Lt),
        E::NumericLessThanEquals => Base::Numeric(Cmp::Le),
        E::NumericGreaterThan => Base::Numeric(Cmp::Gt),
        E::NumericGreaterThanEquals => Base::Numeric(Cmp::Ge),
        E::DateEquals => Base::Date(Cmp::Eq),
        E::DateLessThan => Base::Date(Cmp::Lt),
        E::DateLessThanEquals => Base::Date(Cmp::Le),
        E::DateGreaterThan => Base::Date(Cmp::Gt),
        E::DateGreaterThanEquals => Base::Date(Cmp::Ge),
        E::Bool => Base::Bool,
        E::BinaryEquals => Base::BinaryEquals,
        E::IpAddress => Base::IpAddress,
        E::ArnLike => Base::ArnLike,
        E::Null => Base::Null,
    };
    let set = op.set.map(|s| match s {
        S::ForAllValues => SetOp::ForAllValues,
        S::ForAnyValue => SetOp::ForAnyValue,
    });
    Some(Operator {
        base,
        negated: op.negated,
        if_exists: op.if_exists,
        set,
    })
}

/// "Some operand matches the value": one family per predicate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValuePred {
    Text(Vec<Glob>),
    Number(Cmp, Vec<f64>),
    Date(Cmp, Vec<i64>),
    Ip(Vec<(IpAddr, u8)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    Text,
    Number,
    Date,
    Ip,
}

impl ValuePred {
    pub(crate) fn family(&self) -> Family {
        match self {
            ValuePred::Text(_) => Family::Text,
            ValuePred::Number(..) => Family::Number,
            ValuePred::Date(..) => Family::Date,
            ValuePred::Ip(_) => Family::Ip,
        }
    }

    fn holds(&self, value: &str) -> bool {
        match self {
            ValuePred::Text(globs) => globs.iter().any(|g| g.matches(value)),
            ValuePred::Number(cmp, ns) => value
                .trim()
                .parse::<f64>()
                .is_ok_and(|v| ns.iter().any(|n| cmp.holds(v, *n))),
            ValuePred::Date(cmp, ds) => {
                parse_date(value).is_some_and(|v| ds.iter().any(|d| cmp.holds(v, *d)))
            }
            ValuePred::Ip(nets) => value
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| nets.iter().any(|(n, l)| in_cidr(ip, *n, *l))),
        }
    }
}

/// One condition of a statement: an operator on a key's values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CondAtom {
    pub op: Operator,
    /// Unused for Null.
    pub pred: ValuePred,
    /// Null's operands: does one say "true" (absent), one "false" (present)?
    pub null_true: bool,
    pub null_false: bool,
}

/// Compiles one operator's values. Values holding policy variables are
/// approximated as `widen` says: `Some(true)` widens what the operands
/// match (a variable read as `*`), `Some(false)` narrows it (the value
/// dropped), `None` refuses. `Ok` carries the variables approximated;
/// `Err` the ones that could not be.
pub(crate) fn compile_atom(
    op: Operator,
    values: &[ConditionValue],
    variables: bool,
    widen: Option<bool>,
) -> Result<(CondAtom, Vec<String>), Vec<String>> {
    let mut st = Operands {
        vars: Vec::new(),
        refused: false,
        globs: Vec::new(),
        widen,
        variables,
    };
    let texts: Vec<String> = values
        .iter()
        .map(|v| v.as_iam_string().into_owned())
        .collect();
    let mut null = (false, false);
    let pred = match op.base {
        Base::Numeric(cmp) => {
            let mut ns = Vec::new();
            for t in &texts {
                if st.has_var(t) {
                    st.other_var(t);
                } else if let Ok(n) = t.trim().parse::<f64>() {
                    ns.push(n);
                }
            }
            ValuePred::Number(cmp, ns)
        }
        Base::Date(cmp) => {
            let mut ds = Vec::new();
            for t in &texts {
                if st.has_var(t) {
                    st.other_var(t);
                } else if let Some(d) = parse_date(t) {
                    ds.push(d);
                }
            }
            ValuePred::Date(cmp, ds)
        }
        Base::IpAddress => {
            let mut nets = Vec::new();
            for t in &texts {
                if st.has_var(t) {
                    st.other_var(t);
                } else if let Some(n) = parse_cidr(t) {
                    nets.push(n);
                }
            }
            ValuePred::Ip(nets)
        }
        Base::Bool | Base::Null => {
            for t in &texts {
                match t.to_ascii_lowercase().as_str() {
                    "true" => {
                        null.0 = true;
                        st.text("true", false, Colons::Free, true);
                    }
                    "false" => {
                        null.1 = true;
                        st.text("false", false, Colons::Free, true);
                    }
                    _ => {}
                }
            }
            ValuePred::Text(std::mem::take(&mut st.globs))
        }
        Base::StringLike => {
            texts
                .iter()
                .for_each(|t| st.text(t, true, Colons::Free, false));
            ValuePred::Text(std::mem::take(&mut st.globs))
        }
        Base::ArnLike => {
            texts
                .iter()
                .for_each(|t| st.text(t, true, Colons::ArnCondition, false));
            ValuePred::Text(std::mem::take(&mut st.globs))
        }
        Base::StringEquals | Base::BinaryEquals => {
            texts
                .iter()
                .for_each(|t| st.text(t, false, Colons::Free, false));
            ValuePred::Text(std::mem::take(&mut st.globs))
        }
        Base::StringEqualsIgnoreCase => {
            texts
                .iter()
                .for_each(|t| st.text(t, false, Colons::Free, true));
            ValuePred::Text(std::mem::take(&mut st.globs))
        }
    };
    if st.refused {
        return Err(st.vars);
    }
    let atom = CondAtom {
        op,
        pred,
        null_true: null.0,
        null_false: null.1,
    };
    Ok((atom, st.vars))
}

/// The operands compiled so far, and the variables met.
struct Operands {
    vars: Vec<String>,
    refused: bool,
    globs: Vec<Glob>,
    widen: Option<bool>,
    variables: bool,
}

impl Operands {
    fn has_var(&self, t: &str) -> bool {
        self.variables && t.contains("${")
    }

    fn text(&mut self, t: &str, wildcards: bool, colons: Colons, ignore_case: bool) {
        match Glob::parse(t, wildcards, self.variables, colons, ignore_case) {
            Parsed::Glob(g) => self.globs.push(g),
            Parsed::Variables(v, widened) => {
                self.vars.extend(v);
                match (self.widen, widened) {
                    (Some(true), Some(g)) => self.globs.push(g),
                    (Some(false), _) => {}
                    _ => self.refused = true,
                }
            }
        }
    }

    /// A number, date or address written with a variable.
    fn other_var(&mut self, t: &str) {
        self.vars.push(t.to_owned());
        if self.widen != Some(false) {
            self.refused = true;
        }
    }
}

/// A state of one context key in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyState {
    Absent,
    Single(String),
    Multi(Vec<String>),
}

/// What a key may be, beyond the atoms: derived keys are never absent; a
/// stranger's identifying keys hold one value unlike any the policy names.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyRules {
    pub never_absent: bool,
    pub single: bool,
    /// Every value must match none of these.
    pub excluded: Vec<Glob>,
}

/// A state of the key satisfying every `(atom, must_hold)`, preferring
/// absent, then one value, then a list; `Ok(None)` when none exists.
pub(crate) fn solve_key(
    atoms: &[(&CondAtom, bool)],
    rules: &KeyRules,
    budget: &mut Budget,
) -> Result<Option<KeyState>, Unknown> {
    budget.spend(atoms.len() as u64 + 1)?;
    // Absent.
    if !rules.never_absent && !rules.single && atoms.iter().all(|(a, want)| absent(a) == *want) {
        return Ok(Some(KeyState::Absent));
    }
    // One value: each atom fixes m(v) for its predicate.
    let mut lits: Vec<(&ValuePred, bool)> = Vec::new();
    let mut single_ok = true;
    for (a, want) in atoms {
        if a.op.base == Base::Null {
            single_ok &= a.null_false == *want;
        } else {
            lits.push((&a.pred, *want != a.op.negated));
        }
    }
    if single_ok && let Some(v) = realize(&lits, &rules.excluded, budget)? {
        return Ok(Some(KeyState::Single(v)));
    }
    if rules.single {
        return Ok(None);
    }
    // A list: what every value shares, and what some value must do.
    let mut every: Vec<(&ValuePred, bool)> = Vec::new();
    let mut some: Vec<(&ValuePred, bool)> = Vec::new();
    let (mut may_be_empty, mut may_be_full) = (true, true);
    for (a, want) in atoms {
        let neg = a.op.negated;
        if a.op.base == Base::Null {
            // Null holds iff an operand names the list's emptiness.
            may_be_empty &= a.null_true == *want;
            may_be_full &= a.null_false == *want;
            continue;
        }
        let (universal, bit) = match a.op.set {
            Some(SetOp::ForAllValues) if *want => (true, !neg),
            Some(SetOp::ForAllValues) => (false, neg),
            Some(SetOp::ForAnyValue) if *want => (false, !neg),
            Some(SetOp::ForAnyValue) => (true, neg),
            None => {
                let exists = *want != neg;
                (!exists, exists)
            }
        };
        if universal {
            every.push((&a.pred, bit));
        } else {
            some.push((&a.pred, bit));
        }
    }
    if may_be_full {
        let mut values = Vec::new();
        let mut ok = true;
        if some.is_empty() {
            match realize(&every, &rules.excluded, budget)? {
                Some(v) => values.push(v),
                None => ok = false,
            }
        }
        for s in &some {
            if !ok {
                break;
            }
            let mut lits = every.clone();
            lits.push(*s);
            match realize(&lits, &rules.excluded, budget)? {
                Some(v) => values.push(v),
                None => ok = false,
            }
        }
        if ok {
            values.dedup();
            return Ok(Some(KeyState::Multi(values)));
        }
    }
    if may_be_empty && some.is_empty() {
        return Ok(Some(KeyState::Multi(Vec::new())));
    }
    Ok(None)
}

/// Does the atom hold when the key is absent?
fn absent(a: &CondAtom) -> bool {
    if a.op.base == Base::Null {
        return a.null_true;
    }
    a.op.if_exists
        || match a.op.set {
            Some(SetOp::ForAllValues) => true,
            Some(SetOp::ForAnyValue) => false,
            None => a.op.negated,
        }
}

/// A value `v` with `pred(v) == bit` for every literal and matching no
/// excluded pattern.
fn realize(
    lits: &[(&ValuePred, bool)],
    excluded: &[Glob],
    budget: &mut Budget,
) -> Result<Option<String>, Unknown> {
    let family = lits.first().map(|(p, _)| p.family());
    if lits.iter().any(|(p, _)| Some(p.family()) != family) {
        return Err(Unknown::unsupported(
            "one condition key compared as two kinds of value (text, number, date, address)",
            "condition",
        ));
    }
    let candidates = match family {
        None | Some(Family::Text) => {
            let mut cs: Vec<Constraint<'_>> = lits
                .iter()
                .filter_map(|(p, bit)| match p {
                    ValuePred::Text(globs) => Some(Constraint {
                        globs,
                        positive: *bit,
                    }),
                    _ => None,
                })
                .collect();
            if !excluded.is_empty() {
                cs.push(Constraint {
                    globs: excluded,
                    positive: false,
                });
            }
            // An unconstrained value reads as an invented one, not "".
            if !cs.iter().any(|c| c.positive) {
                let v = "rolegate-any";
                if cs.iter().all(|c| !c.globs.iter().any(|g| g.matches(v))) {
                    return Ok(Some(v.to_owned()));
                }
            }
            return glob_set::witness(&cs, budget);
        }
        Some(Family::Number) => number_candidates(lits),
        Some(Family::Date) => date_candidates(lits),
        Some(Family::Ip) => ip_candidates(lits),
    };
    budget.spend((candidates.len() * (lits.len() + 1)) as u64)?;
    let excluded_ok = |v: &str| !excluded.iter().any(|g| g.matches(v));
    Ok(candidates
        .into_iter()
        .find(|v| lits.iter().all(|(p, bit)| p.holds(v) == *bit) && excluded_ok(v)))
}

/// The points that represent every region the thresholds cut the line
/// into: each threshold, its neighbours, the midpoints, the infinities,
/// and a value that is no number.
fn number_candidates(lits: &[(&ValuePred, bool)]) -> Vec<String> {
    let mut ts: Vec<f64> = lits
        .iter()
        .flat_map(|(p, _)| match p {
            ValuePred::Number(_, ns) => ns.clone(),
            _ => Vec::new(),
        })
        .filter(|n| !n.is_nan())
        .collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    let mut out: Vec<f64> = Vec::new();
    out.extend(ts.iter().copied());
    out.extend(ts.iter().flat_map(|t| [t + 1.0, t - 1.0]));
    out.extend(ts.windows(2).map(|w| w[0] / 2.0 + w[1] / 2.0));
    out.extend(ts.iter().flat_map(|t| [t.next_up(), t.next_down()]));
    out.extend([0.0, f64::INFINITY, f64::NEG_INFINITY]);
    let mut texts: Vec<String> = out.into_iter().map(|v| format!("{v}")).collect();
    texts.push("rolegate-not-a-number".to_owned());
    texts
}

fn date_candidates(lits: &[(&ValuePred, bool)]) -> Vec<String> {
    let mut ts: Vec<i64> = lits
        .iter()
        .flat_map(|(p, _)| match p {
            ValuePred::Date(_, ds) => ds.clone(),
            _ => Vec::new(),
        })
        .collect();
    ts.sort_unstable();
    ts.dedup();
    let earliest = parse_rfc3339("0000-01-01T00:00:00Z").unwrap_or(0);
    let mut out: Vec<i64> = Vec::new();
    out.extend(ts.iter().copied());
    out.extend(
        ts.iter()
            .flat_map(|t| [t.saturating_add(86_400), t.saturating_sub(86_400)]),
    );
    out.extend(
        ts.iter()
            .flat_map(|t| [t.saturating_add(1), t.saturating_sub(1)]),
    );
    out.extend([earliest, 0, i64::MAX]);
    let mut texts: Vec<String> = out
        .into_iter()
        .filter_map(|v| {
            let rfc = Timestamp::from_epoch_seconds(v).as_str().to_owned();
            if parse_date(&rfc) == Some(v) {
                Some(rfc)
            } else if v >= 0 {
                Some(v.to_string())
            } else {
                None
            }
        })
        .collect();
    texts.push("rolegate-not-a-date".to_owned());
    texts
}

/// One address per region: for each block (and each whole address space),
/// an address inside it and inside no smaller block.
fn ip_candidates(lits: &[(&ValuePred, bool)]) -> Vec<String> {
    let nets: Vec<(IpAddr, u8)> = lits
        .iter()
        .flat_map(|(p, _)| match p {
            ValuePred::Ip(n) => n.clone(),
            _ => Vec::new(),
        })
        .collect();
    let mut out = Vec::new();
    for v6 in [false, true] {
        let bits: u8 = if v6 { 128 } else { 32 };
        let mut blocks: Vec<(u128, u8)> = nets
            .iter()
            .filter(|(ip, _)| ip.is_ipv6() == v6)
            .map(|(ip, len)| (mask(to_u128(*ip), *len, bits), *len))
            .collect();
        blocks.sort_unstable();
        blocks.dedup();
        let mut regions = blocks.clone();
        regions.push((0, 0));
        for (net, len) in regions {
            let inner: Vec<(u128, u8)> = blocks
                .iter()
                .copied()
                .filter(|(n, l)| *l > len && mask(*n, len, bits) == net)
                .collect();
            if let Some(a) = find_outside(net, len, bits, &inner, 0) {
                out.push(from_u128(a, v6).to_string());
            }
        }
    }
    out.push("rolegate-not-an-address".to_owned());
    out
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(a: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(a.into())
    } else {
        IpAddr::V4(u32::try_from(a).unwrap_or(0).into())
    }
}

fn mask(a: u128, len: u8, bits: u8) -> u128 {
    if len == 0 {
        return 0;
    }
    let width = u32::from(bits);
    let keep = u32::from(len.min(bits));
    let ones: u128 = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    a & (ones << (width - keep)) & ones
}

/// An address in `net/len` outside every block of `inner`.
fn find_outside(net: u128, len: u8, bits: u8, inner: &[(u128, u8)], depth: u8) -> Option<u128> {
    let hits: Vec<(u128, u8)> = inner
        .iter()
        .copied()
        .filter(|(n, l)| {
            let m = (*l).min(len);
            mask(*n, m, bits) == mask(net, m, bits)
        })
        .collect();
    if hits.is_empty() {
        return Some(net);
    }
    if hits.iter().any(|(_, l)| *l <= len) || len >= bits || depth >= bits {
        return None;
    }
    let half = 1u128 << (bits - len - 1);
    find_outside(net, len + 1, bits, &hits, depth + 1)
        .or_else(|| find_outside(net | half, len + 1, bits, &hits, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget {
            steps_left: 1_000_000,
            steps: 1_000_000,
            max_states: 10_000,
        }
    }

    fn atom(op: &str, values: &[&str]) -> CondAtom {
        let op = parse_operator(op).unwrap_or_else(|| panic!("operator {op}"));
        let values: Vec<ConditionValue> = values.iter().map(|v| (*v).into()).collect();
        compile_atom(op, &values, true, None)
            .map(|(a, _)| a)
            .unwrap_or_else(|v| panic!("variables {v:?}"))
    }

    fn solve(atoms: &[(&CondAtom, bool)]) -> Option<KeyState> {
        solve_key(atoms, &KeyRules::default(), &mut budget()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn numbers_between_two_thresholds_are_found() {
        let gt = atom("NumericGreaterThan", &["10"]);
        let lt = atom("NumericLessThan", &["11"]);
        let Some(KeyState::Single(v)) = solve(&[(&gt, true), (&lt, true)]) else {
            panic!("10 < v < 11 has a value")
        };
        let v: f64 = v.parse().unwrap_or(0.0);
        assert!(v > 10.0 && v < 11.0);
        // No one value is both 10 and above it; a list holding 10 and
        // 11 satisfies both, as the evaluator reads a multivalued key.
        let eq = atom("NumericEquals", &["10"]);
        let Some(KeyState::Multi(vs)) = solve(&[(&gt, true), (&eq, true)]) else {
            panic!("a list of two values")
        };
        assert_eq!(vs.len(), 2);
        let all_eq = atom("ForAllValues:NumericEquals", &["10"]);
        let all_gt = atom("ForAllValues:NumericGreaterThan", &["10"]);
        let any_eq = atom("ForAnyValue:NumericEquals", &["10"]);
        assert_eq!(
            solve(&[(&all_eq, true), (&all_gt, true), (&any_eq, true)]),
            None
        );
    }

    #[test]
    fn dates_before_a_deadline_and_not_before_it_conflict() {
        let before = atom("DateLessThan", &["2027-06-30T00:00:00Z"]);
        let after = atom("DateGreaterThanEquals", &["2027-06-30T00:00:00Z"]);
        let all_before = atom("ForAllValues:DateLessThan", &["2027-06-30T00:00:00Z"]);
        let any_after = atom(
            "ForAnyValue:DateGreaterThanEquals",
            &["2027-06-30T00:00:00Z"],
        );
        assert_eq!(solve(&[(&all_before, true), (&any_after, true)]), None);
        let Some(KeyState::Single(v)) = solve(&[(&before, false), (&after, true)]) else {
            panic!("a date on or after the deadline")
        };
        assert!(parse_date(&v).is_some_and(|d| d >= parse_date("2027-06-30").unwrap_or(0)));
    }

    #[test]
    fn an_address_outside_a_block_but_inside_a_wider_one_is_found() {
        let wide = atom("IpAddress", &["10.0.0.0/8"]);
        let narrow = atom("NotIpAddress", &["10.1.0.0/16"]);
        let Some(KeyState::Single(v)) = solve(&[(&wide, true), (&narrow, true)]) else {
            panic!("an address in 10/8 outside 10.1/16")
        };
        assert!(wide.pred.holds(&v) && !narrow.pred.holds(&v), "{v}");
        let all = atom("NotIpAddress", &["0.0.0.0/0", "::/0"]);
        assert_eq!(
            solve(&[(&all, true), (&atom("IpAddress", &["::/0"]), true)]),
            None
        );
    }

    #[test]
    fn bool_is_a_case_insensitive_literal() {
        let t = atom("Bool", &["true"]);
        let Some(KeyState::Single(v)) = solve(&[(&t, true)]) else {
            panic!("true")
        };
        assert!(v.eq_ignore_ascii_case("true"));
        // Absent fails Bool, and so does "false".
        assert!(matches!(solve(&[(&t, false)]), Some(KeyState::Absent)));
    }

    #[test]
    fn null_decides_presence_and_if_exists_holds_when_absent() {
        let null = atom("Null", &["true"]);
        let like = atom("StringLikeIfExists", &["a*"]);
        assert_eq!(
            solve(&[(&null, true), (&like, true)]),
            Some(KeyState::Absent)
        );
        let present = atom("Null", &["false"]);
        let Some(KeyState::Single(v)) = solve(&[(&present, true), (&like, false)]) else {
            panic!("a present value not like a*")
        };
        assert!(!v.starts_with('a'));
    }

    #[test]
    fn set_operators_need_a_list_when_one_value_cannot_do() {
        // Some value like "a*" and some value not like it: only a list of two.
        let any = atom("ForAnyValue:StringLike", &["a*"]);
        let all = atom("ForAllValues:StringLike", &["a*"]);
        let Some(KeyState::Multi(vs)) = solve(&[(&any, true), (&all, false)]) else {
            panic!("a list with one value of each kind")
        };
        assert!(vs.iter().any(|v| v.starts_with('a')) && vs.iter().any(|v| !v.starts_with('a')));
        // ForAllValues holds on an absent key; ForAnyValue does not.
        assert_eq!(
            solve(&[(&all, true), (&any, false)]),
            Some(KeyState::Absent)
        );
    }

    #[test]
    fn arn_like_compares_each_component() {
        let arn = atom("ArnLike", &["arn:aws:s3:::bucket-*"]);
        let not = atom("ArnNotLike", &["arn:aws:s3:::bucket-a*"]);
        let Some(KeyState::Single(v)) = solve(&[(&arn, true), (&not, true)]) else {
            panic!("a bucket ARN outside bucket-a*")
        };
        assert!(v.starts_with("arn:aws:s3:::bucket-") && !v.starts_with("arn:aws:s3:::bucket-a"));
    }

    #[test]
    fn mixing_value_kinds_on_one_key_is_unknown() {
        let n = atom("NumericEquals", &["1"]);
        let s = atom("StringEquals", &["1"]);
        let r = solve_key(
            &[(&n, true), (&s, true)],
            &KeyRules::default(),
            &mut budget(),
        );
        assert!(matches!(r, Err(Unknown::Unsupported { .. })));
    }
}
