//! The `Custom::IntegrationRole` lifecycle against moto: IAM, SSM and
//! EventBridge are moto's, and every response travels through a presigned
//! moto S3 URL and is read back from the bucket.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use rolegate_test_harness as support;

use serde_json::{Value, json};
use support::{Moto, invoke_event, provisioner, request};

fn spec() -> Value {
    json!({
        "RoleName": "atmosphere-s3",
        "Description": "Atmosphere reads exports",
        "Trust": { "Principals": ["966208727603"] },
        "Conditions": { "RequireSecureTransport": "true" },
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": "atmosphere-exports" }
        ],
        "Tags": [ { "Key": "vendor", "Value": "atmosphere" } ]
    })
}

fn live_role(moto: &Moto, name: &str) -> Value {
    let out = moto.python(&format!(
        "r = iam.get_role(RoleName={name:?})['Role']\n\
         p = {{n: iam.get_role_policy(RoleName={name:?}, PolicyName=n)['PolicyDocument'] for n in iam.list_role_policies(RoleName={name:?})['PolicyNames']}}\n\
         print(json.dumps({{'Role': r, 'Policies': p}}, default=str))"
    ));
    serde_json::from_str(&out).unwrap()
}

fn role_exists(moto: &Moto, name: &str) -> bool {
    moto.python(&format!(
        "try:\n    iam.get_role(RoleName={name:?}); print('yes')\nexcept iam.exceptions.NoSuchEntityException:\n    print('no')"
    )) == "yes"
}

