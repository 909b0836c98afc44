//! The guard's promises beyond restoring: it never loops on its own
//! changes, handles a duplicate once, never touches a role that is not
//! Rolegate's, and its commands and sweep do what they say. Against moto.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{ROLE, detail_types, guard, handle, provisioned, report, sample, snapshot, tag};
use rolegate_policy::events::{ACCESS_REVOKED_DETAIL_TYPE, AccessRevoked};
use rolegate_policy::reconcile::quarantine::{DENY_ALL_POLICY, REVOKE_SESSIONS_POLICY};
use rolegate_policy::spec::RemediationMode;
use rolegate_test_harness::{Moto, invoke_event, provisioner, request};
use serde_json::json;

const WILDCARD: &str = "iam.put_role_policy(RoleName='atmosphere-s3', PolicyName='debug', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))";

#[tokio::test(flavor = "multi_thread")]
async fn the_guards_own_changes_cause_no_further_action() {
    let (moto, _) = provisioned().await;
    let (guard, log) = guard(&moto, RemediationMode::Restore).await;
    moto.python(WILDCARD);
    let answer = handle(&guard, sample("cloudtrail/put-role-policy-wildcard.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored");
    moto.captured_events();
    log.take();

    // The restore's own PutRolePolicy, as CloudTrail reports it.
    let answer = handle(
        &guard,
        sample("cloudtrail/put-role-policy-by-rolegate-guard.json"),
    )
    .await;
    assert!(
        answer["Ignored"]
            .as_str()
            .unwrap()
            .contains("Rolegate's own role"),
        "{answer}"
    );
    assert!(log.take().is_empty(), "not even a read");
    assert!(moto.captured_events().is_empty());

    // Were it delivered anyway, the restored role has nothing to fix.
    let (fresh, log) = common::guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&fresh, sample("cloudtrail/put-role-policy-wildcard.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "clean", "{answer}");
    assert!(log.take_writes().is_empty());
    assert!(moto.captured_events().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_event_is_handled_once() {
    let (moto, _) = provisioned().await;
    let (guard, log) = guard(&moto, RemediationMode::Report).await;
    moto.python(WILDCARD);
    let event = sample("cloudtrail/put-role-policy-wildcard.json");
    let first = handle(&guard, event.clone()).await;
    assert_eq!(first["Roles"][0]["Status"], "reported");
    assert_eq!(
        detail_types(&moto.captured_events()),
        ["Integration Role Drift Detected"]
    );
    log.take();

    let second = handle(&guard, event).await;
    assert!(
        second["Ignored"].as_str().unwrap().contains("duplicate"),
        "{second}"
    );
    assert!(log.take().is_empty());
    assert!(moto.captured_events().is_empty(), "reported once only");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unmanaged_role_with_the_same_tamper_is_left_untouched() {
    let moto = Moto::start();
    moto.capture_events();
    moto.python(
        "iam.create_role(RoleName='atmosphere-s3', Path='/integrations/', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::966208727603:root'}, 'Action': 'sts:AssumeRole'}]}))",
    );
    moto.python(WILDCARD);
    let before = snapshot(&moto, ROLE);
    for mode in [RemediationMode::Restore, RemediationMode::Quarantine] {
        let (guard, log) = guard(&moto, mode).await;
        let answer = handle(&guard, sample("cloudtrail/put-role-policy-wildcard.json")).await;
        assert_eq!(answer["Roles"][0]["Status"], "unmanaged", "{answer}");
        assert!(log.take_writes().is_empty());
    }
    assert_eq!(snapshot(&moto, ROLE), before);
    assert!(moto.captured_events().is_empty());

    // A command cannot reach it either.
    let (guard, log) = guard(&moto, RemediationMode::Restore).await;
    let refused = guard
        .handle(invoke_event(sample("commands/revoke.json")))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not managed by Rolegate"),
        "{refused}"
    );
    assert!(log.take_writes().is_empty());
    assert_eq!(snapshot(&moto, ROLE), before);
}

/// The second confinement (README, "Service roles") gives the guard IAM
/// power over `role/service-role/AWSGlueServiceRole*`, where a customer
/// may keep Glue roles of its own. Without Rolegate's tags, or with the
/// tags but no record sealed by the provisioner, such a role is never
/// changed, whatever the mode.
#[tokio::test(flavor = "multi_thread")]
async fn a_customers_own_glue_service_role_is_never_touched_even_tagged_as_rolegates() {
    const GLUE_ROLE: &str = "AWSGlueServiceRoleDefault";
    let moto = Moto::start();
    moto.capture_events();
    moto.python(&format!(
        "iam.create_role(RoleName='{GLUE_ROLE}', Path='/service-role/', AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'glue.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}}))\n\
         iam.put_role_policy(RoleName='{GLUE_ROLE}', PolicyName='debug', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]}}))"
    ));
    let mut event = sample("cloudtrail/put-role-policy-wildcard.json");
    event["detail"]["requestParameters"]["roleName"] = json!(GLUE_ROLE);
    let before = snapshot(&moto, GLUE_ROLE);
    for mode in [RemediationMode::Restore, RemediationMode::Quarantine] {
        let (guard, log) = guard(&moto, mode).await;
        let answer = handle(&guard, event.clone()).await;
        assert_eq!(answer["Roles"][0]["Status"], "unmanaged", "{answer}");
        assert!(log.take_writes().is_empty());
    }
    assert_eq!(snapshot(&moto, GLUE_ROLE), before);
    assert!(moto.captured_events().is_empty());

    // Rolegate's tags alone do not make it Rolegate's: there is no record
    // the provisioner sealed, so nothing is written.
    moto.python(&format!(
        "iam.tag_role(RoleName='{GLUE_ROLE}', Tags=[{{'Key': 'rolegate:managed', 'Value': 'true'}}])"
    ));
    let before = snapshot(&moto, GLUE_ROLE);
    for mode in [RemediationMode::Restore, RemediationMode::Quarantine] {
        let (guard, log) = guard(&moto, mode).await;
        handle(&guard, event.clone()).await;
        assert!(log.take_writes().is_empty(), "{mode:?}");
    }
    assert_eq!(snapshot(&moto, GLUE_ROLE), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_iam_call_is_ignored_without_reading_anything() {
    let (moto, _) = provisioned().await;
    let (guard, log) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&guard, sample("cloudtrail/put-role-policy-denied.json")).await;
    assert!(
        answer["Ignored"].as_str().unwrap().contains("AccessDenied"),
        "{answer}"
    );
    assert!(log.take().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_quarantines_at_once_and_restore_gives_access_back() {
    let (moto, external_id) = provisioned().await;
    let provisioned = snapshot(&moto, ROLE);
    let (guard, _) = guard(&moto, RemediationMode::Restore).await;

    let answer = handle(&guard, sample("commands/revoke.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "revoked", "{answer}");
    let live = snapshot(&moto, ROLE);
    assert!(live["Policies"].get(DENY_ALL_POLICY).is_some());
    assert!(live["Policies"].get(REVOKE_SESSIONS_POLICY).is_some());
    // The quarantine is kept on the role, where only IAM writers reach.
    assert_eq!(
        tag(&live, "rolegate:quarantine-reason"),
        Some("vendor offboarded: contract ended")
    );
    let events = moto.captured_events();
    assert_eq!(detail_types(&events), ["Integration Access Revoked"]);
    let revoked: AccessRevoked = report(&events[0], ACCESS_REVOKED_DETAIL_TYPE);
    assert!(revoked.role.after.quarantined);

    // A tamper while revoked: restore mode keeps the quarantine.
    moto.python(&format!(
        "iam.delete_role_policy(RoleName={ROLE:?}, PolicyName={DENY_ALL_POLICY:?})"
    ));
    let mut event = sample("cloudtrail/put-role-policy-wildcard.json");
    event["detail"]["eventName"] = json!("DeleteRolePolicy");
    let answer = handle(&guard, event).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert!(
        snapshot(&moto, ROLE)["Policies"]
            .get(DENY_ALL_POLICY)
            .is_some()
    );

    // A stack update does not lift it either.
    common::update_description(&moto).await;
    assert!(
        snapshot(&moto, ROLE)["Policies"]
            .get(DENY_ALL_POLICY)
            .is_some()
    );
    moto.captured_events();

    let answer = handle(&guard, sample("commands/restore.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "access-restored", "{answer}");
    let live = snapshot(&moto, ROLE);
    assert!(live["Policies"].get(DENY_ALL_POLICY).is_none());
    // Sessions issued before the revocation stay dead until they expire.
    assert!(live["Policies"].get(REVOKE_SESSIONS_POLICY).is_some());
    let mut expected = provisioned.clone();
    expected["Description"] = json!("Atmosphere reads exports (v2)");
    expected["Policies"][REVOKE_SESSIONS_POLICY] = live["Policies"][REVOKE_SESSIONS_POLICY].clone();
    expected["Tags"] = live["Tags"].clone(); // the new spec digest
    assert_eq!(live, expected);
    let events = moto.captured_events();
    assert_eq!(detail_types(&events), ["Integration Access Restored"]);
    assert!(
        !serde_json::to_string(&events)
            .unwrap()
            .contains(&external_id)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_version_of_an_attached_policy_rechecks_every_role_holding_it() {
    let (moto, _) = provisioned().await;
    moto.python(
        "iam.attach_role_policy(RoleName='atmosphere-s3', PolicyArn='arn:aws:iam::123456789012:policy/broad-access')\n\
         iam.create_policy_version(PolicyArn='arn:aws:iam::123456789012:policy/broad-access', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}), SetAsDefault=True)",
    );
    let (guard, _) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&guard, sample("cloudtrail/create-policy-version.json")).await;
    assert_eq!(answer["Roles"][0]["Role"], ROLE, "{answer}");
    assert_eq!(answer["Roles"][0]["Status"], "restored");
    assert_eq!(snapshot(&moto, ROLE)["Attached"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_revokes_expired_roles_and_resumes_where_it_stopped() {
    let (moto, _) = provisioned().await;
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    for (i, name) in ["expired-vendor", "unused-vendor"].iter().enumerate() {
        let mut spec = common::spec();
        spec["RoleName"] = json!(name);
        if i == 0 {
            spec["ExpiresAt"] = json!("2026-01-01T00:00:00Z");
        }
        let create = request(&moto, "Create", name, spec, None, None);
        let mut create = create;
        create["LogicalResourceId"] = json!(format!("Role{i}"));
        provisioner.handle(invoke_event(create)).await.unwrap();
        assert_eq!(moto.response(name).unwrap().0["Status"], "SUCCESS");
    }
    moto.python(WILDCARD);
    moto.captured_events();

    // One role per run, and no time to spare: each run must still progress.
    let (mut guard, _) = guard(&moto, RemediationMode::Restore).await;
    guard.default_budget = std::time::Duration::ZERO;
    std::sync::Arc::get_mut(&mut guard.config)
        .unwrap()
        .sweep_concurrency = 1;
    let mut statuses = Vec::new();
    for run in 0..3 {
        let mut event = sample("sweep.json");
        event["id"] = json!(format!("sweep-{run}"));
        let answer = handle(&guard, event).await;
        let sweep = &answer["Sweep"];
        assert_eq!(sweep["Checked"], 1, "{answer}");
        assert_eq!(sweep["Complete"], run == 2, "{answer}");
        assert_eq!(sweep["ResumedAfter"].is_null(), run == 0, "{answer}");
        for role in sweep["Roles"].as_array().unwrap() {
            statuses.push((
                role["Role"].as_str().unwrap().to_owned(),
                role["Status"].as_str().unwrap().to_owned(),
            ));
        }
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [
            ("atmosphere-s3".to_owned(), "restored".to_owned()),
            ("expired-vendor".to_owned(), "quarantined".to_owned()),
        ]
    );
    assert!(
        snapshot(&moto, "expired-vendor")["Policies"]
            .get(DENY_ALL_POLICY)
            .is_some()
    );
    assert!(
        snapshot(&moto, "unused-vendor")["Policies"]
            .get(DENY_ALL_POLICY)
            .is_none()
    );

    // A full sweep afterwards finds nothing left to do.
    let mut guard = guard;
    guard.default_budget = std::time::Duration::from_secs(60);
    std::sync::Arc::get_mut(&mut guard.config)
        .unwrap()
        .sweep_concurrency = 4;
    let mut event = sample("sweep.json");
    event["id"] = json!("sweep-final");
    let answer = handle(&guard, event).await;
    assert_eq!(answer["Sweep"]["Checked"], 3, "{answer}");
    assert_eq!(answer["Sweep"]["Roles"], json!([]), "{answer}");
    assert_eq!(answer["Sweep"]["Complete"], true);
}
