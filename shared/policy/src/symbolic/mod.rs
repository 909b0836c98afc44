//! Deciding access symbolically: does a candidate set of policies allow any
//! request a baseline set does not? Offline, exact on its fragment, with a
//! counterexample the evaluator confirms.
//!
//! The least-privilege proof (`eval::proof`) sends concrete probes through
//! the evaluator, and a widening no probe touches goes unseen (issue 18:
//! `s3:Get*Tagging` on `arn:aws:s3:::other-*`). [`compare`] answers the
//! question for every request at once:
//!
//! - [`Verdict::NoNewAccess`]: no request is allowed by the candidate and
//!   not by the baseline;
//! - [`Verdict::NewAccess`]: here is one ([`Counterexample`]), and
//!   `eval::evaluate` allows it under the candidate and not under the
//!   baseline: every counterexample is run through the evaluator before it
//!   is returned;
//! - [`Verdict::Unknown`]: a construct outside the fragment, the budget,
//!   or a counterexample the evaluator does not confirm. Never a guess, and
//!   never "no new access" outside the fragment.
//!
//! **The fragment.** Allow and Deny; Action/NotAction, Resource/NotResource
//! with `*` and `?` under the evaluator's rules (actions case-insensitive,
//! resources case-sensitive, wildcards kept inside the first five ARN
//! components except a trailing `*`); the String, Arn, Bool, Binary, Date,
//! Numeric, IpAddress and Null operators with IfExists, ForAllValues and
//! ForAnyValue, on any key, with single- and multi-valued keys; a role's
//! identity policies with an optional permissions boundary on each side.
//! Policy variables are approximated soundly (see below). Outside it: a
//! Principal or NotPrincipal in an identity or boundary policy, an
//! operator the evaluator does not know, one key compared as two kinds of
//! value (text and number, say), non-ASCII text in an action pattern or a
//! case-insensitive comparison. Each answers [`Unknown::Unsupported`]
//! naming the construct and where it is.
//!
//! **Technique, and why.** Each statement is a conjunction of atoms over
//! independent dimensions of the request (action, resource, one per
//! condition key); `search` walks the choice of which candidate Allow
//! matches and which atom makes each baseline Allow (or candidate Deny)
//! fail, DPLL-style, pruning every statement whose atoms cannot hold
//! together with the request built so far. A dimension's question is
//! decided exactly: patterns by a product of position automata with a
//! shortest witness (`glob_set`), numbers and dates by the regions their
//! thresholds cut the line into, addresses by CIDR regions, keys' absence,
//! lists and set operators by `conditions`. The alternatives, measured
//! (`docs/BENCHMARKS.md`, "Symbolic comparison", has the figures and how):
//! - `regex-automata` dense DFAs: building the DFA of one literal action
//!   took 28 µs, of the two action patterns 255 µs, of the three
//!   glue fixture resources 467 µs, before any question is asked, where a
//!   whole fixture comparison here takes 14-400 µs; `*a` repeated 1,000
//!   times took 0.7 s for one pattern. It offers no intersection or
//!   complement, so "in these, not in those" would still need a product
//!   built by hand, and the ARN colon rule would have to be encoded into
//!   each regex. The lazily built product of position sets visits only
//!   the states one question reaches, walks a literal ARN one character at
//!   a time, and stops at a state cap.
//! - A SAT crate (`varisat` 0.2.2, `splr` 0.17.2 and `batsat` 0.6.0 are on
//!   the registry): the Boolean skeleton of a 50-statement self-comparison
//!   (which statement matches, which atom fails), with no theory at all,
//!   took varisat 2.7 ms per solve; the hard part is the string and
//!   interval theory, which the solver would have to call back into lazily
//!   (batsat offers a theory interface for that), while the skeleton is
//!   shallow enough for the search here, which prunes with the theory as
//!   it goes and takes 0.1-0.5 ms for the same 50 statements.
//! - A bundled SMT solver: an external binary or a C++ build, excluded.
//!
//! **Policy variables** (`${aws:username}`) are approximated in the sound
//! direction. A statement whose match widens the candidate's access (its
//! Allows, the baseline's Denies) reads a variable as `*` where no ARN
//! delimiter colon can fall inside its value (plain text, or after five
//! literal colons), drops a variable's value from a negated operator or a
//! NotResource, and else loses the atom; a statement whose match narrows it
//! (the candidate's Denies, the baseline's Allows) is dropped. "No new
//! access" stays true; a counterexample found through an approximation is
//! kept only if the evaluator confirms it, else the answer is
//! [`Unknown::Unconfirmed`] naming the variables.
//!
//! **Bounds.** [`Limits`]: a step budget shared by the whole comparison
//! (every statement examined, every automaton transition, every candidate
//! value costs steps), caps on the product states one automaton walk may
//! hold and on the positions they hold together (about 64 MB), a cap on
//! statements and on a pattern's length. Past any of them
//! the answer is [`Unknown::Budget`]. With the defaults, in a debug build
//! (`tests/symbolic_cases.rs`): 10,000 statements against themselves are
//! decided (no new access) in 0.3 s and with one widened (new access) in
//! 2.5 s, 31 MB at most; two 10,000-character patterns and `*` a thousand
//! times stop at the step budget in 0.7-2.8 s, under 20 MB. The golden
//! fixtures take microseconds.
//!
//! **Shortcuts, each sound.** When the baseline has no Deny and no
//! boundary it allows whatever one of its Allows matches, so a candidate
//! Allow it holds verbatim (Sid aside) opens nothing and is not searched;
//! and an Allow whose every literal is asserted ends a branch at once.
//!
//! This module uses the policy model (`crate::document`) and the evaluator
//! (`crate::eval`, to confirm counterexamples), nothing from the builders
//! or the reconcile engine: the proof, the guard and lint can call it.

