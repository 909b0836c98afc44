//! A trust policy built by the policy crate admits exactly the vendor with
//! the right external ID.

#![allow(clippy::expect_used)]

use rolegate_policy::eval::{
    CompiledPolicy, ContextValue, Decision, PolicySet, Request, evaluate, explain,
};
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};

const ROLE: &str = "arn:aws:iam::111122223333:role/integrations/atmosphere-s3";
const EXTERNAL_ID: &str = "atmosphere-7Qm2xV9pLk";

fn trust_and_vendor_identity() -> PolicySet {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/atmosphere-s3/spec.json"
    ))
    .expect("fixture");
    let spec = IntegrationSpec::from_json(&text).expect("spec");
    let role = build(&spec, &BuildContext::new("111122223333", "us-east-1")).expect("role");
    let vendor_identity = PolicyDocument::parse(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{ROLE}"}}]}}"#
    ))
    .expect("identity");
    PolicySet {
        identity: vec![CompiledPolicy::compile(&vendor_identity, "vendor")],
        resource: Some(CompiledPolicy::compile(&role.trust_policy, "trust")),
        ..PolicySet::default()
    }
}

fn assume(principal: &str, external_id: Option<&str>) -> Request {
    let req = Request::new(principal, "sts:AssumeRole", ROLE).in_account("111122223333");
    match external_id {
        Some(id) => req.with_context("sts:ExternalId", ContextValue::Single(id.into())),
        None => req,
    }
}

#[test]
fn vendor_with_the_right_external_id_may_assume_the_role() {
    let set = trust_and_vendor_identity();
    let req = assume(
        "arn:aws:iam::966208727603:role/atmosphere-studio",
        Some(EXTERNAL_ID),
    );
    assert_eq!(
        evaluate(&set, &req).decision,
        Decision::Allowed,
        "{}",
        explain(&set, &req)
    );
}

#[test]
fn vendor_with_a_wrong_external_id_is_denied() {
    let set = trust_and_vendor_identity();
    let req = assume(
        "arn:aws:iam::966208727603:role/atmosphere-studio",
        Some("guessed"),
    );
    assert_eq!(evaluate(&set, &req).decision, Decision::ImplicitlyDenied);
}

#[test]
fn vendor_without_an_external_id_is_denied_and_told_why() {
    let set = trust_and_vendor_identity();
    let req = assume("arn:aws:iam::966208727603:role/atmosphere-studio", None);
    let e = explain(&set, &req);
    assert_eq!(e.evaluation.decision, Decision::ImplicitlyDenied);
    let text = e.to_string();
    assert!(
        text.contains("sts:ExternalId is missing from the request"),
        "{text}"
    );
}

#[test]
fn any_other_account_is_denied_even_with_the_external_id() {
    let set = trust_and_vendor_identity();
    let req = assume("arn:aws:iam::444455556666:role/attacker", Some(EXTERNAL_ID));
    assert_eq!(evaluate(&set, &req).decision, Decision::ImplicitlyDenied);
}

#[test]
fn explanations_never_show_the_external_id() {
    let set = trust_and_vendor_identity();
    let req = assume(
        "arn:aws:iam::966208727603:role/atmosphere-studio",
        Some("wrong-id-value"),
    );
    let text = explain(&set, &req).to_string();
    assert!(
        !text.contains(EXTERNAL_ID) && !text.contains("wrong-id-value"),
        "{text}"
    );
    assert!(text.contains("masked"), "{text}");
}
