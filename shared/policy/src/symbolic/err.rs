//! Why the symbolic comparison answers Unknown: the one way it declines to
//! decide, with a stable code. It never answers "no new access" in any of
//! these cases.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Unknown {
    /// A construct outside the fragment the procedure decides exactly.
    #[error("{location}: {construct} is outside the fragment the symbolic comparison decides")]
    Unsupported {
        /// What it is (`Principal in an identity policy`, `operator
        /// StringMatches`, ...).
        construct: String,
        /// Where: `candidate identity[0] Statement[2]`.
        location: String,
    },
    /// The search or an automaton grew past its bound.
    #[error("the symbolic comparison stopped at its bound of {limit} {what}")]
    Budget { what: &'static str, limit: u64 },
    /// A counterexample the evaluator does not confirm (an approximation,
    /// such as a policy variable, made it spurious).
    #[error("a candidate counterexample was not confirmed by the evaluator: {detail}")]
    Unconfirmed { detail: String },
}

impl Unknown {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Unknown::Unsupported { .. } => "SYMBOLIC_UNSUPPORTED",
            Unknown::Budget { .. } => "SYMBOLIC_BUDGET",
            Unknown::Unconfirmed { .. } => "SYMBOLIC_UNCONFIRMED",
        }
    }

    pub(crate) fn unsupported(construct: impl Into<String>, location: impl Into<String>) -> Self {
        Unknown::Unsupported {
            construct: construct.into(),
            location: location.into(),
        }
    }
}