mod conditions;
mod err;
mod glob_set;
mod search;

pub use err::Unknown;

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Value, json};

use crate::document::{
    ConditionValue, Effect, Polarity, PolicyDocument, Principal, PrincipalType, Statement,
};
use crate::eval::{CompiledPolicy, ContextValue, Decision, PolicySet, Request, evaluate};
use conditions::{KeyRules, KeyState};
use glob_set::{Budget, Colons, Glob, Parsed};
use search::{Atom, AtomKind, Boundary, Dim, Lit, Problem, Side, Stmt};

/// The principal a counterexample is made by, unless [`Options`] says
/// otherwise: a role session in an example account.
pub const DEFAULT_PRINCIPAL: &str =
    "arn:aws:sts::111122223333:assumed-role/rolegate-compare/counterexample";

/// A role's permissions: its identity policies (inline and attached) and
/// its permissions boundary. The spec's intended set is expressed the same
/// way: any documents that allow exactly what the spec means (the
/// builder's output, or a synthetic document as [`check_not_granted`]
/// makes).
#[derive(Debug, Clone, Copy, Default)]
pub struct Permissions<'a> {
    pub identity: &'a [&'a PolicyDocument],
    pub boundary: Option<&'a PolicyDocument>,
}

/// How much work one comparison may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Steps shared by the whole comparison (statements examined,
    /// automaton transitions, candidate values tried).
    pub max_steps: u64,
    /// Product states one automaton walk may hold.
    pub max_states: usize,
    /// Statements over both sides.
    pub max_statements: usize,
    /// Characters in one pattern or condition value.
    pub max_pattern_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 5_000_000,
            max_states: 20_000,
            max_statements: 50_000,
            max_pattern_chars: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Who makes the counterexample request (an ARN with an account).
    pub principal: String,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            principal: DEFAULT_PRINCIPAL.to_owned(),
            limits: Limits::default(),
        }
    }
}

/// A request the candidate allows and the baseline does not, as the
/// evaluator decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterexample {
    /// The caller's ARN; empty for an anonymous caller ([`check_no_public`]).
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub context: Vec<(String, ContextValue)>,
    /// The candidate's statements that allowed it (`identity[0] Statement[1]`).
    pub allowed_by: Vec<String>,
    /// The baseline's decision on it (never `Allowed`).
    pub baseline: Decision,
}

impl Counterexample {
    /// The request, ready for `eval::evaluate` or `rolegate simulate`.
    pub fn request(&self) -> Request {
        let mut req = if self.principal.is_empty() {
            Request {
                action: self.action.clone(),
                resource: self.resource.clone(),
                ..Request::default()
            }
        } else {
            Request::new(&self.principal, &self.action, &self.resource)
        };
        req.context = self.context.clone();
        req
    }

