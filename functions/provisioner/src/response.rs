//! The response document CloudFormation reads from the ResponseURL.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};

use crate::event::ResponseTarget;

/// CloudFormation rejects response bodies larger than this.
pub const MAX_RESPONSE_BYTES: usize = 4096;
const TRUNCATED: &str = " [truncated]";

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

/// The JSON body for `outcome`, at most [`MAX_RESPONSE_BYTES`]: the Reason
/// is truncated first; if Data alone is still too large, it is dropped and
/// the response turns into a FAILED one that says why.
pub fn body(target: &ResponseTarget, outcome: &Outcome) -> String {
    let full = render(target, outcome);
    if full.len() <= MAX_RESPONSE_BYTES {
        return full;
    }
    let excess = full.len() - MAX_RESPONSE_BYTES;
    // JSON escaping can make the Reason longer in the body than in memory,
    // so shrink by the excess and re-check.
    let mut keep = outcome
        .reason
        .len()
        .saturating_sub(excess + TRUNCATED.len());
    loop {
        let mut shorter = outcome.clone();
        shorter.reason = truncate(&outcome.reason, keep);
        let text = render(target, &shorter);
        if text.len() <= MAX_RESPONSE_BYTES {
            return text;
        }
        if keep == 0 {
            break;
        }
        keep = keep.saturating_sub(text.len() - MAX_RESPONSE_BYTES);
    }
    let fallback = Outcome::failed(
        outcome.physical_id.clone(),
        "the response Data exceeds CloudFormation's 4096-byte limit".into(),
    );
    render(target, &fallback)
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED}", &text[..end])
}

fn render(target: &ResponseTarget, outcome: &Outcome) -> String {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = if outcome.success {
        CloudFormationCustomResourceResponseStatus::Success
    } else {
        CloudFormationCustomResourceResponseStatus::Failed
    };
    response.reason = Some(outcome.reason.clone());
    response.physical_resource_id = outcome.physical_id.clone();
    response.stack_id = target.stack_id.clone();
    response.request_id = target.request_id.clone();
    response.logical_resource_id = target.logical_id.clone();
    response.no_echo = outcome.no_echo();
    response.data = outcome
        .data
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<HashMap<_, _>>();
    serde_json::to_string(&response).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> ResponseTarget {
        ResponseTarget {
            response_url: "https://example.invalid/".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1".into(),
            request_id: "r".into(),
            logical_id: "Role".into(),
        }
    }

    #[test]
    fn a_long_reason_is_truncated_to_fit_4096_bytes() {
        let outcome = Outcome::failed("id".into(), "é\"".repeat(5000));
        let text = body(&target(), &outcome);
        assert!(text.len() <= MAX_RESPONSE_BYTES, "{}", text.len());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["Reason"].as_str().unwrap().ends_with(TRUNCATED));
        assert_eq!(v["Status"], "FAILED");
    }

    #[test]
    fn a_short_response_is_untouched_and_hides_data_with_an_external_id() {
        let data = BTreeMap::from([("ExternalId".to_owned(), "x".repeat(40))]);
        let text = body(&target(), &Outcome::success("id".into(), "ok".into(), data));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Status"], "SUCCESS");
        assert_eq!(v["Reason"], "ok");
        assert_eq!(v["NoEcho"], true);
        assert_eq!(v["PhysicalResourceId"], "id");
    }

    #[test]
    fn oversized_data_turns_into_a_failed_response_that_fits() {
        let data = BTreeMap::from([("Big".to_owned(), "x".repeat(5000))]);
        let text = body(&target(), &Outcome::success("id".into(), "ok".into(), data));
        assert!(text.len() <= MAX_RESPONSE_BYTES);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Status"], "FAILED");
    }
}
