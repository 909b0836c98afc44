//! Tamper scenarios against moto: provision a role with the provisioner's
//! code, tamper with it through the IAM API, feed the guard the CloudTrail
//! event that call produces (from events/guard/cloudtrail/), then check
//! what IAM holds. In restore mode the role must be exactly as provisioned;
//! in quarantine mode it must carry the deny-all and session revocation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{ROLE, guard, handle, provisioned, sample, snapshot};
use rolegate_policy::events::{DRIFT_DETECTED_DETAIL_TYPE, DriftDetected};
use rolegate_policy::reconcile::quarantine::{DENY_ALL_POLICY, REVOKE_SESSIONS_POLICY};
use rolegate_policy::spec::RemediationMode;
use serde_json::json;

/// Runs one tamper twice: restore mode first, then quarantine mode.
async fn scenario(event_file: &str, tamper: &str, expected_codes: &[&str]) {
    let (moto, external_id) = provisioned().await;
    let provisioned = snapshot(&moto, ROLE);
    let event = sample(&format!("cloudtrail/{event_file}"));

    // Restore mode: the role comes back exactly as provisioned.
    moto.python(tamper);
    assert_ne!(
        snapshot(&moto, ROLE),
        provisioned,
        "the tamper changed the role"
    );
    let (restorer, _) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&restorer, event.clone()).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    let findings = answer["Roles"][0]["Findings"].to_string();
    for code in expected_codes {
        assert!(findings.contains(code), "expected {code} in {findings}");
    }
    assert_eq!(snapshot(&moto, ROLE), provisioned);
    let events = moto.captured_events();
    assert_eq!(
        common::detail_types(&events),
        ["Integration Role Drift Detected"]
    );
    let drift: DriftDetected = common::report(&events[0], DRIFT_DETECTED_DETAIL_TYPE);
    assert_eq!(drift.judgement.action, "restored");
    let emitted = serde_json::to_string(&events).unwrap();
    assert!(
        !emitted.contains(&external_id),
        "a report leaked the ExternalId: {emitted}"
    );

    // Quarantine mode: the deny-all and the session revocation are in place.
    moto.python(tamper);
    let (quarantiner, _) = guard(&moto, RemediationMode::Quarantine).await;
    let answer = handle(&quarantiner, event).await;
    assert_eq!(answer["Roles"][0]["Status"], "quarantined", "{answer}");
    assert_quarantined(&moto);
    assert_eq!(
        common::detail_types(&moto.captured_events()),
        [
            "Integration Role Drift Detected",
            "Integration Access Revoked"
        ]
    );
}

pub fn assert_quarantined(moto: &common_moto::Moto) {
    let live = snapshot(moto, ROLE);
    assert_eq!(
        live["Policies"][DENY_ALL_POLICY],
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "RolegateQuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}
        ]})
    );
    let revoke = &live["Policies"][REVOKE_SESSIONS_POLICY]["Statement"][0];
    assert_eq!(revoke["Effect"], "Deny");
    assert_eq!(revoke["Action"], "*");
    assert_eq!(revoke["Resource"], "*");
    let since = revoke["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .expect("a TokenIssueTime bound");
    let since = rolegate_policy::Timestamp::parse(since).expect("an RFC 3339 time");
    let now = rolegate_aws::now();
    assert!(
        (now.epoch_seconds() - since.epoch_seconds()).abs() < 120,
        "sessions are revoked from about now, not {since}"
    );
    // Kept on the role (the guard cannot write records).
    assert_eq!(
        common::tag(&live, "rolegate:quarantine"),
        Some(since.to_string().as_str())
    );
}