    /// `{"request": ..., "allowedBy": [...], "baselineDecision": ...}`, the
    /// request in the case-file form `rolegate simulate` reads (camelCase
    /// elsewhere, as the CLI's JSON is).
    pub fn to_value(&self) -> Value {
        let context: serde_json::Map<String, Value> = self
            .context
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    ContextValue::Single(s) => json!(s),
                    ContextValue::Multi(m) => json!(m),
                };
                (k.clone(), v)
            })
            .collect();
        let mut request = json!({
            "action": self.action,
            "resource": self.resource,
            "context": context,
        });
        if !self.principal.is_empty() {
            request["principal"] = json!(self.principal);
        }
        json!({
            "request": request,
            "allowedBy": self.allowed_by,
            "baselineDecision": self.baseline.as_str(),
        })
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.action, self.resource)?;
        if !self.context.is_empty() {
            let parts: Vec<String> = self
                .context
                .iter()
                .map(|(k, v)| match v {
                    ContextValue::Single(s) => format!("{k}={s:?}"),
                    ContextValue::Multi(m) => format!("{k}={m:?}"),
                })
                .collect();
            write!(f, " with {}", parts.join(", "))?;
        }
        if !self.principal.is_empty() {
            write!(f, " by {}", self.principal)?;
        } else {
            write!(f, " by an anonymous caller")?;
        }
        write!(
            f,
            ": allowed by {}, {} by the baseline",
            self.allowed_by.join(", "),
            self.baseline.as_str()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    NoNewAccess,
    NewAccess(Box<Counterexample>),
    Unknown(Unknown),
}

