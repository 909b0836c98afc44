//! What the provisioner answers CloudFormation: an [`Outcome`], written as
//! the response document ([`body`]) and PUT to the request's presigned
//! ResponseURL ([`delivery`]).

pub mod body;
pub mod delivery;

use std::collections::BTreeMap;

/// What the provisioner decided, before it is addressed to a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub success: bool,
    pub reason: String,
    pub physical_id: String,
    pub data: BTreeMap<String, String>,
}

impl Outcome {
    pub fn success(physical_id: String, reason: String, data: BTreeMap<String, String>) -> Self {
        Outcome {
            success: true,
            reason,
            physical_id,
            data,
        }
    }

    pub fn failed(physical_id: String, reason: String) -> Self {
        Outcome {
            success: false,
            reason,
            physical_id,
            data: BTreeMap::new(),
        }
    }

    /// The ExternalId is a shared secret: whenever it is in Data, Data is
    /// hidden from `describe-stack-resources` and the console.
    pub fn no_echo(&self) -> bool {
        self.data.contains_key("ExternalId")
    }
}