#[tokio::test(flavor = "multi_thread")]
async fn create_makes_the_role_in_two_rounds_and_answers_with_its_arn() {
    let moto = Moto::start();
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let event = request(&moto, "Create", "create-1", spec(), None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (response, _) = moto.response("create-1").expect("a response was delivered");
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    let arn = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";
    assert_eq!(response["PhysicalResourceId"], arn);
    assert_eq!(response["Data"]["Arn"], arn);
    assert_eq!(response["NoEcho"], true);
    let external_id = response["Data"]["ExternalId"].as_str().unwrap();
    assert_eq!(external_id.len(), 40);
    assert_eq!(log.take_writes(), ["CreateRole", "PutRolePolicy"]);

    let live = live_role(&moto, "atmosphere-s3");
    let trust = live["Role"]["AssumeRolePolicyDocument"].to_string();
    assert!(trust.contains(external_id), "{trust}");
    let tags = live["Role"]["Tags"].to_string();
    assert!(
        tags.contains("rolegate:stack-id") && tags.contains("VendorRole"),
        "{tags}"
    );
}

fn record_count(moto: &Moto) -> String {
    moto.python(
        "print(len(ssm.get_parameters_by_path(Path='/rolegate/roles/', Recursive=True)['Parameters']))",
    )
}

fn writes_of(log: &support::CallLog) -> Vec<String> {
    let mut w = log.take_writes();
    w.sort();
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_create_noop_update_in_place_update_replacement_and_delete_of_both() {
    let moto = Moto::start();
    moto.python(
        "events.create_event_bus(Name='vendor-bus')\n\
         q = sqs.create_queue(QueueName='ready')['QueueUrl']\n\
         qa = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
         events.put_rule(Name='ready', EventBusName='vendor-bus', EventPattern=json.dumps({'source': ['rolegate.provisioner']}))\n\
         events.put_targets(Rule='ready', EventBusName='vendor-bus', Targets=[{'Id': 'q', 'Arn': qa}])\n\
         iam.create_policy(PolicyName='vendor-boundary', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))",
    );
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let mut props = spec();
    props["NotifyEventBusArn"] =
        json!("arn:aws:events:us-east-1:123456789012:event-bus/vendor-bus");

    // Create.
    let create = request(&moto, "Create", "c1", props.clone(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (created, _) = moto.response("c1").unwrap();
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let arn = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    let external_id = created["Data"]["ExternalId"].as_str().unwrap().to_owned();
    assert_eq!(writes_of(&log), ["CreateRole", "PutRolePolicy"]);
    let ready = moto.python(
        "q = sqs.get_queue_url(QueueName='ready')['QueueUrl']\n\
         m = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=2).get('Messages', [])\n\
         print(json.dumps([json.loads(x['Body']) for x in m]))",
    );
    let ready: Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(ready[0]["detail-type"], "Integration Role Ready", "{ready}");
    assert_eq!(ready[0]["detail"]["RoleArn"], arn.as_str());
    assert_eq!(ready[0]["detail"]["ExternalId"], external_id.as_str());
    assert_eq!(ready[0]["detail"]["Grants"][0]["Service"], "s3");
    let record = moto.python(
        "print(ssm.get_parameter(Name='/rolegate/roles/atmosphere-s3', WithDecryption=True)['Parameter']['Value'])",
    );
    assert!(
        record.contains(&external_id),
        "the record keeps the generated ExternalId"
    );

    // Update that changes nothing: zero IAM writes, same id, same ExternalId.
    let noop = request(
        &moto,
        "Update",
        "u1",
        props.clone(),
        Some(&arn),
        Some(props.clone()),
    );
    provisioner.handle(invoke_event(noop)).await.unwrap();
    let (same, _) = moto.response("u1").unwrap();
    assert_eq!(same["Status"], "SUCCESS", "{same}");
    assert_eq!(same["PhysicalResourceId"], arn.as_str());
    assert_eq!(same["Data"]["ExternalId"], external_id.as_str());
    assert_eq!(
        writes_of(&log),
        Vec::<String>::new(),
        "a no-op update writes nothing"
    );

    // In-place update: grant added and removed, tags, boundary, session length.
    let mut changed = props.clone();
    changed["Grants"] = json!([
        { "Service": "sqs", "Access": "send", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:jobs" }
    ]);
    changed["Tags"] = json!([{ "Key": "vendor", "Value": "atmosphere-2" }]);
    changed["MaxSessionDuration"] = json!("7200");
    changed["PermissionsBoundaryArn"] = json!("arn:aws:iam::123456789012:policy/vendor-boundary");
    let in_place = request(
        &moto,
        "Update",
        "u2",
        changed.clone(),
        Some(&arn),
        Some(props.clone()),
    );
    provisioner.handle(invoke_event(in_place)).await.unwrap();
    let (updated, _) = moto.response("u2").unwrap();
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_eq!(
        updated["PhysicalResourceId"],
        arn.as_str(),
        "in place keeps the id"
    );
    assert_eq!(updated["Data"]["ExternalId"], external_id.as_str());
    assert_eq!(
        writes_of(&log),
        [
            "DeleteRolePolicy",
            "PutRolePermissionsBoundary",
            "PutRolePolicy",
            "TagRole",
            "UpdateRole"
        ]
    );
    let live = live_role(&moto, "atmosphere-s3");
    assert_eq!(live["Role"]["MaxSessionDuration"], 7200);
    let policies = live["Policies"].to_string();
    assert!(
        policies.contains("sqs:SendMessage") && !policies.contains("s3:GetObject"),
        "{policies}"
    );

    // Replacement: a new name is a new role and a new physical id.
    let mut renamed = changed.clone();
    renamed["RoleName"] = json!("atmosphere-s3-v2");
    let replace = request(
        &moto,
        "Update",
        "u3",
        renamed.clone(),
        Some(&arn),
        Some(changed.clone()),
    );
    provisioner.handle(invoke_event(replace)).await.unwrap();
    let (replaced, _) = moto.response("u3").unwrap();
    assert_eq!(replaced["Status"], "SUCCESS", "{replaced}");
    let new_arn = replaced["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert_eq!(
        new_arn,
        "arn:aws:iam::123456789012:role/integrations/atmosphere-s3-v2"
    );
    assert!(role_exists(&moto, "atmosphere-s3") && role_exists(&moto, "atmosphere-s3-v2"));
    log.take();

    // CloudFormation then deletes the old role, and later the new one.
    let announced = |moto: &Moto| -> Vec<Value> {
        let out = moto.python(
            "q = sqs.get_queue_url(QueueName='ready')['QueueUrl']\n\
             got = []\n\
             while True:\n    m = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', [])\n    if not m: break\n    got += [json.loads(x['Body']) for x in m]\n    sqs.delete_message_batch(QueueUrl=q, Entries=[{'Id': str(i), 'ReceiptHandle': x['ReceiptHandle']} for i, x in enumerate(m)])\n\
             print(json.dumps(got))",
        );
        serde_json::from_str(&out).unwrap()
    };
    let removed = |events: &[Value]| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["detail-type"] == "Integration Role Removed")
            .cloned()
            .collect()
    };
    announced(&moto);
    let delete_old = request(&moto, "Delete", "d1", changed.clone(), Some(&arn), None);
    provisioner.handle(invoke_event(delete_old)).await.unwrap();
    assert_eq!(moto.response("d1").unwrap().0["Status"], "SUCCESS");
    assert!(!role_exists(&moto, "atmosphere-s3") && role_exists(&moto, "atmosphere-s3-v2"));
    // The old role is announced removed: the vendor's registry holds it
    // under its own ARN, beside the new role the Ready registered.
    let old_gone = removed(&announced(&moto));
    assert_eq!(old_gone.len(), 1, "{old_gone:?}");
    assert_eq!(old_gone[0]["detail"]["RoleArn"], arn.as_str());
    assert_eq!(old_gone[0]["detail"]["RoleName"], "atmosphere-s3");
    let delete_new = request(&moto, "Delete", "d2", renamed, Some(&new_arn), None);
    provisioner.handle(invoke_event(delete_new)).await.unwrap();
    assert_eq!(moto.response("d2").unwrap().0["Status"], "SUCCESS");
    assert!(!role_exists(&moto, "atmosphere-s3-v2"));
    let gone = removed(&announced(&moto));
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(gone[0]["source"], "rolegate.provisioner");
    assert_eq!(
        gone[0]["detail"],
        json!({"RoleArn": new_arn, "RoleName": "atmosphere-s3-v2",
               "Account": "123456789012", "Region": "us-east-1"}),
        "Ready's binding fields, no ExternalId"
    );
    let records = moto.python(
        "print(len(ssm.get_parameters_by_path(Path='/rolegate/roles/', Recursive=True)['Parameters']))",
    );
    assert_eq!(records, "0", "deletes remove the stored specs");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_after_a_failed_create_succeeds_without_any_iam_write() {
    let moto = Moto::start();
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let mut bad = spec();
    bad["MaxSessionDuration"] = json!("99999");
    provisioner
        .handle(invoke_event(request(
            &moto,
            "Create",
            "c1",
            bad.clone(),
            None,
            None,
        )))
        .await
        .unwrap();
    let (failed, _) = moto.response("c1").unwrap();
    assert_eq!(failed["Status"], "FAILED");
    let id = failed["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("rolegate-failed-create:"), "{id}");

    provisioner
        .handle(invoke_event(request(
            &moto,
            "Delete",
            "d1",
            bad,
            Some(&id),
            None,
        )))
        .await
        .unwrap();
    let (deleted, _) = moto.response("d1").unwrap();
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert_eq!(deleted["PhysicalResourceId"], id.as_str());
    assert_eq!(log.take_writes(), Vec::<String>::new(), "no IAM write");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_after_a_create_that_answered_failed_still_removes_a_role_it_made() {
    // A Create that wrote to IAM answers with the role's ARN; should it
    // ever answer a failed-create id instead, the Delete still finds the
    // role under the name that Create would have used.
    let moto = Moto::start();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let mut generated = spec();
    generated.as_object_mut().unwrap().remove("RoleName");
    generated["RoleNamePrefix"] = json!("vendor-");
    provisioner
        .handle(invoke_event(request(
            &moto,
            "Create",
            "c1",
            generated.clone(),
            None,
            None,
        )))
        .await
        .unwrap();
    let (created, _) = moto.response("c1").unwrap();
    let name = created["Data"]["RoleName"].as_str().unwrap().to_owned();
    assert!(role_exists(&moto, &name));

    let failed_id = "rolegate-failed-create:VendorRole:c1";
    provisioner
        .handle(invoke_event(request(
            &moto,
            "Delete",
            "d1",
            generated,
            Some(failed_id),
            None,
        )))
        .await
        .unwrap();
    let (deleted, _) = moto.response("d1").unwrap();
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert!(!role_exists(&moto, &name), "{deleted}");
    let records = moto.python(
        "print(len(ssm.get_parameters_by_path(Path='/rolegate/roles/', Recursive=True)['Parameters']))",
    );
    assert_eq!(records, "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_create_delivery_yields_the_same_role_and_external_id() {
    let moto = Moto::start();
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let mut props = spec();
    props.as_object_mut().unwrap().remove("RoleName");
    props["RoleNamePrefix"] = json!("atmosphere");
    let event = request(&moto, "Create", "c1", props, None, None);
    provisioner
        .handle(invoke_event(event.clone()))
        .await
        .unwrap();
    let (first, _) = moto.response("c1").unwrap();
    log.take();
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (second, _) = moto.response("c1").unwrap();
    assert_eq!(first["Status"], "SUCCESS", "{first}");
    assert_eq!(second["Status"], "SUCCESS", "{second}");
    assert_eq!(first["PhysicalResourceId"], second["PhysicalResourceId"]);
    assert_eq!(first["Data"]["ExternalId"], second["Data"]["ExternalId"]);
    assert_eq!(
        log.take_writes(),
        ["CreateRole"],
        "only the refused CreateRole"
    );
    let roles = moto.python(
        "print(len([r for r in iam.list_roles()['Roles'] if r['RoleName'].startswith('atmosphere-')]))",
    );
    assert_eq!(roles, "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_the_stack_does_not_own_is_never_adopted_or_deleted_and_the_refused_create_leaves_no_record()
 {
    let moto = Moto::start();
    moto.python(
        "iam.create_role(RoleName='atmosphere-s3', Path='/integrations/', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': []}))",
    );
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    provisioner
        .handle(invoke_event(request(
            &moto,
            "Create",
            "c1",
            spec(),
            None,
            None,
        )))
        .await
        .unwrap();
    let (refused, _) = moto.response("c1").unwrap();
    assert_eq!(refused["Status"], "FAILED");
    let reason = refused["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with("RoleName: role atmosphere-s3 already exists"),
        "{reason}"
    );
    // The record the Create wrote beside its refused CreateRole is gone
    // with no Delete sent; the foreign role is untouched.
    assert!(
        reason.ends_with(
            "is not this stack's and was left untouched; any record this create wrote was removed"
        ),
        "{reason}"
    );
    assert_eq!(
        refused["PhysicalResourceId"],
        "rolegate-failed-create:VendorRole:c1"
    );
    assert_eq!(record_count(&moto), "0", "{refused}");

    let arn = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";
    log.take();
    provisioner
        .handle(invoke_event(request(
            &moto,
            "Delete",
            "d1",
            spec(),
            Some(arn),
            None,
        )))
        .await
        .unwrap();
    let (deleted, _) = moto.response("d1").unwrap();
    assert_eq!(deleted["Status"], "SUCCESS");
    assert!(
        deleted["Reason"]
            .as_str()
            .unwrap()
            .contains("not managed by this stack"),
        "{deleted}"
    );
    assert_eq!(log.take_writes(), Vec::<String>::new());
    assert!(
        role_exists(&moto, "atmosphere-s3"),
        "the foreign role stays"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_of_a_name_another_resource_holds_leaves_its_role_and_record_as_they_were() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let (provisioner, _) = provisioner(&config);
    let create = request(&moto, "Create", "c1", spec(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    assert_eq!(moto.response("c1").unwrap().0["Status"], "SUCCESS");

    // Another resource (here another logical id) asks for the same name.
    let mut other = request(&moto, "Create", "c2", spec(), None, None);
    other["LogicalResourceId"] = json!("OtherRole");
    provisioner.handle(invoke_event(other)).await.unwrap();
    let (refused, _) = moto.response("c2").unwrap();
    assert_eq!(refused["Status"], "FAILED");
    assert!(
        refused["Reason"]
            .as_str()
            .unwrap()
            .starts_with("RoleName: role atmosphere-s3 already exists"),
        "{refused}"
    );

    // The first resource's record was not overwritten: it still matches
    // its role, sealed, naming its own logical id.
    let clients =
        rolegate_aws::Clients::new(&config).with_record_key(Some(support::RECORD_KEY.into()));
    let (_, record) = support::role_as_recorded(&clients, "atmosphere-s3")
        .await
        .unwrap();
    assert_eq!(record.logical_resource_id, "VendorRole");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployments_boundary_goes_on_every_role_and_into_its_record() {
    let moto = Moto::start();
    let boundary = "arn:aws:iam::123456789012:policy/rolegate-integration-boundary";
    moto.python("iam.create_policy(PolicyName='rolegate-integration-boundary', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))");
    let (mut provisioner, _) = provisioner(&moto.sdk_config().await);
    provisioner.config = rolegate_provisioner::config::ProvisionerConfig {
        rules: rolegate_policy::spec::DeploymentRules {
            boundary_arn: Some(boundary.into()),
            role_path: Some("/integrations/".into()),
        },
        ..Default::default()
    };
    let event = request(&moto, "Create", "create-b", spec(), None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    assert_eq!(moto.response("create-b").unwrap().0["Status"], "SUCCESS");
    let live = live_role(&moto, "atmosphere-s3");
    assert_eq!(
        live["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        boundary
    );
    let record = moto.python("print(ssm.get_parameter(Name='/rolegate/roles/atmosphere-s3', WithDecryption=True)['Parameter']['Value'])");
    assert!(record.contains(boundary), "{record}");

    let mut other = spec();
    other["RoleName"] = json!("elsewhere");
    other["Path"] = json!("/admin/");
    let event = request(&moto, "Create", "create-p", other, None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (response, _) = moto.response("create-p").unwrap();
    assert_eq!(response["Status"], "FAILED");
    assert!(
        response["Reason"]
            .as_str()
            .unwrap()
            .starts_with("Path: /admin/ is outside /integrations/"),
        "{response}"
    );
    assert!(!role_exists(&moto, "elsewhere"));
}

fn glue_spec(name: &str) -> Value {
    json!({
        "RoleName": name,
        "Path": "/service-role/",
        "Description": "Glue crawlers and jobs over Onemata data",
        "Trust": { "Service": "glue" },
        "Grants": [
            { "Service": "glue", "Access": "read-write", "Database": "onemata" },
            { "Service": "s3", "Access": "read", "Bucket": "onemata-glue-scratch", "Prefix": "scripts/" }
        ]
    })
}

/// The second confinement (README, "Service roles"): a Glue role lives at
/// /service-role/ named AWSGlueServiceRole*, with the deployment's
/// boundary, and a customer's own role there, which carries neither
/// Rolegate's tags nor a sealed record, is never adopted, changed or
/// deleted.
#[tokio::test(flavor = "multi_thread")]
async fn a_glue_role_is_made_at_service_role_and_a_customers_own_glue_role_there_is_never_touched()
{
    let moto = Moto::start();
    let boundary = "arn:aws:iam::123456789012:policy/rolegate-integration-boundary";
    moto.python("iam.create_policy(PolicyName='rolegate-integration-boundary', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))");
    moto.python(
        "iam.create_role(RoleName='AWSGlueServiceRoleDefault', Path='/service-role/', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'glue.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}))\n\
         iam.put_role_policy(RoleName='AWSGlueServiceRoleDefault', PolicyName='customers-own', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': '*'}]}))",
    );
    let customers = live_role(&moto, "AWSGlueServiceRoleDefault");
    let (mut provisioner, log) = provisioner(&moto.sdk_config().await);
    provisioner.config = rolegate_provisioner::config::ProvisionerConfig {
        rules: rolegate_policy::spec::DeploymentRules {
            boundary_arn: Some(boundary.into()),
            role_path: Some("/integrations/".into()),
        },
        ..Default::default()
    };

    let event = request(
        &moto,
        "Create",
        "glue-1",
        glue_spec("AWSGlueServiceRole-onemata"),
        None,
        None,
    );
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (made, _) = moto.response("glue-1").unwrap();
    assert_eq!(made["Status"], "SUCCESS", "{made}");
    let arn = "arn:aws:iam::123456789012:role/service-role/AWSGlueServiceRole-onemata";
    assert_eq!(made["PhysicalResourceId"], arn);
    let live = live_role(&moto, "AWSGlueServiceRole-onemata");
    assert_eq!(live["Role"]["Path"], "/service-role/");
    assert_eq!(
        live["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        boundary
    );
    // Glue documents sending neither aws:SourceAccount nor aws:SourceArn:
    // the trust requires none, so Glue can assume it.
    let trust = &live["Role"]["AssumeRolePolicyDocument"];
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "glue.amazonaws.com"
    );
    assert!(trust["Statement"][0].get("Condition").is_none(), "{trust}");

    // The customer's own role at the same path: refused, left as it was.
    log.take();
    let mut create = request(
        &moto,
        "Create",
        "glue-2",
        glue_spec("AWSGlueServiceRoleDefault"),
        None,
        None,
    );
    create["LogicalResourceId"] = json!("CustomersName");
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (refused, _) = moto.response("glue-2").unwrap();
    assert_eq!(refused["Status"], "FAILED");
    assert!(
        refused["Reason"]
            .as_str()
            .unwrap()
            .starts_with("RoleName: role AWSGlueServiceRoleDefault already exists"),
        "{refused}"
    );
    let customers_arn = "arn:aws:iam::123456789012:role/service-role/AWSGlueServiceRoleDefault";
    let delete = request(
        &moto,
        "Delete",
        "glue-3",
        glue_spec("AWSGlueServiceRoleDefault"),
        Some(customers_arn),
        None,
    );
    provisioner.handle(invoke_event(delete)).await.unwrap();
    let (deleted, _) = moto.response("glue-3").unwrap();
    assert_eq!(deleted["Status"], "SUCCESS");
    assert!(
        deleted["Reason"]
            .as_str()
            .unwrap()
            .contains("not managed by this stack"),
        "{deleted}"
    );
    let writes = log.take_writes();
    assert!(
        writes.iter().all(|w| w == "CreateRole"),
        "only the refused CreateRole: {writes:?}"
    );
    assert_eq!(live_role(&moto, "AWSGlueServiceRoleDefault"), customers);

    // Another name at /service-role/ is refused before any I/O.
    log.take();
    let event = request(
        &moto,
        "Create",
        "glue-4",
        glue_spec("onemata-glue"),
        None,
        None,
    );
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (named, _) = moto.response("glue-4").unwrap();
    assert_eq!(named["Status"], "FAILED");
    assert!(
        named["Reason"]
            .as_str()
            .unwrap()
            .starts_with("RoleName: onemata-glue must start with AWSGlueServiceRole"),
        "{named}"
    );
    assert_eq!(log.take_writes(), Vec::<String>::new());
    assert!(!role_exists(&moto, "onemata-glue"));

    // Rolegate's own Glue role is deleted as any of its roles.
    let delete = request(
        &moto,
        "Delete",
        "glue-5",
        glue_spec("AWSGlueServiceRole-onemata"),
        Some(arn),
        None,
    );
    provisioner.handle(invoke_event(delete)).await.unwrap();
    assert_eq!(moto.response("glue-5").unwrap().0["Status"], "SUCCESS");
    assert!(!role_exists(&moto, "AWSGlueServiceRole-onemata"));
    assert!(role_exists(&moto, "AWSGlueServiceRoleDefault"));
}

/// The quarantine tags the guard puts on a role it revokes.
fn quarantine_role(moto: &Moto, name: &str) {
    moto.python(&format!(
        "iam.tag_role(RoleName={name:?}, Tags=[{{'Key': 'rolegate:quarantine', 'Value': '2026-11-23T10:00:00Z'}}, {{'Key': 'rolegate:quarantine-reason', 'Value': 'offboarded'}}])\n\
         iam.put_role_policy(RoleName={name:?}, PolicyName='rolegate-quarantine-deny-all', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Sid': 'RolegateQuarantineDenyAll', 'Effect': 'Deny', 'Action': '*', 'Resource': '*'}}]}}))"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replacement_keeps_the_generated_external_id_and_the_quarantine_of_the_role_it_replaces()
{
    let moto = Moto::start();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let create = request(&moto, "Create", "create-1", spec(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (created, _) = moto.response("create-1").unwrap();
    let external_id = created["Data"]["ExternalId"].as_str().unwrap().to_owned();
    let old_arn = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    quarantine_role(&moto, "atmosphere-s3");

    let mut renamed = spec();
    renamed["RoleName"] = json!("atmosphere-s3-v2");
    let update = request(
        &moto,
        "Update",
        "update-1",
        renamed,
        Some(&old_arn),
        Some(spec()),
    );
    provisioner.handle(invoke_event(update)).await.unwrap();
    let (updated, _) = moto.response("update-1").unwrap();
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_ne!(updated["PhysicalResourceId"], old_arn.as_str());
    assert_eq!(updated["Data"]["ExternalId"], external_id.as_str());

    let live = live_role(&moto, "atmosphere-s3-v2");
    let trust = live["Role"]["AssumeRolePolicyDocument"].to_string();
    assert!(trust.contains(&external_id), "{trust}");
    assert!(
        live["Policies"]
            .get("rolegate-quarantine-deny-all")
            .is_some(),
        "the revoked vendor has access again: {live}"
    );
    assert!(
        live["Role"]["Tags"]
            .to_string()
            .contains("2026-11-23T10:00:00Z")
    );
}

/// IEX Apperate's properties (seed 001) with its two vendor parameters as
/// CloudFormation passes them: `""` while left at their default.
fn apperate(user: &str, external_id: &str) -> Value {
    json!({
        "RoleNamePrefix": "iex-apperate",
        "Trust": { "Principals": [user] },
        "ExternalId": external_id,
        "NotifyEventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/vendor-bus",
        "Grants": [{ "Service": "s3", "Access": "read", "Bucket": "customer-market-data",
                     "Prefix": "exports/", "IncludeVersions": "true" }]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_vendor_trust_is_created_assumable_by_nobody_and_the_vendors_values_update_it_in_place()
 {
    let moto = Moto::start();
    moto.python(
        "events.create_event_bus(Name='vendor-bus')\n\
         q = sqs.create_queue(QueueName='ready')['QueueUrl']\n\
         qa = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
         events.put_rule(Name='ready', EventBusName='vendor-bus', EventPattern=json.dumps({'source': ['rolegate.provisioner']}))\n\
         events.put_targets(Rule='ready', EventBusName='vendor-bus', Targets=[{'Id': 'q', 'Arn': qa}])",
    );
    let ready = |moto: &Moto| -> Value {
        let out = moto.python(
            "q = sqs.get_queue_url(QueueName='ready')['QueueUrl']\n\
             m = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', [])\n\
             print(json.dumps([json.loads(x['Body']) for x in m]))",
        );
        serde_json::from_str(&out).unwrap()
    };
    let (provisioner, log) = provisioner(&moto.sdk_config().await);

    // Create before the vendor has issued anything.
    let pending = apperate("", "");
    let create = request(&moto, "Create", "p1", pending.clone(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (created, _) = moto.response("p1").unwrap();
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let arn = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(created["Data"].get("ExternalId").is_none(), "{created}");
    assert!(
        created["Reason"]
            .as_str()
            .unwrap()
            .contains("trust pending"),
        "{created}"
    );
    let name = created["Data"]["RoleName"].as_str().unwrap().to_owned();
    let trust = live_role(&moto, &name)["Role"]["AssumeRolePolicyDocument"].clone();
    let statements = trust["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{trust}");
    assert_eq!(statements[0]["Effect"], "Deny", "{trust}");
    assert_eq!(statements[0]["Principal"], "*", "{trust}");
    assert_eq!(ready(&moto), json!([]), "no Ready while nobody may assume");
    writes_of(&log);

    // The Update with what the vendor issued: same role, new trust.
    let user = "arn:aws:iam::444455556666:user/apperate-integration";
    let issued = "iex-5f0c2a9e-apperate";
    let filled = apperate(user, issued);
    let update = request(
        &moto,
        "Update",
        "p2",
        filled.clone(),
        Some(&arn),
        Some(pending.clone()),
    );
    provisioner.handle(invoke_event(update)).await.unwrap();
    let (updated, _) = moto.response("p2").unwrap();
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_eq!(updated["PhysicalResourceId"], arn.as_str(), "in place");
    assert_eq!(updated["Data"]["ExternalId"], issued, "used as given");
    // The trust and the spec-digest tag: no CreateRole, no DeleteRole.
    assert_eq!(writes_of(&log), ["TagRole", "UpdateAssumeRolePolicy"]);
    let trust = live_role(&moto, &name)["Role"]["AssumeRolePolicyDocument"].clone();
    let statement = &trust["Statement"][0];
    assert_eq!(statement["Effect"], "Allow", "{trust}");
    assert_eq!(statement["Principal"]["AWS"], user, "{trust}");
    assert_eq!(
        statement["Condition"]["StringEquals"]["sts:ExternalId"], issued,
        "{trust}"
    );
    let sent = ready(&moto);
    assert_eq!(sent[0]["detail"]["RoleArn"], arn.as_str(), "{sent}");
    assert_eq!(sent[0]["detail"]["ExternalId"], issued, "{sent}");

    // Half of the vendor's answer fails the Update and writes nothing.
    let half = apperate(user, "");
    let update = request(
        &moto,
        "Update",
        "p3",
        half,
        Some(&arn),
        Some(filled.clone()),
    );
    provisioner.handle(invoke_event(update)).await.unwrap();
    let (refused, _) = moto.response("p3").unwrap();
    assert_eq!(refused["Status"], "FAILED", "{refused}");
    assert!(
        refused["Reason"]
            .as_str()
            .unwrap()
            .starts_with("ExternalId"),
        "{refused}"
    );
    assert_eq!(writes_of(&log), Vec::<String>::new());

    // A Removed that cannot be put (the vendor's bus is gone) does not
    // fail the Delete: the role is removed, the answer says what was not sent.
    moto.python("events.delete_event_bus(Name='vendor-bus')");
    let delete = request(&moto, "Delete", "p4", filled, Some(&arn), None);
    provisioner.handle(invoke_event(delete)).await.unwrap();
    let (deleted, _) = moto.response("p4").unwrap();
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert!(!role_exists(&moto, &name));
    assert!(
        deleted["Reason"]
            .as_str()
            .unwrap()
            .contains("Integration Role Removed was not sent"),
        "{deleted}"
    );

    // A role whose trust is still pending was never announced, so its
    // Delete announces nothing.
    moto.python(
        "events.create_event_bus(Name='vendor-bus')\n\
         qa = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName='ready')['QueueUrl'], AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
         events.put_rule(Name='ready', EventBusName='vendor-bus', EventPattern=json.dumps({'source': ['rolegate.provisioner']}))\n\
         events.put_targets(Rule='ready', EventBusName='vendor-bus', Targets=[{'Id': 'q', 'Arn': qa}])",
    );
    let create = request(&moto, "Create", "p5", pending.clone(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (created, _) = moto.response("p5").unwrap();
    let arn = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    let delete = request(&moto, "Delete", "p6", pending, Some(&arn), None);
    provisioner.handle(invoke_event(delete)).await.unwrap();
    assert_eq!(moto.response("p6").unwrap().0["Status"], "SUCCESS");
    // (The Ready of p2, received and not deleted, may come back: only a
    // Removed would be wrong.)
    let sent = ready(&moto);
    assert!(
        !sent.to_string().contains("Integration Role Removed"),
        "no Removed for a role never announced: {sent}"
    );
}

// ------------------------------------------------ Custom::IntegrationPolicy

const NODE_ROLE: &str = "arn:aws:iam::123456789012:role/atc-node";
const NODE_ROLE_2: &str = "arn:aws:iam::123456789012:role/atc-node-2";

/// The customer's own role, as it was before Rolegate: a trust, a tag and
/// an inline policy of its own.
fn customer_role(moto: &Moto, name: &str) {
    moto.python(&format!(
        "iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'ec2.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}}), Tags=[{{'Key': 'team', 'Value': 'atc'}}])\n\
         iam.put_role_policy(RoleName={name:?}, PolicyName='customer-own', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'ec2:DescribeInstances', 'Resource': '*'}}]}}))"
    ));
}

fn policy_spec(role_arn: &str) -> Value {
    json!({
        "RoleArn": role_arn,
        "Grants": [{ "Service": "s3", "Access": "read-write", "Bucket": "aspera-transfers" }],
        "Conditions": { "RequireSecureTransport": "true" },
    })
}

fn policy_request(
    moto: &Moto,
    kind: &str,
    id: &str,
    props: Value,
    physical: Option<&str>,
) -> Value {
    let old = (kind == "Update").then(|| props.clone());
    let mut event = request(moto, kind, id, props, physical, old);
    event["ResourceType"] = json!("Custom::IntegrationPolicy");
    event["LogicalResourceId"] = json!("AtcNodePolicy");
    event
}

fn policy_provisioner(
    moto_config: &aws_config::SdkConfig,
) -> (rolegate_provisioner::Provisioner, support::CallLog) {
    let (mut provisioner, log) = provisioner(moto_config);
    provisioner.config.integration_policy_roles = vec![NODE_ROLE.into(), NODE_ROLE_2.into()];
    (provisioner, log)
}

fn policy_records(moto: &Moto) -> String {
    moto.python(
        "print(sorted(p['Name'] for p in ssm.get_parameters_by_path(Path='/rolegate/policies/', Recursive=True)['Parameters']))",
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_integration_policy_is_written_updated_moved_and_deleted_and_nothing_else_of_the_role_changes()
 {
    let moto = Moto::start();
    customer_role(&moto, "atc-node");
    customer_role(&moto, "atc-node-2");
    let before = live_role(&moto, "atc-node");
    let (provisioner, log) = policy_provisioner(&moto.sdk_config().await);

    let create = policy_request(&moto, "Create", "p1", policy_spec(NODE_ROLE), None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (created, _) = moto.response("p1").unwrap();
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let id = format!("{NODE_ROLE}#rolegate-AtcNodePolicy");
    assert_eq!(created["PhysicalResourceId"], id.as_str());
    assert_eq!(created["Data"]["PolicyName"], "rolegate-AtcNodePolicy");
    assert_eq!(writes_of(&log), ["PutRolePolicy"]);
    let live = live_role(&moto, "atc-node");
    let ours = live["Policies"]["rolegate-AtcNodePolicy"].to_string();
    assert!(
        ours.contains("s3:PutObject") && ours.contains("aws:SecureTransport"),
        "{ours}"
    );
    assert_eq!(
        live["Policies"]["customer-own"],
        before["Policies"]["customer-own"]
    );
    assert_eq!(
        live["Role"]["AssumeRolePolicyDocument"],
        before["Role"]["AssumeRolePolicyDocument"]
    );
    assert_eq!(live["Role"]["Tags"], before["Role"]["Tags"]);
    assert_eq!(
        policy_records(&moto),
        "['/rolegate/policies/atc-node_2Frolegate-AtcNodePolicy']"
    );

    // An update that changes nothing writes nothing.
    let noop = policy_request(&moto, "Update", "p2", policy_spec(NODE_ROLE), Some(&id));
    provisioner.handle(invoke_event(noop)).await.unwrap();
    let (same, _) = moto.response("p2").unwrap();
    assert_eq!(same["Status"], "SUCCESS", "{same}");
    assert_eq!(same["PhysicalResourceId"], id.as_str());
    assert_eq!(writes_of(&log), Vec::<String>::new());

    // An update of the grants rewrites the one policy, in place.
    let mut read_only = policy_spec(NODE_ROLE);
    read_only["Grants"][0]["Access"] = json!("read");
    let update = policy_request(&moto, "Update", "p3", read_only.clone(), Some(&id));
    provisioner.handle(invoke_event(update)).await.unwrap();
    let (updated, _) = moto.response("p3").unwrap();
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_eq!(updated["PhysicalResourceId"], id.as_str());
    assert_eq!(writes_of(&log), ["PutRolePolicy"]);
    let ours = live_role(&moto, "atc-node")["Policies"]["rolegate-AtcNodePolicy"].to_string();
    assert!(
        !ours.contains("s3:PutObject") && ours.contains("s3:GetObject"),
        "{ours}"
    );

    // Another role is a replacement: a new id; the old policy stays until
    // CloudFormation's cleanup Delete names the old id.
    let moved = policy_request(&moto, "Update", "p4", policy_spec(NODE_ROLE_2), Some(&id));
    provisioner.handle(invoke_event(moved)).await.unwrap();
    let (replaced, _) = moto.response("p4").unwrap();
    assert_eq!(replaced["Status"], "SUCCESS", "{replaced}");
    let new_id = format!("{NODE_ROLE_2}#rolegate-AtcNodePolicy");
    assert_eq!(replaced["PhysicalResourceId"], new_id.as_str());
    assert!(
        live_role(&moto, "atc-node-2")["Policies"]
            .get("rolegate-AtcNodePolicy")
            .is_some()
    );
    log.take();
    let cleanup = policy_request(&moto, "Delete", "p5", read_only, Some(&id));
    provisioner.handle(invoke_event(cleanup)).await.unwrap();
    assert_eq!(moto.response("p5").unwrap().0["Status"], "SUCCESS");
    assert_eq!(writes_of(&log), ["DeleteRolePolicy"]);
    let after = live_role(&moto, "atc-node");
    assert_eq!(
        after["Policies"], before["Policies"],
        "only Rolegate's policy went"
    );
    assert_eq!(after["Role"]["Tags"], before["Role"]["Tags"]);

    let delete = policy_request(
        &moto,
        "Delete",
        "p6",
        policy_spec(NODE_ROLE_2),
        Some(&new_id),
    );
    provisioner.handle(invoke_event(delete)).await.unwrap();
    assert_eq!(moto.response("p6").unwrap().0["Status"], "SUCCESS");
    assert!(
        live_role(&moto, "atc-node-2")["Policies"]
            .get("rolegate-AtcNodePolicy")
            .is_none()
    );
    assert!(
        role_exists(&moto, "atc-node-2"),
        "the role itself is the customer's"
    );
    assert_eq!(policy_records(&moto), "[]");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_integration_policy_fails_naming_the_property_and_writes_nothing() {
    let moto = Moto::start();
    customer_role(&moto, "atc-node");
    customer_role(&moto, "unlisted");
    moto.python(
        "iam.put_role_policy(RoleName='atc-node', PolicyName='rolegate-Taken', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:ListAllMyBuckets', 'Resource': '*'}]}))",
    );
    let (mut provisioner, log) = provisioner(&moto.sdk_config().await);
    // A Rolegate integration role, made by its own resource type.
    provisioner
        .handle(invoke_event(request(
            &moto,
            "Create",
            "role",
            spec(),
            None,
            None,
        )))
        .await
        .unwrap();
    let integration_role = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";
    let missing = "arn:aws:iam::123456789012:role/not-there";
    provisioner.config.integration_policy_roles =
        vec![NODE_ROLE.into(), missing.into(), integration_role.into()];
    log.take();

    let mut taken = policy_spec(NODE_ROLE);
    taken["PolicyName"] = json!("rolegate-Taken");
    let cases = [
        (
            policy_spec("arn:aws:iam::123456789012:role/unlisted"),
            "RoleArn: ",
        ),
        (
            policy_spec(missing),
            "RoleArn: role not-there does not exist",
        ),
        (
            policy_spec(integration_role),
            "RoleArn: role atmosphere-s3 is a Rolegate integration role",
        ),
        (
            taken,
            "PolicyName: role atc-node already has an inline policy named rolegate-Taken",
        ),
    ];
    for (i, (props, reason)) in cases.into_iter().enumerate() {
        let id = format!("bad-{i}");
        let event = policy_request(&moto, "Create", &id, props, None);
        provisioner.handle(invoke_event(event)).await.unwrap();
        let (answer, _) = moto.response(&id).unwrap();
        assert_eq!(answer["Status"], "FAILED", "{answer}");
        assert!(
            answer["Reason"].as_str().unwrap().starts_with(reason),
            "{reason}: {answer}"
        );
        assert_eq!(log.take_writes(), Vec::<String>::new(), "{reason}");
    }
    assert_eq!(policy_records(&moto), "[]");
    let own = live_role(&moto, "atc-node")["Policies"]["rolegate-Taken"].to_string();
    assert!(
        own.contains("s3:ListAllMyBuckets"),
        "the customer's policy is as it was: {own}"
    );

    // With the list empty (the feature off), no role may receive one.
    provisioner.config.integration_policy_roles = Vec::new();
    let event = policy_request(&moto, "Create", "off", policy_spec(NODE_ROLE), None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (answer, _) = moto.response("off").unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("is empty: the feature is off"),
        "{answer}"
    );
    assert_eq!(log.take_writes(), Vec::<String>::new());
}

/// A spec whose 60 S3 grants (prefix, versions, read-write) are nearly
/// three times IAM's 10,240-character inline quota.
fn large_spec(prefix: &str) -> Value {
    let grants: Vec<Value> = (0..60)
        .map(|i| {
            json!({"Service": "s3", "Access": "read-write", "Bucket": format!("bucket-number-{i:03}"),
                "Prefix": prefix, "IncludeVersions": "true"})
        })
        .collect();
    json!({
        "RoleName": "large-vendor",
        "Trust": { "Principals": ["966208727603"] },
        "ExternalId": "large-vendor-external-id",
        "Grants": grants,
    })
}

/// The role's own managed policies IAM holds at the path, attached or not:
/// name, default version, versions, tags; and the ARNs attached to it.
fn own_policies(moto: &Moto) -> Value {
    let out = moto.python(
        "ps = [p for p in iam.list_policies(Scope='Local', PathPrefix='/integrations/')['Policies'] if p['PolicyName'].startswith('large-vendor-rolegate-')]\n\
         own = {p['PolicyName']: {'Default': p['DefaultVersionId'], 'Versions': len(iam.list_policy_versions(PolicyArn=p['Arn'])['Versions']), 'Tags': {t['Key']: t['Value'] for t in iam.list_policy_tags(PolicyArn=p['Arn'])['Tags']}} for p in ps}\n\
         try:\n    attached = [a['PolicyArn'] for a in iam.list_attached_role_policies(RoleName='large-vendor')['AttachedPolicies']]\n\
         except iam.exceptions.NoSuchEntityException:\n    attached = []\n\
         print(json.dumps({'Own': own, 'Attached': attached}))",
    );
    serde_json::from_str(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_integration_overflows_into_its_own_managed_policies_updated_in_place_and_deleted_leaving_nothing()
 {
    let moto = Moto::start();
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let props = large_spec("some/longer/prefix/");
    let create = request(&moto, "Create", "big-c", props.clone(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (created, _) = moto.response("big-c").unwrap();
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    let arn = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    let writes = writes_of(&log);
    let made = writes.iter().filter(|w| *w == "CreatePolicy").count();
    assert!(made >= 1, "{writes:?}");
    assert_eq!(
        writes.iter().filter(|w| *w == "AttachRolePolicy").count(),
        made
    );
    let own = own_policies(&moto);
    let names = own["Own"].as_object().unwrap();
    assert_eq!(names.len(), made, "{own}");
    assert_eq!(own["Attached"].as_array().unwrap().len(), made, "{own}");
    for (name, policy) in names {
        assert_eq!(policy["Tags"]["rolegate:managed"], "true", "{name}");
        assert_eq!(
            policy["Tags"]["rolegate:logical-id"], "VendorRole",
            "{name}"
        );
        let attached = format!("arn:aws:iam::123456789012:policy/integrations/{name}");
        assert!(own["Attached"].to_string().contains(&attached), "{own}");
    }
    let inline: usize = live_role(&moto, "large-vendor")["Policies"]
        .as_object()
        .unwrap()
        .values()
        .map(|doc| rolegate_policy::limits::policy_size(&doc.to_string()))
        .sum();
    assert!(inline <= 10_240, "inline total {inline}");

    // Unchanged: nothing written.
    let noop = request(
        &moto,
        "Update",
        "big-u0",
        props.clone(),
        Some(&arn),
        Some(props.clone()),
    );
    provisioner.handle(invoke_event(noop)).await.unwrap();
    assert_eq!(moto.response("big-u0").unwrap().0["Status"], "SUCCESS");
    assert_eq!(
        writes_of(&log),
        Vec::<String>::new(),
        "a no-op update writes nothing"
    );

    // Every grant's prefix changed: the managed policies get new versions,
    // in place, under the same names.
    let changed = large_spec("another/longer/prefix/");
    let update = request(
        &moto,
        "Update",
        "big-u1",
        changed.clone(),
        Some(&arn),
        Some(props.clone()),
    );
    provisioner.handle(invoke_event(update)).await.unwrap();
    let (updated, _) = moto.response("big-u1").unwrap();
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_eq!(updated["PhysicalResourceId"], arn.as_str());
    let writes = writes_of(&log);
    assert_eq!(
        writes
            .iter()
            .filter(|w| *w == "CreatePolicyVersion")
            .count(),
        made,
        "{writes:?}"
    );
    assert!(!writes.iter().any(|w| w == "CreatePolicy"), "{writes:?}");
    let own = own_policies(&moto);
    for (name, policy) in own["Own"].as_object().unwrap() {
        assert_eq!(policy["Default"], "v2", "{name}");
    }

    // Delete: the role, its managed policies and its record are gone.
    let delete = request(&moto, "Delete", "big-d", changed, Some(&arn), None);
    provisioner.handle(invoke_event(delete)).await.unwrap();
    assert_eq!(moto.response("big-d").unwrap().0["Status"], "SUCCESS");
    assert!(!role_exists(&moto, "large-vendor"));
    let own = own_policies(&moto);
    assert_eq!(own["Own"], json!({}), "no managed policy left behind");
    assert_eq!(record_count(&moto), "0");
}

/// Onemata's EC2 role (seed 002): EC2 assumes it, so it needs an instance
/// profile to reach an instance.
fn ec2_spec() -> Value {
    json!({
        "RoleName": "onemata-ec2",
        "Description": "EC2 instance role that may assume the role Onemata provides",
        "Trust": { "Service": "ec2" },
        "OutboundAssumeRoleArns": ["arn:aws:iam::999988887777:role/onemata-delivery-access"]
    })
}

/// An instance profile as IAM holds it: path, tags and the roles in it, or
/// `null` when there is none of that name.
fn instance_profile(moto: &Moto, name: &str) -> Value {
    let out = moto.python(&format!(
        "try:\n    p = iam.get_instance_profile(InstanceProfileName={name:?})['InstanceProfile']\n    \
         print(json.dumps({{'Path': p['Path'], 'Roles': [r['RoleName'] for r in p['Roles']], 'Tags': {{x['Key']: x['Value'] for x in p.get('Tags', [])}}}}))\n\
         except iam.exceptions.NoSuchEntityException:\n    print('null')"
    ));
    serde_json::from_str(&out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ec2_role_is_made_with_its_instance_profile_and_deleted_with_it_leaving_a_customers_profile()
 {
    let moto = Moto::start();
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let create = request(&moto, "Create", "c1", ec2_spec(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (created, _) = moto.response("c1").unwrap();
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    assert_eq!(
        writes_of(&log),
        [
            "AddRoleToInstanceProfile",
            "CreateInstanceProfile",
            "CreateRole",
            "PutRolePolicy"
        ]
    );
    // Same name and path as the role, tagged as this resource's, holding it.
    let profile = instance_profile(&moto, "onemata-ec2");
    assert_eq!(profile["Path"], "/integrations/", "{profile}");
    assert_eq!(profile["Roles"], json!(["onemata-ec2"]));
    assert_eq!(profile["Tags"]["rolegate:managed"], "true");
    assert_eq!(profile["Tags"]["rolegate:logical-id"], "VendorRole");
    assert!(
        profile["Tags"]["rolegate:stack-id"]
            .as_str()
            .is_some_and(|s| s.starts_with("arn:aws:cloudformation:")),
        "{profile}"
    );

    // An update that changes nothing finds the profile as it should be.
    let arn = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    let update = request(
        &moto,
        "Update",
        "u1",
        ec2_spec(),
        Some(&arn),
        Some(ec2_spec()),
    );
    provisioner.handle(invoke_event(update)).await.unwrap();
    assert_eq!(moto.response("u1").unwrap().0["Status"], "SUCCESS");
    assert_eq!(log.take_writes(), Vec::<String>::new());

    // A customer's own profile holding the role is emptied, never deleted.
    moto.python(
        "iam.create_instance_profile(InstanceProfileName='fleet')\n\
         iam.add_role_to_instance_profile(InstanceProfileName='fleet', RoleName='onemata-ec2')",
    );
    let delete = request(&moto, "Delete", "d1", ec2_spec(), Some(&arn), None);
    provisioner.handle(invoke_event(delete)).await.unwrap();
    assert_eq!(moto.response("d1").unwrap().0["Status"], "SUCCESS");
    assert!(!role_exists(&moto, "onemata-ec2"));
    assert_eq!(instance_profile(&moto, "onemata-ec2"), Value::Null);
    assert_eq!(instance_profile(&moto, "fleet")["Roles"], json!([]));
    assert_eq!(record_count(&moto), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_role_name_is_a_customers_instance_profile_fails_naming_role_name_and_writes_nothing()
 {
    let moto = Moto::start();
    moto.python(
        "iam.create_instance_profile(InstanceProfileName='onemata-ec2', Path='/integrations/', Tags=[{'Key': 'team', 'Value': 'ops'}])",
    );
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let create = request(&moto, "Create", "c1", ec2_spec(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (refused, _) = moto.response("c1").unwrap();
    assert_eq!(refused["Status"], "FAILED", "{refused}");
    let reason = refused["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with("RoleName: instance profile onemata-ec2 already exists"),
        "{reason}"
    );
    assert_eq!(
        refused["PhysicalResourceId"],
        "rolegate-failed-create:VendorRole:c1"
    );
    // Nothing was written: no IAM write, no role, no record, and the
    // customer's profile is as it was.
    assert_eq!(log.take_writes(), Vec::<String>::new());
    assert!(!role_exists(&moto, "onemata-ec2"));
    assert_eq!(record_count(&moto), "0");
    assert_eq!(
        instance_profile(&moto, "onemata-ec2"),
        json!({"Path": "/integrations/", "Roles": [], "Tags": {"team": "ops"}})
    );
}