impl Verdict {
    /// `no_new_access`, `new_access` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::NoNewAccess => "no_new_access",
            Verdict::NewAccess(_) => "new_access",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

/// Does `candidate` allow any request `baseline` does not?
pub fn compare(baseline: &Permissions<'_>, candidate: &Permissions<'_>) -> Verdict {
    compare_with(baseline, candidate, &Options::default())
}

pub fn compare_with(
    baseline: &Permissions<'_>,
    candidate: &Permissions<'_>,
    options: &Options,
) -> Verdict {
    match decide(baseline, candidate, options) {
        Ok(v) => v,
        Err(u) => Verdict::Unknown(u),
    }
}

/// Does `policy` grant any of `actions` on any of `resources` (patterns,
/// as in a policy; an empty list means every one)? `NewAccess` carries a
/// request it grants. The question is [`compare`] against a baseline that
/// allows everything but those.
pub fn check_not_granted(
    policy: &Permissions<'_>,
    actions: &[String],
    resources: &[String],
    options: &Options,
) -> Verdict {
    let all = |v: &[String]| {
        if v.is_empty() {
            vec!["*".to_owned()]
        } else {
            v.to_vec()
        }
    };
    let mut deny = Statement::allow(all(actions), all(resources));
    deny.effect = Effect::Deny;
    let everything_else = PolicyDocument::new(vec![
        Statement::allow(vec!["*".into()], vec!["*".into()]),
        deny,
    ]);
    let identity = [&everything_else];
    let baseline = Permissions {
        identity: &identity,
        boundary: None,
    };
    compare_with(&baseline, policy, options)
}

fn decide(
    baseline: &Permissions<'_>,
    candidate: &Permissions<'_>,
    options: &Options,
) -> Result<Verdict, Unknown> {
    let mut c = Compiler::new(options.limits, Mode::Identity);
    c.covered = verbatim_allows(baseline);
    let cand = c.side(candidate, Role::Candidate, "candidate")?;
    let base = c.side(baseline, Role::Baseline, "baseline")?;
    c.problem.candidate = cand;
    c.problem.baseline = base;
    let found = run(&c.problem, &options.limits)?;
    let Some(found) = found else {
        return Ok(Verdict::NoNewAccess);
    };
    let cx = counterexample(&options.principal, found);
    let req = cx.request();
    let cand_eval = evaluate(&policy_set(candidate), &req);
    let base_eval = evaluate(&policy_set(baseline), &req);
    if cand_eval.decision != Decision::Allowed || base_eval.decision == Decision::Allowed {
        return Err(unconfirmed(
            &c.variables,
            &format!(
                "the candidate's decision is {} and the baseline's {} on {}",
                cand_eval.decision.as_str(),
                base_eval.decision.as_str(),
                cx
            ),
        ));
    }
    Ok(Verdict::NewAccess(Box::new(Counterexample {
        allowed_by: allowed_by(&cand_eval.matched),
        baseline: base_eval.decision,
        ..cx
    })))
}

/// Does a trust or resource policy allow a caller outside every account it
/// names: a principal of `*` (or a NotPrincipal) without a condition that
/// ties the caller to a known account, organisation, ARN or network?
/// `NewAccess` carries an anonymous caller's request that the evaluator
/// allows under the policy alone; its context gives the identifying keys
/// values no account the policy names could have.
///
/// The identifying keys: `aws:PrincipalAccount`, `aws:PrincipalArn`,
/// `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:userid` (always
/// present for a caller, with a value the policy does not name) and
/// `aws:SourceAccount`, `aws:SourceOwner`, `aws:SourceArn`,
/// `aws:SourceOrgID`, `aws:SourceOrgPaths`, `aws:SourceVpc`,
/// `aws:SourceVpce` (absent for a direct call, else a value the policy does
/// not name). `sts:ExternalId` and `aws:SourceIp` do not narrow: anyone who
/// knows the one or sits at the other qualifies.
pub fn check_no_public(policy: &PolicyDocument, options: &Options) -> Verdict {
    match decide_public(policy, options) {
        Ok(v) => v,
        Err(u) => Verdict::Unknown(u),
    }
}

fn decide_public(policy: &PolicyDocument, options: &Options) -> Result<Verdict, Unknown> {
    let mut c = Compiler::new(options.limits, Mode::Public(known_names(policy)));
    let variables = policy.version.as_deref() == Some(crate::document::POLICY_VERSION);
    let mut side = Side::default();
    for (i, s) in policy.statements().iter().enumerate() {
        let location = format!("Statement[{i}]");
        let approx = match s.effect {
            Effect::Allow => Approx::Over,
            Effect::Deny => Approx::Under,
        };
        if let Some(stmt) = c.statement(s, variables, approx, &location)? {
            match s.effect {
                Effect::Allow => side.allows.push(stmt),
                Effect::Deny => side.denies.push(stmt),
            }
        }
    }
    c.problem.candidate = side;
    let Some(found) = run(&c.problem, &options.limits)? else {
        return Ok(Verdict::NoNewAccess);
    };
    let cx = counterexample("", found);
    let set = PolicySet {
        resource: Some(CompiledPolicy::compile(policy, "policy")),
        ..PolicySet::default()
    };
    let eval = evaluate(&set, &cx.request());
    if eval.decision != Decision::Allowed {
        return Err(unconfirmed(
            &c.variables,
            &format!(
                "the policy's decision is {} on {cx}",
                eval.decision.as_str()
            ),
        ));
    }
    Ok(Verdict::NewAccess(Box::new(Counterexample {
        allowed_by: allowed_by(&eval.matched),
        baseline: Decision::ImplicitlyDenied,
        ..cx
    })))
}

/// The baseline's Allow statements, spelt without their Sid, when the
/// baseline has no Deny and no boundary: it then allows whatever one of
/// them matches, so a candidate Allow written the same way (policy
/// variables and all) opens nothing and need not be searched.
fn verbatim_allows(baseline: &Permissions<'_>) -> HashSet<String> {
    let docs = || baseline.identity.iter().chain(baseline.boundary.iter());
    let plain = baseline.boundary.is_none()
        && docs().all(|d| d.statements().iter().all(|s| s.effect == Effect::Allow));
    if !plain {
        return HashSet::new();
    }
    docs()
        .flat_map(|d| d.statements().iter().map(move |s| statement_key(d, s)))
        .collect()
}

fn statement_key(doc: &PolicyDocument, s: &Statement) -> String {
    let variables = doc.version.as_deref() == Some(crate::document::POLICY_VERSION);
    let mut s = s.clone();
    s.sid = None;
    format!("{variables} {}", s.to_value())
}

fn run(problem: &Problem, limits: &Limits) -> Result<Option<search::Found>, Unknown> {
    let budget = Budget {
        steps_left: limits.max_steps,
        steps: limits.max_steps,
        max_states: limits.max_states,
    };
    search::Search::new(problem, budget).run()
}

fn unconfirmed(variables: &[String], detail: &str) -> Unknown {
    let why = if variables.is_empty() {
        String::new()
    } else {
        let mut v = variables.to_vec();
        v.sort();
        v.dedup();
        format!("policy variables approximated (${{{}}}): ", v.join("}, ${"))
    };
    Unknown::Unconfirmed {
        detail: format!("{why}{detail}"),
    }
}

fn allowed_by(matched: &[crate::eval::MatchedStatement]) -> Vec<String> {
    matched
        .iter()
        .filter(|m| m.effect == Effect::Allow)
        .map(|m| match &m.sid {
            Some(sid) => format!("{} Statement[{}] ({sid})", m.policy, m.index),
            None => format!("{} Statement[{}]", m.policy, m.index),
        })
        .collect()
}

fn policy_set(p: &Permissions<'_>) -> PolicySet {
    PolicySet {
        identity: p
            .identity
            .iter()
            .enumerate()
            .map(|(i, d)| CompiledPolicy::compile(d, &format!("identity[{i}]")))
            .collect(),
        boundary: p.boundary.map(|b| CompiledPolicy::compile(b, "boundary")),
        ..PolicySet::default()
    }
}

fn counterexample(principal: &str, found: search::Found) -> Counterexample {
    let context = found
        .context
        .into_iter()
        .filter_map(|(k, state)| match state {
            KeyState::Absent => None,
            KeyState::Single(v) => Some((k, ContextValue::Single(v))),
            KeyState::Multi(vs) => Some((k, ContextValue::Multi(vs))),
        })
        .collect();
    Counterexample {
        principal: principal.to_owned(),
        action: found.action.unwrap_or_else(|| "rolegate:AnyAction".into()),
        resource: found
            .resource
            .unwrap_or_else(|| "arn:aws:s3:::rolegate-any-resource".into()),
        context,
        allowed_by: Vec::new(),
        baseline: Decision::ImplicitlyDenied,
    }
}

/// Keys IAM fills in from the caller whatever the request says: a
/// request can never lack them.
const DERIVED_KEYS: [&str; 4] = [
    "aws:principalarn",
    "aws:principalaccount",
    "aws:resourceaccount",
    "aws:principaltype",
];

/// Identifying keys for [`check_no_public`]: always present for a caller.
const CALLER_KEYS: [&str; 5] = [
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
];

/// Identifying keys present only when a service calls on someone's behalf.
const SOURCE_KEYS: [&str; 7] = [
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcevpc",
    "aws:sourcevpce",
];

/// Accounts and literal values a policy names: a stranger has none of them.
#[derive(Debug, Clone, Default)]
struct Known {
    accounts: Vec<String>,
    literals: Vec<String>,
}

fn known_names(policy: &PolicyDocument) -> Known {
    let mut k = Known::default();
    let account_of = |text: &str| -> Option<String> {
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Some(text.to_owned());
        }
        let field = text.split(':').nth(4)?;
        (field.len() == 12 && field.bytes().all(|b| b.is_ascii_digit())).then(|| field.to_owned())
    };
    for s in policy.statements() {
        if let Some(p) = &s.principal {
            for (_, v) in p.value().entries() {
                k.accounts.extend(account_of(v));
            }
        }
        for keys in s.condition.iter().flat_map(|c| c.values()) {
            for v in keys.values().flat_map(|vs| vs.iter()) {
                let text = v.as_iam_string();
                k.accounts.extend(account_of(&text));
                if !text.contains(['*', '?']) {
                    k.literals.push(text.into_owned());
                }
            }
        }
    }
    k.accounts.sort();
    k.accounts.dedup();
    k.literals.sort();
    k.literals.dedup();
    k
}

