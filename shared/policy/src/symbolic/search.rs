//! The search: statements as conjunctions of atoms, and a DPLL-style walk
//! over which statement matches and which atom makes each other one fail.
//!
//! An atom is a question about one dimension of the request: "is the
//! action in these patterns", "is the resource in these", "does this
//! condition hold on this key". A statement matches when each of its
//! literals (an atom and the truth it needs) holds. The walk chooses a
//! candidate Allow (and a boundary Allow), chooses how the baseline fails
//! to allow (no Allow matches, a Deny matches, or no boundary Allow
//! matches), then makes every statement that must not match fail by one of
//! its literals, branching only on statements that could still match the
//! request being built: a dimension whose literals have no common
//! solution prunes the branch. Dimensions are independent, so a set of
//! literals is satisfiable iff each dimension's is, and each dimension's
//! answer (with its witness) is remembered.

use std::collections::{HashMap, HashSet};

use super::conditions::{self, CondAtom, KeyRules, KeyState};
use super::err::Unknown;
use super::glob_set::{self, Budget, Constraint, Glob};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Dim {
    Action,
    Resource,
    Key(usize),
}

#[derive(Debug, Clone)]
pub(crate) enum AtomKind {
    Globs(Vec<Glob>),
    Cond(CondAtom),
}

#[derive(Debug, Clone)]
pub(crate) struct Atom {
    pub dim: Dim,
    pub kind: AtomKind,
}

pub(crate) type Lit = (usize, bool);

/// A statement: it matches when every literal holds.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub lits: Vec<Lit>,
}

/// One side: its identity statements and, if it has one, its boundary's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Side {
    pub allows: Vec<Stmt>,
    pub denies: Vec<Stmt>,
    pub boundary: Option<Boundary>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Boundary {
    pub allows: Vec<Stmt>,
    pub denies: Vec<Stmt>,
}

#[derive(Debug, Default)]
pub(crate) struct Problem {
    pub atoms: Vec<Atom>,
    /// Key names as first written, index = `Dim::Key`.
    pub keys: Vec<String>,
    pub key_rules: Vec<KeyRules>,
    pub candidate: Side,
    pub baseline: Side,
}

/// The request the search found, dimension by dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub action: Option<String>,
    pub resource: Option<String>,
    pub context: Vec<(String, KeyState)>,
}

#[derive(Debug, Clone)]
enum Answer {
    Globs(Option<String>),
    Key(Option<KeyState>),
}

impl Answer {
    fn sat(&self) -> bool {
        match self {
            Answer::Globs(w) => w.is_some(),
            Answer::Key(k) => k.is_some(),
        }
    }
}

pub(crate) struct Search<'p> {
    p: &'p Problem,
    pub budget: Budget,
    value: Vec<Option<bool>>,
    trail: Vec<usize>,
    memo: HashMap<(Dim, Vec<Lit>), Answer>,
    /// The literal sets of the baseline's identity and boundary Allows.
    base_allows: HashSet<Vec<Lit>>,
    base_boundary_allows: HashSet<Vec<Lit>>,
    /// The literal sets of the candidate (and boundary) Allow chosen.
    chosen: Vec<Vec<Lit>>,
    /// What any request's action and resource are: `service:name` and not
    /// empty. Without them a witness of `*` is the empty string, a request
    /// AWS never receives, and the counterexample names nothing.
    action_domain: [Glob; 1],
    resource_domain: [Glob; 1],
}

fn lit_set(s: &Stmt) -> Vec<Lit> {
    let mut l = s.lits.clone();
    l.sort_unstable();
    l.dedup();
    l
}

impl<'p> Search<'p> {
    pub(crate) fn new(p: &'p Problem, budget: Budget) -> Self {
        Search {
            p,
            budget,
            value: vec![None; p.atoms.len()],
            trail: Vec::new(),
            memo: HashMap::new(),
            base_allows: p.baseline.allows.iter().map(lit_set).collect(),
            base_boundary_allows: p
                .baseline
                .boundary
                .iter()
                .flat_map(|b| b.allows.iter().map(lit_set))
                .collect(),
            chosen: Vec::new(),
            action_domain: [Glob::any_action()],
            resource_domain: [Glob::any_resource()],
        }
    }

    /// A request the candidate allows and the baseline does not, if any.
    pub(crate) fn run(&mut self) -> Result<Option<Found>, Unknown> {
        let p = self.p;
        // With no Deny and no boundary, the baseline allows whatever one of
        // its Allows matches: a candidate Allow it holds verbatim opens
        // nothing, and is skipped without asking any dimension.
        let plain_baseline = p.baseline.denies.is_empty() && p.baseline.boundary.is_none();
        for allow in &p.candidate.allows {
            self.budget.spend(1)?;
            let set = lit_set(allow);
            if plain_baseline && self.base_allows.contains(&set) {
                continue;
            }
            let mark = self.trail.len();
            self.chosen.push(set);
            if self.assert_all(&allow.lits)? && self.candidate_boundary()? {
                return self.found().map(Some);
            }
            self.chosen.pop();
            self.undo(mark);
        }
        Ok(None)
    }

