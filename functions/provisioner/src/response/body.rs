//! The response document CloudFormation reads from the ResponseURL: an
//! [`Outcome`] addressed to its stack, within CloudFormation's size limit.

use std::collections::HashMap;

use aws_lambda_events::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};

use super::Outcome;
use crate::event::ResponseTarget;

/// CloudFormation rejects response bodies larger than this.
pub const MAX_RESPONSE_BYTES: usize = 4096;
const TRUNCATED: &str = " [truncated]";

/// The JSON body for `outcome`, at most [`MAX_RESPONSE_BYTES`]: the Reason
/// is truncated first; if Data alone is still too large, it is dropped and
/// the response turns into a FAILED one that says why.
pub fn render(target: &ResponseTarget, outcome: &Outcome) -> String {
    let full = serialize(target, outcome);
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
        let text = serialize(target, &shorter);
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
    serialize(target, &fallback)
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED}", &text[..end])
}

fn serialize(target: &ResponseTarget, outcome: &Outcome) -> String {
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
    use std::collections::BTreeMap;

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
        let text = render(&target(), &outcome);
        assert!(text.len() <= MAX_RESPONSE_BYTES, "{}", text.len());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["Reason"].as_str().unwrap().ends_with(TRUNCATED));
        assert_eq!(v["Status"], "FAILED");
    }

    #[test]
    fn a_short_response_is_untouched_and_hides_data_with_an_external_id() {
        let data = BTreeMap::from([("ExternalId".to_owned(), "x".repeat(40))]);
        let text = render(&target(), &Outcome::success("id".into(), "ok".into(), data));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Status"], "SUCCESS");
        assert_eq!(v["Reason"], "ok");
        assert_eq!(v["NoEcho"], true);
        assert_eq!(v["PhysicalResourceId"], "id");
    }

    #[test]
    fn oversized_data_turns_into_a_failed_response_that_fits() {
        let data = BTreeMap::from([("Big".to_owned(), "x".repeat(5000))]);
        let text = render(&target(), &Outcome::success("id".into(), "ok".into(), data));
        assert!(text.len() <= MAX_RESPONSE_BYTES);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Status"], "FAILED");
    }
}