#[derive(Debug, Clone)]
enum Mode {
    Identity,
    Public(Known),
}

/// Which way an approximation must err for "no new access" to stay true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Approx {
    /// The statement's match may only grow: drop atoms with variables.
    Over,
    /// The statement's match may only shrink: drop the statement.
    Under,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Candidate,
    Baseline,
}

struct Compiler {
    problem: Problem,
    atoms: HashMap<String, usize>,
    keys: HashMap<String, usize>,
    limits: Limits,
    mode: Mode,
    statements: usize,
    /// Policy variables approximated away.
    variables: Vec<String>,
    /// Candidate identity Allows the baseline holds verbatim
    /// ([`verbatim_allows`]): skipped.
    covered: HashSet<String>,
}

impl Compiler {
    fn new(limits: Limits, mode: Mode) -> Self {
        Compiler {
            problem: Problem::default(),
            atoms: HashMap::new(),
            keys: HashMap::new(),
            limits,
            mode,
            statements: 0,
            variables: Vec::new(),
            covered: HashSet::new(),
        }
    }

    fn side(&mut self, p: &Permissions<'_>, role: Role, label: &str) -> Result<Side, Unknown> {
        // Allows widen the candidate and narrow the baseline's failure.
        let (allow, deny) = match role {
            Role::Candidate => (Approx::Over, Approx::Under),
            Role::Baseline => (Approx::Under, Approx::Over),
        };
        let mut side = Side::default();
        for (i, doc) in p.identity.iter().enumerate() {
            let skip = role == Role::Candidate;
            let label = format!("{label} identity[{i}]");
            let (a, d) = self.document(doc, allow, deny, skip, &label)?;
            side.allows.extend(a);
            side.denies.extend(d);
        }
        if let Some(b) = p.boundary {
            let (a, d) = self.document(b, allow, deny, false, &format!("{label} boundary"))?;
            side.boundary = Some(Boundary {
                allows: self.merge(a),
                denies: self.merge(d),
            });
        }
        side.allows = self.merge(std::mem::take(&mut side.allows));
        side.denies = self.merge(std::mem::take(&mut side.denies));
        Ok(side)
    }