    fn candidate_boundary(&mut self) -> Result<bool, Unknown> {
        let Some(b) = &self.p.candidate.boundary else {
            return self.baseline_fails();
        };
        for allow in &b.allows {
            let mark = self.trail.len();
            self.chosen.push(lit_set(allow));
            if self.assert_all(&allow.lits)? && self.baseline_fails()? {
                return Ok(true);
            }
            self.chosen.pop();
            self.undo(mark);
        }
        Ok(false)
    }

    /// The baseline does not allow: no Allow matches, a Deny matches, or
    /// no boundary Allow matches; and no candidate Deny matches throughout.
    fn baseline_fails(&mut self) -> Result<bool, Unknown> {
        let (c, b) = (&self.p.candidate, &self.p.baseline);
        let candidate_denies: Vec<&Stmt> = c
            .denies
            .iter()
            .chain(c.boundary.iter().flat_map(|x| x.denies.iter()))
            .collect();
        // A baseline Allow identical to a chosen candidate Allow matches
        // whatever is built: no need to look through every statement (a
        // large policy against itself).
        self.budget.spend(self.chosen.len() as u64)?;
        let copied = |set: &HashSet<Vec<Lit>>| self.chosen.iter().any(|c| set.contains(c));
        let (allow_copied, boundary_copied) = (
            copied(&self.base_allows),
            copied(&self.base_boundary_allows),
        );
        let mut pending = candidate_denies.clone();
        pending.extend(b.allows.iter());
        if !allow_copied && self.none_of(&pending)? {
            return Ok(true);
        }
        let base_denies = b
            .denies
            .iter()
            .chain(b.boundary.iter().flat_map(|x| x.denies.iter()));
        for deny in base_denies {
            let mark = self.trail.len();
            if self.assert_all(&deny.lits)? && self.none_of(&candidate_denies)? {
                return Ok(true);
            }
            self.undo(mark);
        }
        if let Some(bb) = &b.boundary
            && !boundary_copied
        {
            let mut pending = candidate_denies.clone();
            pending.extend(bb.allows.iter());
            if self.none_of(&pending)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Makes every statement in `pending` fail, branching on the literal
    /// that fails it; statements that cannot match any more are dropped.
    fn none_of(&mut self, pending: &[&Stmt]) -> Result<bool, Unknown> {
        self.budget.spend(pending.len() as u64 + 1)?;
        // A statement whose every literal is asserted already matches: a
        // conflict found without asking any dimension (a policy compared
        // with itself meets one at once).
        let matches = |s: &&Stmt| s.lits.iter().all(|(a, b)| self.value[*a] == Some(*b));
        if pending.iter().any(matches) {
            return Ok(false);
        }
        let mut live: Vec<(&Stmt, Vec<Lit>)> = Vec::new();
        for s in pending {
            if s.lits.iter().any(|(a, b)| self.value[*a] == Some(!*b)) {
                continue;
            }
            let open: Vec<Lit> = s
                .lits
                .iter()
                .copied()
                .filter(|(a, b)| self.value[*a] != Some(*b))
                .collect();
            if open.is_empty() {
                return Ok(false);
            }
            if !self.could_hold(&open)? {
                continue;
            }
            live.push((s, open));
        }
        let Some(pick) = (0..live.len()).min_by_key(|i| live[*i].1.len()) else {
            return Ok(true);
        };
        let rest: Vec<&Stmt> = live.iter().map(|(s, _)| *s).collect();
        let open = live[pick].1.clone();
        for (a, b) in open {
            let mark = self.trail.len();
            if self.assert(a, !b)? && self.none_of(&rest)? {
                return Ok(true);
            }
            self.undo(mark);
        }
        Ok(false)
    }

    /// Could all of `lits` hold together with what is asserted?
    fn could_hold(&mut self, lits: &[Lit]) -> Result<bool, Unknown> {
        let mut dims: Vec<Dim> = lits.iter().map(|(a, _)| self.p.atoms[*a].dim).collect();
        dims.sort_unstable();
        dims.dedup();
        for d in dims {
            let extra: Vec<Lit> = lits
                .iter()
                .copied()
                .filter(|(a, _)| self.p.atoms[*a].dim == d)
                .collect();
            if !self.dim_sat(d, &extra)?.sat() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn assert_all(&mut self, lits: &[Lit]) -> Result<bool, Unknown> {
        for (a, b) in lits {
            if !self.assert(*a, *b)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Sets atom `a` to `b` if consistent; on `false` the caller undoes.
    fn assert(&mut self, a: usize, b: bool) -> Result<bool, Unknown> {
        if let Some(v) = self.value[a] {
            return Ok(v == b);
        }
        self.value[a] = Some(b);
        self.trail.push(a);
        let d = self.p.atoms[a].dim;
        Ok(self.dim_sat(d, &[])?.sat())
    }

    fn undo(&mut self, mark: usize) {
        while self.trail.len() > mark {
            if let Some(a) = self.trail.pop() {
                self.value[a] = None;
            }
        }
    }

    /// The literals asserted on `d`, plus `extra`, sorted.
    fn lits_on(&self, d: Dim, extra: &[Lit]) -> Vec<Lit> {
        let mut lits: Vec<Lit> = self
            .trail
            .iter()
            .filter(|a| self.p.atoms[**a].dim == d)
            .filter_map(|a| self.value[*a].map(|b| (*a, b)))
            .chain(extra.iter().copied())
            .collect();
        lits.sort_unstable();
        lits.dedup();
        lits
    }

    fn dim_sat(&mut self, d: Dim, extra: &[Lit]) -> Result<Answer, Unknown> {
        let lits = self.lits_on(d, extra);
        // An atom wanted both ways.
        if lits.windows(2).any(|w| w[0].0 == w[1].0) {
            return Ok(Answer::Globs(None));
        }
        let key = (d, lits);
        if let Some(a) = self.memo.get(&key) {
            return Ok(a.clone());
        }
        self.budget.spend(1)?;
        let answer = self.solve_dim(d, &key.1)?;
        self.memo.insert(key, answer.clone());
        Ok(answer)
    }

    fn solve_dim(&mut self, d: Dim, lits: &[Lit]) -> Result<Answer, Unknown> {
        let p = self.p;
        match d {
            Dim::Action | Dim::Resource => {
                let domain = if d == Dim::Action {
                    &self.action_domain
                } else {
                    &self.resource_domain
                };
                let mut cs: Vec<Constraint<'_>> = lits
                    .iter()
                    .filter_map(|(a, b)| match &p.atoms[*a].kind {
                        AtomKind::Globs(globs) => Some(Constraint {
                            globs,
                            positive: *b,
                        }),
                        AtomKind::Cond(_) => None,
                    })
                    .collect();
                cs.push(Constraint {
                    globs: domain,
                    positive: true,
                });
                glob_set::witness(&cs, &mut self.budget).map(Answer::Globs)
            }
            Dim::Key(k) => {
                let atoms: Vec<(&CondAtom, bool)> = lits
                    .iter()
                    .filter_map(|(a, b)| match &p.atoms[*a].kind {
                        AtomKind::Cond(c) => Some((c, *b)),
                        AtomKind::Globs(_) => None,
                    })
                    .collect();
                let rules = p.key_rules.get(k).cloned().unwrap_or_default();
                conditions::solve_key(&atoms, &rules, &mut self.budget).map(Answer::Key)
            }
        }
    }

    /// The witness of every dimension the asserted literals touch.
    fn found(&mut self) -> Result<Found, Unknown> {
        let mut found = Found {
            action: None,
            resource: None,
            context: Vec::new(),
        };
        let mut dims: Vec<Dim> = self.trail.iter().map(|a| self.p.atoms[*a].dim).collect();
        dims.sort_unstable();
        dims.dedup();
        for d in dims {
            match (d, self.dim_sat(d, &[])?) {
                (Dim::Action, Answer::Globs(w)) => found.action = w.map(|w| self.real_action(w)),
                (Dim::Resource, Answer::Globs(w)) => found.resource = w,
                (Dim::Key(k), Answer::Key(Some(state))) => {
                    let name = self.p.keys.get(k).cloned().unwrap_or_default();
                    found.context.push((name, state));
                }
                _ => {
                    return Err(Unknown::Unconfirmed {
                        detail: "a dimension lost its witness".into(),
                    });
                }
            }
        }
        Ok(found)
    }

    /// An action AWS defines that satisfies the same literals, if one does
    /// in the witness's service: `s3:GetObjectTagging` reads better than
    /// `s3:getxtagging`.
    fn real_action(&self, witness: String) -> String {
        let lits = self.lits_on(Dim::Action, &[]);
        let fits = |name: &str| {
            let lower = name.to_ascii_lowercase();
            lits.iter().all(|(a, b)| match &self.p.atoms[*a].kind {
                AtomKind::Globs(globs) => globs.iter().any(|g| g.matches(&lower)) == *b,
                AtomKind::Cond(_) => true,
            })
        };
        let db = crate::actiondb::ActionDb::global();
        let service = witness.split(':').next().unwrap_or("").to_owned();
        // The witness's own service first; then, for a witness no service
        // defines (`x:x` from `*`), the services whose actions say most to
        // a reviewer, then every other.
        let first = [
            service.as_str(),
            "iam",
            "sts",
            "s3",
            "kms",
            "ec2",
            "lambda",
            "dynamodb",
        ];
        let in_service = |prefix: &str| {
            db.service(prefix).and_then(|s| {
                s.actions()
                    .map(|a| format!("{}:{}", s.prefix(), a.name()))
                    .find(|name| fits(name))
            })
        };
        first
            .into_iter()
            .find_map(in_service)
            .or_else(|| db.services().find_map(in_service))
            .unwrap_or(witness)
    }
}