mod common_moto {
    pub use rolegate_test_harness::Moto;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attached_broad_managed_policy_is_detached_or_quarantined() {
    scenario(
        "attach-role-policy.json",
        "iam.attach_role_policy(RoleName='atmosphere-s3', PolicyArn='arn:aws:iam::123456789012:policy/broad-access')",
        &["DRIFT_CHANGED", "PROOF_EXCESS"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_added_wildcard_statement_is_removed_or_quarantined() {
    scenario(
        "put-role-policy-wildcard.json",
        "iam.put_role_policy(RoleName='atmosphere-s3', PolicyName='debug', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))",
        &["DRIFT_CHANGED", "PROOF_EXCESS"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trust_policy_without_the_external_id_condition_is_restored_or_quarantined() {
    scenario(
        "update-assume-role-policy-no-external-id.json",
        "iam.update_assume_role_policy(RoleName='atmosphere-s3', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::966208727603:root'}, 'Action': 'sts:AssumeRole'}]}))",
        &["DRIFT_CHANGED", "PROOF_TRUST_TOO_OPEN"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_principal_added_to_the_trust_policy_is_removed_or_quarantined() {
    scenario(
        "update-assume-role-policy-foreign-principal.json",
        "doc = iam.get_role(RoleName='atmosphere-s3')['Role']['AssumeRolePolicyDocument']\n\
         doc['Statement'].append({'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::444455556666:root'}, 'Action': 'sts:AssumeRole'})\n\
         iam.update_assume_role_policy(RoleName='atmosphere-s3', PolicyDocument=json.dumps(doc))",
        &["DRIFT_CHANGED", "PROOF_TRUST_TOO_OPEN"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_permissions_boundary_is_put_back_or_quarantined() {
    scenario(
        "delete-role-permissions-boundary.json",
        "iam.delete_role_permissions_boundary(RoleName='atmosphere-s3')",
        &["DRIFT_CHANGED"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raised_max_session_duration_is_lowered_or_quarantined() {
    scenario(
        "update-role-max-session.json",
        "iam.update_role(RoleName='atmosphere-s3', MaxSessionDuration=43200)",
        &["DRIFT_CHANGED"],
    )
    .await;
}

// ------------------------------------------------ Custom::IntegrationPolicy

mod integration_policy {
    use rolegate_guard::{Guard, GuardConfig};
    use rolegate_policy::events::policy::{POLICY_DRIFT_DETECTED_DETAIL_TYPE, PolicyDriftDetected};
    use rolegate_test_harness::{
        CallLog, Moto, invoke_event, logged_clients, provisioner, request,
    };
    use serde_json::{Value, json};

    use super::common::{self, GUARD_ROLE_ARN, handle, sample, snapshot};

    const NODE: &str = "atc-node";
    const NODE_ARN: &str = "arn:aws:iam::123456789012:role/atc-node";
    const POLICY: &str = "rolegate-AtcNodePolicy";

    fn properties(mode: Option<&str>) -> Value {
        let mut props = json!({
            "RoleArn": NODE_ARN,
            "Grants": [{ "Service": "s3", "Access": "read", "Bucket": "aspera-transfers" }],
        });
        if let Some(mode) = mode {
            props["RemediationMode"] = json!(mode);
        }
        props
    }

    /// The customer's role (a trust, a tag, a policy of its own) with
    /// Rolegate's policy put on it by the provisioner's handler.
    async fn provisioned(mode: Option<&str>) -> Moto {
        let moto = Moto::start();
        moto.python(&format!(
            "iam.create_role(RoleName={NODE:?}, AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'ec2.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}}), Tags=[{{'Key': 'team', 'Value': 'atc'}}])\n\
             iam.put_role_policy(RoleName={NODE:?}, PolicyName='customer-own', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'ec2:DescribeInstances', 'Resource': '*'}}]}}))"
        ));
        moto.capture_events();
        let (mut provisioner, _) = provisioner(&moto.sdk_config().await);
        provisioner.config.integration_policy_roles = vec![NODE_ARN.into()];
        let mut event = request(&moto, "Create", "policy-1", properties(mode), None, None);
        event["ResourceType"] = json!("Custom::IntegrationPolicy");
        event["LogicalResourceId"] = json!("AtcNodePolicy");
        provisioner.handle(invoke_event(event)).await.unwrap();
        let (answer, _) = moto.response("policy-1").unwrap();
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        moto.captured_events();
        moto
    }

    async fn guard(moto: &Moto) -> (Guard, CallLog) {
        let (clients, log) = logged_clients(&moto.sdk_config().await);
        let config = GuardConfig {
            own_role_arns: vec![GUARD_ROLE_ARN.to_owned()],
            integration_policy_roles: vec![NODE_ARN.to_owned()],
            ..GuardConfig::default()
        };
        (Guard::new(clients, config), log)
    }

    /// The CloudTrail record of `call` on `policy` of the customer's role,
    /// made by a person (the sample's caller, not Rolegate's roles).
    fn cloudtrail(call: &str, policy: &str, id: &str) -> Value {
        let mut event = sample("cloudtrail/put-role-policy-wildcard.json");
        event["detail"]["eventName"] = json!(call);
        event["detail"]["eventID"] = json!(id);
        event["detail"]["requestParameters"] = json!({ "roleName": NODE, "policyName": policy });
        event
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_deleted_or_edited_integration_policy_is_put_back_and_nothing_else_of_the_role_is_touched()
     {
        let moto = provisioned(None).await;
        let provisioned = snapshot(&moto, NODE);
        let (guard, log) = guard(&moto).await;

        let tampers = [
            (
                "DeleteRolePolicy",
                format!("iam.delete_role_policy(RoleName={NODE:?}, PolicyName={POLICY:?})"),
                "POLICY_MISSING",
            ),
            (
                "PutRolePolicy",
                format!(
                    "iam.put_role_policy(RoleName={NODE:?}, PolicyName={POLICY:?}, PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}}]}}))"
                ),
                "POLICY_CHANGED",
            ),
        ];
        for (i, (call, tamper, code)) in tampers.into_iter().enumerate() {
            moto.python(&tamper);
            assert_ne!(
                snapshot(&moto, NODE),
                provisioned,
                "{call} changed the role"
            );
            log.take();
            let answer = handle(&guard, cloudtrail(call, POLICY, &format!("policy-{i}"))).await;
            assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
            assert_eq!(log.take_writes(), ["PutRolePolicy"], "{call}");
            assert_eq!(
                snapshot(&moto, NODE),
                provisioned,
                "{call}: exactly as provisioned"
            );
            let events = moto.captured_events();
            assert_eq!(
                common::detail_types(&events),
                [POLICY_DRIFT_DETECTED_DETAIL_TYPE]
            );
            let report: PolicyDriftDetected =
                common::report(&events[0], POLICY_DRIFT_DETECTED_DETAIL_TYPE);
            assert_eq!(report.code, code);
            assert_eq!(report.action, "restored");
            assert_eq!(report.policy_name, POLICY);
            assert_eq!(report.role_arn, NODE_ARN);
        }

        // The customer's own policy is theirs: the guard writes nothing.
        moto.python(&format!(
            "iam.put_role_policy(RoleName={NODE:?}, PolicyName='customer-own', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'ec2:*', 'Resource': '*'}}]}}))"
        ));
        let changed = snapshot(&moto, NODE);
        let answer = handle(&guard, cloudtrail("PutRolePolicy", "customer-own", "own-1")).await;
        assert_eq!(answer["Roles"][0]["Status"], "unmanaged", "{answer}");
        // A policy with the reserved prefix that no record names is not one.
        moto.python(&format!(
            "iam.put_role_policy(RoleName={NODE:?}, PolicyName='rolegate-unrecorded', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'sqs:*', 'Resource': '*'}}]}}))"
        ));
        let with_unrecorded = snapshot(&moto, NODE);
        let answer = handle(
            &guard,
            cloudtrail("PutRolePolicy", "rolegate-unrecorded", "own-2"),
        )
        .await;
        assert_eq!(answer["Roles"][0]["Status"], "unmanaged", "{answer}");
        assert_eq!(log.take_writes(), Vec::<String>::new());
        assert_ne!(with_unrecorded, changed);
        assert_eq!(snapshot(&moto, NODE), with_unrecorded);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn in_report_mode_or_with_a_forged_record_the_guard_writes_nothing() {
        let moto = provisioned(Some("report")).await;
        let (guard, log) = guard(&moto).await;
        moto.python(&format!(
            "iam.delete_role_policy(RoleName={NODE:?}, PolicyName={POLICY:?})"
        ));
        log.take();
        let answer = handle(&guard, cloudtrail("DeleteRolePolicy", POLICY, "report-1")).await;
        assert_eq!(answer["Roles"][0]["Status"], "reported", "{answer}");
        assert_eq!(log.take_writes(), Vec::<String>::new());
        let events = moto.captured_events();
        let report: PolicyDriftDetected =
            common::report(&events[0], POLICY_DRIFT_DETECTED_DETAIL_TYPE);
        assert_eq!(
            (report.remediation.as_str(), report.action.as_str()),
            ("report", "reported")
        );

        // A record rewritten by anyone but the provisioner does not verify.
        moto.python(
            "n = '/rolegate/policies/atc-node_2Frolegate-AtcNodePolicy'\n\
             v = json.loads(ssm.get_parameter(Name=n, WithDecryption=True)['Parameter']['Value'])\n\
             b = json.loads(v['Body']); b['Properties']['Grants'][0]['Bucket'] = 'attacker-bucket'; v['Body'] = json.dumps(b)\n\
             ssm.put_parameter(Name=n, Value=json.dumps(v), Type='SecureString', Overwrite=True)",
        );
        let answer = handle(&guard, cloudtrail("DeleteRolePolicy", POLICY, "forged-1")).await;
        assert_eq!(answer["Roles"][0]["Status"], "reported", "{answer}");
        assert!(
            answer["Roles"][0]["Findings"].to_string().contains("seal"),
            "{answer}"
        );
        assert_eq!(log.take_writes(), Vec::<String>::new());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_role_the_deployment_no_longer_lists_is_left_alone() {
        let moto = provisioned(None).await;
        let (clients, log) = logged_clients(&moto.sdk_config().await);
        let unlisted = Guard::new(
            clients,
            GuardConfig {
                own_role_arns: vec![GUARD_ROLE_ARN.to_owned()],
                ..GuardConfig::default()
            },
        );
        moto.python(&format!(
            "iam.delete_role_policy(RoleName={NODE:?}, PolicyName={POLICY:?})"
        ));
        log.take();
        let answer = handle(
            &unlisted,
            cloudtrail("DeleteRolePolicy", POLICY, "unlisted-1"),
        )
        .await;
        assert_eq!(answer["Roles"][0]["Status"], "unmanaged", "{answer}");
        assert_eq!(log.take_writes(), Vec::<String>::new());
        assert!(moto.captured_events().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_sweep_puts_back_an_integration_policy_no_event_announced() {
        let moto = provisioned(None).await;
        let provisioned = snapshot(&moto, NODE);
        let (guard, log) = guard(&moto).await;
        moto.python(&format!(
            "iam.delete_role_policy(RoleName={NODE:?}, PolicyName={POLICY:?})"
        ));
        log.take();
        let answer = handle(&guard, sample("sweep.json")).await;
        let sweep = &answer["Sweep"];
        assert_eq!(sweep["Errors"], json!([]), "{answer}");
        assert_eq!(sweep["Roles"][0]["Status"], "restored", "{answer}");
        assert_eq!(log.take_writes(), ["PutRolePolicy"]);
        assert_eq!(snapshot(&moto, NODE), provisioned);
        let mut second = sample("sweep.json");
        second["id"] = json!("sweep-2");
        let again = handle(&guard, second).await;
        assert_eq!(again["Sweep"]["Roles"], json!([]), "clean now: {again}");
        assert_eq!(log.take_writes(), Vec::<String>::new());
    }
}

/// A role whose 60 grants overflow into its own managed policies
/// (`<role>-rolegate-<n>`), provisioned through the provisioner's handler.
async fn provisioned_large_role() -> rolegate_test_harness::Moto {
    use rolegate_test_harness::{Moto, invoke_event, provisioner, request};
    let moto = Moto::start();
    moto.python(
        "iam.create_policy(PolicyName='rolegate-integration-boundary', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))",
    );
    moto.capture_events();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let grants: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            json!({"Service": "s3", "Access": "read-write", "Bucket": format!("bucket-number-{i:03}"),
                "Prefix": "some/longer/prefix/", "IncludeVersions": "true"})
        })
        .collect();
    let spec = json!({
        "RoleName": "large-vendor",
        "Trust": { "Principals": ["966208727603"] },
        "ExternalId": "large-vendor-external-id",
        "PermissionsBoundaryArn": common::BOUNDARY,
        "Grants": grants,
    });
    let event = request(&moto, "Create", "create-large", spec, None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (response, _) = moto.response("create-large").expect("a response");
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    moto.captured_events();
    moto
}

const LARGE_POLICY: &str = "arn:aws:iam::123456789012:policy/integrations/large-vendor-rolegate-1";

/// The default document of the role's first managed policy.
fn large_policy_document(moto: &rolegate_test_harness::Moto) -> serde_json::Value {
    let out = moto.python(&format!(
        "v = iam.get_policy(PolicyArn={LARGE_POLICY:?})['Policy']['DefaultVersionId']\n\
         print(json.dumps(iam.get_policy_version(PolicyArn={LARGE_POLICY:?}, VersionId=v)['PolicyVersion']['Document']))"
    ));
    serde_json::from_str(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detached_or_edited_rolegate_managed_policy_is_restored_and_a_foreign_one_detached() {
    let moto = provisioned_large_role().await;
    let provisioned = snapshot(&moto, "large-vendor");
    assert!(
        provisioned["Attached"].to_string().contains(LARGE_POLICY),
        "{provisioned}"
    );
    let document = large_policy_document(&moto);
    let (restorer, log) = guard(&moto, RemediationMode::Restore).await;

    // Detached: attached again, and nothing else written.
    moto.python(&format!(
        "iam.detach_role_policy(RoleName='large-vendor', PolicyArn={LARGE_POLICY:?})"
    ));
    let mut detach = sample("cloudtrail/attach-role-policy.json");
    detach["detail"]["eventName"] = json!("DetachRolePolicy");
    detach["detail"]["eventID"] = json!("detach-large-1");
    detach["detail"]["requestParameters"] =
        json!({"roleName": "large-vendor", "policyArn": LARGE_POLICY});
    let answer = handle(&restorer, detach).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert_eq!(log.take_writes(), ["AttachRolePolicy"]);
    assert_eq!(snapshot(&moto, "large-vendor"), provisioned);

    // Edited (a new default version allowing everything): its document
    // is put back as a newer default version.
    moto.python(&format!(
        "iam.create_policy_version(PolicyArn={LARGE_POLICY:?}, SetAsDefault=True, PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]}}))"
    ));
    let mut edit = sample("cloudtrail/create-policy-version.json");
    edit["detail"]["eventID"] = json!("edit-large-1");
    edit["detail"]["requestParameters"]["policyArn"] = json!(LARGE_POLICY);
    let answer = handle(&restorer, edit).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert_eq!(log.take_writes(), ["CreatePolicyVersion"]);
    assert_eq!(large_policy_document(&moto), document);

    // A foreign managed policy attached beside them is drift: detached,
    // and Rolegate's stay.
    moto.python(
        "iam.create_policy(PolicyName='broad-access', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))\n\
         iam.attach_role_policy(RoleName='large-vendor', PolicyArn='arn:aws:iam::123456789012:policy/broad-access')",
    );
    let mut attach = sample("cloudtrail/attach-role-policy.json");
    attach["detail"]["eventID"] = json!("attach-large-1");
    attach["detail"]["requestParameters"]["roleName"] = json!("large-vendor");
    let answer = handle(&restorer, attach).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert_eq!(log.take_writes(), ["DetachRolePolicy"]);
    assert_eq!(snapshot(&moto, "large-vendor"), provisioned);
}

/// Onemata's EC2 role (seed 002), provisioned through the provisioner's
/// handler: EC2 assumes it, so Rolegate made its instance profile too.
async fn provisioned_ec2_role() -> rolegate_test_harness::Moto {
    use rolegate_test_harness::{Moto, invoke_event, provisioner, request};
    let moto = Moto::start();
    moto.capture_events();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let spec = json!({
        "RoleName": "onemata-ec2",
        "Trust": { "Service": "ec2" },
        "OutboundAssumeRoleArns": ["arn:aws:iam::999988887777:role/onemata-delivery-access"]
    });
    let event = request(&moto, "Create", "create-ec2", spec, None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (response, _) = moto.response("create-ec2").expect("a response");
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    moto.captured_events();
    moto
}

/// The CloudTrail event of an instance-profile call on `parameters`.
fn profile_call(event_name: &str, parameters: serde_json::Value) -> serde_json::Value {
    let mut event = sample("cloudtrail/add-role-to-instance-profile.json");
    event["detail"]["eventName"] = json!(event_name);
    event["detail"]["requestParameters"] = parameters;
    event["detail"]["eventID"] = json!(format!("{event_name}-1"));
    event
}

/// Path, roles and tags of instance profile `name`, or `null`.
fn instance_profile(moto: &rolegate_test_harness::Moto, name: &str) -> serde_json::Value {
    let out = moto.python(&format!(
        "try:\n    p = iam.get_instance_profile(InstanceProfileName={name:?})['InstanceProfile']\n    \
         print(json.dumps({{'Path': p['Path'], 'Roles': [r['RoleName'] for r in p['Roles']], 'Tags': {{x['Key']: x['Value'] for x in p.get('Tags', [])}}}}))\n\
         except iam.exceptions.NoSuchEntityException:\n    print('null')"
    ));
    serde_json::from_str(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ec2_role_taken_out_of_its_instance_profile_is_put_back() {
    let moto = provisioned_ec2_role().await;
    let provisioned = instance_profile(&moto, "onemata-ec2");
    assert_eq!(provisioned["Roles"], json!(["onemata-ec2"]));
    moto.python(
        "iam.remove_role_from_instance_profile(InstanceProfileName='onemata-ec2', RoleName='onemata-ec2')",
    );
    let (restorer, _) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(
        &restorer,
        profile_call(
            "RemoveRoleFromInstanceProfile",
            json!({"roleName": "onemata-ec2", "instanceProfileName": "onemata-ec2"}),
        ),
    )
    .await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert!(
        answer["Roles"][0]["Findings"]
            .to_string()
            .contains("AddRoleToInstanceProfile"),
        "{answer}"
    );
    assert_eq!(instance_profile(&moto, "onemata-ec2"), provisioned);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_instance_profile_of_an_ec2_role_is_made_again_as_rolegates() {
    let moto = provisioned_ec2_role().await;
    let provisioned = instance_profile(&moto, "onemata-ec2");
    moto.python(
        "iam.remove_role_from_instance_profile(InstanceProfileName='onemata-ec2', RoleName='onemata-ec2')\n\
         iam.delete_instance_profile(InstanceProfileName='onemata-ec2')",
    );
    assert_eq!(instance_profile(&moto, "onemata-ec2"), json!(null));
    let (restorer, _) = guard(&moto, RemediationMode::Restore).await;
    // The event names only the profile: Rolegate's bears its role's name.
    let answer = handle(
        &restorer,
        profile_call(
            "DeleteInstanceProfile",
            json!({"instanceProfileName": "onemata-ec2"}),
        ),
    )
    .await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert_eq!(instance_profile(&moto, "onemata-ec2"), provisioned);
}

/// The rule (reconcile/instance_profile.rs): a profile Rolegate did not
/// make holding the role is drift. Restore takes the role out of it and
/// keeps the customer's profile; quarantine leaves it (the role denies
/// everything); Rolegate's own profile stays as it is throughout.
#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_instance_profile_is_emptied_and_kept_or_left_under_quarantine() {
    let moto = provisioned_ec2_role().await;
    let own = instance_profile(&moto, "onemata-ec2");
    let add_to_fleet = "iam.create_instance_profile(InstanceProfileName='fleet')\n\
         iam.add_role_to_instance_profile(InstanceProfileName='fleet', RoleName='onemata-ec2')";
    moto.python(add_to_fleet);
    let event = profile_call(
        "AddRoleToInstanceProfile",
        json!({"roleName": "onemata-ec2", "instanceProfileName": "fleet"}),
    );

    let (restorer, _) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&restorer, event.clone()).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert!(
        answer["Roles"][0]["Findings"]
            .to_string()
            .contains("RemoveRoleFromInstanceProfile fleet"),
        "{answer}"
    );
    assert_eq!(
        instance_profile(&moto, "fleet")["Roles"],
        json!([]),
        "emptied"
    );
    assert_eq!(instance_profile(&moto, "onemata-ec2"), own);

    moto.python(
        "iam.add_role_to_instance_profile(InstanceProfileName='fleet', RoleName='onemata-ec2')",
    );
    let (quarantiner, _) = guard(&moto, RemediationMode::Quarantine).await;
    let answer = handle(&quarantiner, event).await;
    assert_eq!(answer["Roles"][0]["Status"], "quarantined", "{answer}");
    assert_eq!(
        instance_profile(&moto, "fleet")["Roles"],
        json!(["onemata-ec2"])
    );
    assert_eq!(instance_profile(&moto, "onemata-ec2"), own);
}