    /// Statements of one effect alike but for their Action list (or their
    /// Resource list) match together what one statement with the union of
    /// the lists matches: the same meaning in fewer statements for the
    /// search to refute (a policy written one action per statement).
    fn merge(&mut self, stmts: Vec<Stmt>) -> Vec<Stmt> {
        let mut stmts = stmts;
        for dim in [Dim::Action, Dim::Resource, Dim::Action] {
            let mut groups: Vec<(Vec<Lit>, Vec<usize>)> = Vec::new();
            let mut index: HashMap<Vec<Lit>, usize> = HashMap::new();
            let mut out = Vec::new();
            for s in stmts {
                let on_dim: Vec<Lit> = s
                    .lits
                    .iter()
                    .filter(|(a, _)| self.problem.atoms[*a].dim == dim)
                    .copied()
                    .collect();
                let [(atom, true)] = on_dim.as_slice() else {
                    out.push(s);
                    continue;
                };
                let mut others: Vec<Lit> =
                    s.lits.iter().filter(|(b, _)| b != atom).copied().collect();
                others.sort_unstable();
                others.dedup();
                match index.get(&others) {
                    Some(&g) => groups[g].1.push(*atom),
                    None => {
                        index.insert(others.clone(), groups.len());
                        groups.push((others, vec![*atom]));
                    }
                }
            }
            for (mut lits, mut atoms) in groups {
                atoms.dedup();
                let atom = match atoms.as_slice() {
                    [one] => *one,
                    _ => {
                        let mut globs: Vec<Glob> = Vec::new();
                        let mut seen: HashSet<Glob> = HashSet::new();
                        for a in &atoms {
                            if let AtomKind::Globs(g) = &self.problem.atoms[*a].kind {
                                for x in g {
                                    if seen.insert(x.clone()) {
                                        globs.push(x.clone());
                                    }
                                }
                            }
                        }
                        self.atom(dim, AtomKind::Globs(globs))
                    }
                };
                lits.push((atom, true));
                out.push(Stmt { lits });
            }
            stmts = out;
        }
        stmts
    }

    fn document(
        &mut self,
        doc: &PolicyDocument,
        allow: Approx,
        deny: Approx,
        skip_covered: bool,
        label: &str,
    ) -> Result<(Vec<Stmt>, Vec<Stmt>), Unknown> {
        let variables = doc.version.as_deref() == Some(crate::document::POLICY_VERSION);
        let (mut allows, mut denies) = (Vec::new(), Vec::new());
        for (i, s) in doc.statements().iter().enumerate() {
            if skip_covered
                && s.effect == Effect::Allow
                && !self.covered.is_empty()
                && self.covered.contains(&statement_key(doc, s))
            {
                continue;
            }
            let location = format!("{label} Statement[{i}]");
            let approx = match s.effect {
                Effect::Allow => allow,
                Effect::Deny => deny,
            };
            if let Some(stmt) = self.statement(s, variables, approx, &location)? {
                match s.effect {
                    Effect::Allow => allows.push(stmt),
                    Effect::Deny => denies.push(stmt),
                }
            }
        }
        Ok((allows, denies))
    }

    /// The statement's literals; `None` when it never applies (to a
    /// stranger, or dropped by an approximation).
    fn statement(
        &mut self,
        s: &Statement,
        variables: bool,
        approx: Approx,
        location: &str,
    ) -> Result<Option<Stmt>, Unknown> {
        self.statements += 1;
        if self.statements > self.limits.max_statements {
            return Err(Unknown::Budget {
                what: "statements",
                limit: self.limits.max_statements as u64,
            });
        }
        match (&self.mode, &s.principal) {
            (Mode::Identity, Some(p)) => {
                let element = if p.is_negated() {
                    "NotPrincipal"
                } else {
                    "Principal"
                };
                return Err(Unknown::unsupported(
                    format!("{element} in an identity or boundary policy"),
                    location,
                ));
            }
            (Mode::Public(_), Some(Polarity::Is(p))) if !admits_anyone(p) => return Ok(None),
            (Mode::Public(_), Some(Polarity::Not(p))) if admits_anyone(p) => return Ok(None),
            _ => {}
        }
        let mut lits: Vec<Lit> = Vec::new();
        // Action / NotAction: lower-cased, compared ignoring case.
        let mut globs = Vec::new();
        for a in s.action.value() {
            self.check_length(a)?;
            let lower = a.to_ascii_lowercase();
            if let Parsed::Glob(g) = Glob::parse(&lower, true, false, Colons::Free, true) {
                if !g.is_ascii() {
                    return Err(Unknown::unsupported(
                        format!("the non-ASCII action pattern {a:?}"),
                        location,
                    ));
                }
                globs.push(g);
            }
        }
        let atom = self.atom(Dim::Action, AtomKind::Globs(globs));
        lits.push((atom, !s.action.is_negated()));
        // Resource / NotResource. A variable's pattern, when the match may
        // only grow: read as `*` under Resource, dropped under NotResource.
        if let Some(r) = &s.resource {
            let mut globs = Vec::new();
            let mut vars = Vec::new();
            let mut exact = true;
            for x in r.value() {
                self.check_length(x)?;
                match Glob::parse(x, true, variables, Colons::Resource, false) {
                    Parsed::Glob(g) => globs.push(g),
                    Parsed::Variables(v, widened) => {
                        vars.extend(v);
                        match (r.is_negated(), widened) {
                            (false, Some(g)) => globs.push(g),
                            (false, None) => exact = false,
                            (true, _) => {}
                        }
                    }
                }
            }
            if !vars.is_empty() {
                self.variables.extend(vars);
                if approx == Approx::Under {
                    return Ok(None);
                }
            }
            if exact {
                let atom = self.atom(Dim::Resource, AtomKind::Globs(globs));
                lits.push((atom, !r.is_negated()));
            }
        }
        // Conditions.
        for (op_name, keys) in s.condition.iter().flat_map(|c| c.iter()) {
            let Some(op) = conditions::parse_operator(op_name) else {
                return Err(Unknown::unsupported(
                    format!("the condition operator {op_name:?}"),
                    location,
                ));
            };
            for (key, values) in keys {
                for v in values {
                    self.check_length(&v.as_iam_string())?;
                }
                let values: Vec<ConditionValue> = values.iter().cloned().collect();
                // A value with a variable, when the match may only grow:
                // widen what a positive operator matches, narrow a negated one.
                let widen = (approx == Approx::Over).then_some(!op.negated);
                match conditions::compile_atom(op, &values, variables, widen) {
                    Ok((atom, vars)) => {
                        if !vars.is_empty() {
                            self.variables.extend(vars);
                            if approx == Approx::Under {
                                return Ok(None);
                            }
                        }
                        let nonascii = matches!(
                            op.base,
                            conditions::Base::StringEqualsIgnoreCase | conditions::Base::Bool
                        ) && values.iter().any(|v| !v.as_iam_string().is_ascii());
                        if nonascii {
                            return Err(Unknown::unsupported(
                                format!("non-ASCII text under {op_name}"),
                                location,
                            ));
                        }
                        let k = self.key(key);
                        let id = self.atom(Dim::Key(k), AtomKind::Cond(atom));
                        lits.push((id, true));
                    }
                    Err(vars) => {
                        self.variables.extend(vars);
                        if approx == Approx::Under {
                            return Ok(None);
                        }
                    }
                }
            }
        }
        Ok(Some(Stmt { lits }))
    }

    fn check_length(&self, text: &str) -> Result<(), Unknown> {
        if text.chars().count() > self.limits.max_pattern_chars {
            return Err(Unknown::Budget {
                what: "characters in one pattern",
                limit: self.limits.max_pattern_chars as u64,
            });
        }
        Ok(())
    }

    fn atom(&mut self, dim: Dim, kind: AtomKind) -> usize {
        let text = match &kind {
            AtomKind::Globs(globs) => {
                let mut t = format!("{dim:?}");
                globs.iter().for_each(|g| g.key(&mut t));
                t
            }
            AtomKind::Cond(c) => format!("{dim:?} {c:?}"),
        };
        if let Some(id) = self.atoms.get(&text) {
            return *id;
        }
        let id = self.problem.atoms.len();
        self.problem.atoms.push(Atom { dim, kind });
        self.atoms.insert(text, id);
        id
    }

    /// The key's index: names compare ignoring ASCII case, as the
    /// evaluator's lookups do.
    fn key(&mut self, name: &str) -> usize {
        let lower = name.to_ascii_lowercase();
        if let Some(k) = self.keys.get(&lower) {
            return *k;
        }
        let k = self.problem.keys.len();
        self.problem.keys.push(name.to_owned());
        let rules = match &self.mode {
            Mode::Identity => KeyRules {
                never_absent: DERIVED_KEYS.contains(&lower.as_str()),
                ..KeyRules::default()
            },
            Mode::Public(known) => stranger_rules(&lower, known),
        };
        self.problem.key_rules.push(rules);
        self.keys.insert(lower, k);
        k
    }
}

/// `"*"` or `{"AWS": "*"}`.
fn admits_anyone(p: &Principal) -> bool {
    match p {
        Principal::Any => true,
        Principal::Typed(_) => p
            .entries()
            .any(|(t, v)| t == PrincipalType::Aws && v == "*"),
    }
}

/// What a stranger's identifying key may hold: one value (for the
/// caller's own keys) naming no account and no literal the policy names.
fn stranger_rules(key: &str, known: &Known) -> KeyRules {
    let caller = CALLER_KEYS.contains(&key);
    if !caller && !SOURCE_KEYS.contains(&key) {
        return KeyRules::default();
    }
    let literal = |t: &str| match Glob::parse(t, false, false, Colons::Free, false) {
        Parsed::Glob(g) => Some(g),
        Parsed::Variables(..) => None,
    };
    let mut excluded: Vec<Glob> = known.literals.iter().filter_map(|t| literal(t)).collect();
    excluded.extend(known.accounts.iter().filter_map(|a| literal(a)));
    if key.ends_with("arn") {
        excluded.extend(known.accounts.iter().filter_map(|a| {
            match Glob::parse(
                &format!("*:*:*:*:{a}:*"),
                true,
                false,
                Colons::ArnCondition,
                false,
            ) {
                Parsed::Glob(g) => Some(g),
                Parsed::Variables(..) => None,
            }
        }));
    }
    KeyRules {
        never_absent: caller,
        single: caller,
        excluded,
    }
}
