//! A table of invalid `Custom::IntegrationRole` properties. Each case states
//! the error code it must produce and the property the message must name.

use rolegate_policy::{BuildContext, IntegrationSpec, build};
use serde_json::{Value, json};

fn valid() -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:rolegate-provisioner",
        "ServiceTimeout": "300",
        "RoleName": "vendor-integration",
        "Trust": { "Principals": ["966208727603"] },
        "ExternalId": "vendor-ext-1234",
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": "customer-bucket", "Prefix": "exports/" }
        ]
    })
}

/// `valid()` with `edit` applied.
fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = valid();
    edit(&mut v);
    v
}

fn set(path: &[&str], value: Value) -> impl FnOnce(&mut Value) {
    let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
    move |v: &mut Value| {
        let mut cur = v;
        for key in &path[..path.len() - 1] {
            cur = match key.parse::<usize>() {
                Ok(i) => &mut cur[i],
                Err(_) => &mut cur[key.as_str()],
            };
        }
        let last = &path[path.len() - 1];
        match last.parse::<usize>() {
            Ok(i) => cur[i] = value,
            Err(_) => {
                cur[last.as_str()] = value;
            }
        }
    }
}

fn remove(key: &'static str) -> impl FnOnce(&mut Value) {
    move |v: &mut Value| {
        v.as_object_mut().map(|o| o.remove(key));
    }
}

fn grant(g: Value) -> impl FnOnce(&mut Value) {
    set(&["Grants"], json!([g]))
}

struct Case {
    name: &'static str,
    input: Value,
    code: &'static str,
    field: &'static str,
}

fn cases() -> Vec<Case> {
    let ddb = "arn:aws:dynamodb:us-east-1:111122223333:table/Orders";
    let c = |name, input, code, field| Case {
        name,
        input,
        code,
        field,
    };
    vec![
        c(
            "properties_not_an_object",
            json!(["RoleName"]),
            "WRONG_TYPE",
            "properties",
        ),
        c(
            "misspelt_top_level_property",
            with(set(&["RoleNmae"], json!("x"))),
            "UNKNOWN_PROPERTY",
            "RoleNmae",
        ),
        c(
            "misspelt_grant_property",
            with(set(&["Grants", "0", "Prefx"], json!("a/"))),
            "UNKNOWN_PROPERTY",
            "Grants[0].Prefx",
        ),
        c(
            "misspelt_guardrail",
            with(set(
                &["Conditions"],
                json!({"AllowedRegion": ["eu-west-1"]}),
            )),
            "UNKNOWN_PROPERTY",
            "Conditions.AllowedRegion",
        ),
        c(
            "missing_trust",
            with(remove("Trust")),
            "MISSING_PROPERTY",
            "Trust",
        ),
        c(
            "trust_without_principals_or_service",
            with(set(&["Trust"], json!({}))),
            "MISSING_PROPERTY",
            "Trust.Principals",
        ),
        c(
            "trust_with_principals_and_service",
            with(set(&["Trust", "Service"], json!("glue"))),
            "CONFLICTING_PROPERTIES",
            "Trust.Service",
        ),
        c(
            "role_name_and_prefix",
            with(set(&["RoleNamePrefix"], json!("vendor"))),
            "CONFLICTING_PROPERTIES",
            "RoleNamePrefix",
        ),
        c(
            "role_name_over_64_characters",
            with(set(&["RoleName"], json!("r".repeat(65)))),
            "ROLE_NAME_LENGTH",
            "RoleName",
        ),
        c(
            "role_name_with_a_space",
            with(set(&["RoleName"], json!("vendor role"))),
            "ROLE_NAME_CHARACTER",
            "RoleName",
        ),
        c(
            "role_name_prefix_too_long_for_a_suffix",
            with(|v| {
                remove("RoleName")(v);
                set(&["RoleNamePrefix"], json!("p".repeat(52)))(v)
            }),
            "ROLE_NAME_LENGTH",
            "RoleNamePrefix",
        ),
        c(
            "path_without_trailing_slash",
            with(set(&["Path"], json!("/integrations"))),
            "ROLE_PATH_SHAPE",
            "Path",
        ),
        c(
            "path_given_as_a_number",
            with(set(&["Path"], json!(7))),
            "WRONG_TYPE",
            "Path",
        ),
        c(
            "session_duration_below_an_hour",
            with(set(&["MaxSessionDuration"], json!("900"))),
            "MAX_SESSION_DURATION_RANGE",
            "MaxSessionDuration",
        ),
        c(
            "session_duration_over_twelve_hours",
            with(set(&["MaxSessionDuration"], json!(43201))),
            "MAX_SESSION_DURATION_RANGE",
            "MaxSessionDuration",
        ),
        c(
            "session_duration_not_a_number",
            with(set(&["MaxSessionDuration"], json!("one hour"))),
            "WRONG_TYPE",
            "MaxSessionDuration",
        ),
        c(
            "external_id_one_character",
            with(set(&["ExternalId"], json!("x"))),
            "EXTERNAL_ID_LENGTH",
            "ExternalId",
        ),
        c(
            "external_id_with_a_space",
            with(set(&["ExternalId"], json!("abc def"))),
            "EXTERNAL_ID_CHARACTER",
            "ExternalId",
        ),
        c(
            "external_id_for_a_service_trust",
            with(set(&["Trust"], json!({"Service": "glue"}))),
            "CONFLICTING_PROPERTIES",
            "ExternalId",
        ),
        c(
            "principal_that_is_a_name",
            with(set(&["Trust", "Principals"], json!(["vendor"]))),
            "INVALID_PRINCIPAL",
            "Trust.Principals[0]",
        ),
        c(
            "principal_star",
            with(set(&["Trust", "Principals"], json!("*"))),
            "INVALID_PRINCIPAL",
            "Trust.Principals",
        ),
        c(
            "principal_arn_with_short_account",
            with(set(
                &["Trust", "Principals"],
                json!(["966208727603", "arn:aws:iam::1234:role/x"]),
            )),
            "INVALID_ARN",
            "Trust.Principals[1]",
        ),
        c(
            "principal_that_is_a_bucket",
            with(set(
                &["Trust", "Principals"],
                json!(["arn:aws:s3:::bucket"]),
            )),
            "INVALID_PRINCIPAL",
            "Trust.Principals[0]",
        ),
        c(
            "empty_principal_list",
            with(set(&["Trust", "Principals"], json!([]))),
            "EMPTY_VALUE",
            "Trust.Principals",
        ),
        c(
            "unsupported_trusted_service",
            with(|v| {
                remove("ExternalId")(v);
                set(&["Trust"], json!({"Service": "lambda"}))(v)
            }),
            "UNKNOWN_VALUE",
            "Trust.Service",
        ),
        c(
            "source_account_with_vendor_principals",
            with(set(&["Trust", "SourceAccount"], json!("111122223333"))),
            "CONFLICTING_PROPERTIES",
            "Trust.SourceAccount",
        ),
        c(
            "source_account_too_short",
            with(|v| {
                remove("ExternalId")(v);
                set(
                    &["Trust"],
                    json!({"Service": "redshift", "SourceAccount": "12345"}),
                )(v)
            }),
            "INVALID_ACCOUNT_ID",
            "Trust.SourceAccount",
        ),
        // Glue and Redshift document sending neither key when they assume
        // a role: a trust requiring one could never be assumed.
        c(
            "source_account_a_glue_trust_never_receives",
            with(|v| {
                remove("ExternalId")(v);
                set(
                    &["Trust"],
                    json!({"Service": "glue", "SourceAccount": "111122223333"}),
                )(v)
            }),
            "SOURCE_KEY_NOT_SENT",
            "Trust.SourceAccount",
        ),
        c(
            "source_arn_a_redshift_trust_never_receives",
            with(|v| {
                remove("ExternalId")(v);
                set(
                    &["Trust"],
                    json!({"Service": "redshift", "SourceArn": "arn:aws:redshift:us-east-1:111122223333:cluster:c"}),
                )(v)
            }),
            "SOURCE_KEY_NOT_SENT",
            "Trust.SourceArn",
        ),
        c(
            "grants_not_a_list",
            with(set(&["Grants"], json!({"Service": "s3"}))),
            "WRONG_TYPE",
            "Grants",
        ),
        c(
            "empty_grants",
            with(set(&["Grants"], json!([]))),
            "EMPTY_VALUE",
            "Grants",
        ),
        c(
            "grant_that_is_a_string",
            with(set(&["Grants"], json!(["s3"]))),
            "WRONG_TYPE",
            "Grants[0]",
        ),
        c(
            "grant_without_service",
            with(grant(json!({"Access": "read", "Bucket": "b"}))),
            "MISSING_PROPERTY",
            "Grants[0].Service",
        ),
        c(
            "grant_for_an_unsupported_service",
            with(grant(json!({"Service": "ec2", "Access": "read"}))),
            "UNKNOWN_VALUE",
            "Grants[0].Service",
        ),
        c(
            "grant_with_admin_access",
            with(set(&["Grants", "0", "Access"], json!("admin"))),
            "UNKNOWN_VALUE",
            "Grants[0].Access",
        ),
        c(
            "grant_without_access",
            with(grant(
                json!({"Service": "sns", "TopicArn": "arn:aws:sns:us-east-1:111122223333:t"}),
            )),
            "MISSING_PROPERTY",
            "Grants[0].Access",
        ),
        c(
            "s3_bucket_with_uppercase",
            with(set(&["Grants", "0", "Bucket"], json!("My_Bucket"))),
            "INVALID_BUCKET_NAME",
            "Grants[0].Bucket",
        ),
        c(
            "s3_prefix_with_wildcard",
            with(set(&["Grants", "0", "Prefix"], json!("exports/*"))),
            "INVALID_PATTERN",
            "Grants[0].Prefix",
        ),
        c(
            "s3_prefix_with_a_tab_found_by_fuzzing",
            with(set(&["Grants", "0", "Prefix"], json!("exports//\tB\t"))),
            "INVALID_PATTERN",
            "Grants[0].Prefix",
        ),
        c(
            "s3_include_versions_not_boolean",
            with(set(&["Grants", "0", "IncludeVersions"], json!("yes"))),
            "WRONG_TYPE",
            "Grants[0].IncludeVersions",
        ),
        c(
            "s3_kms_alias_instead_of_key",
            with(set(
                &["Grants", "0", "KmsKeyArn"],
                json!("arn:aws:kms:us-east-1:111122223333:alias/data"),
            )),
            "WRONG_ARN_KIND",
            "Grants[0].KmsKeyArn",
        ),
        c(
            "dynamodb_table_name_instead_of_arn",
            with(grant(
                json!({"Service": "dynamodb", "Access": "read", "TableArn": "Orders"}),
            )),
            "INVALID_ARN",
            "Grants[0].TableArn",
        ),
        c(
            "dynamodb_grant_with_a_bucket_arn",
            with(grant(
                json!({"Service": "dynamodb", "Access": "read", "TableArn": "arn:aws:s3:::orders"}),
            )),
            "WRONG_ARN_KIND",
            "Grants[0].TableArn",
        ),
        c(
            "dynamodb_index_arn_as_table",
            with(grant(
                json!({"Service": "dynamodb", "Access": "read", "TableArn": format!("{ddb}/index/byDate")}),
            )),
            "WRONG_ARN_KIND",
            "Grants[0].TableArn",
        ),
        c(
            "dynamodb_wildcard_table",
            with(grant(
                json!({"Service": "dynamodb", "Access": "read", "TableArn": "arn:aws:dynamodb:us-east-1:111122223333:table/*"}),
            )),
            "INVALID_ARN",
            "Grants[0].TableArn",
        ),
        c(
            "dynamodb_star_with_named_indexes",
            with(grant(
                json!({"Service": "dynamodb", "Access": "read", "TableArn": ddb, "Indexes": ["*", "byDate"]}),
            )),
            "CONFLICTING_PROPERTIES",
            "Grants[0].Indexes",
        ),
        c(
            "lambda_qualified_function_arn",
            with(grant(
                json!({"Service": "lambda", "Access": "invoke", "FunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:f:prod"}),
            )),
            "WRONG_ARN_KIND",
            "Grants[0].FunctionArn",
        ),
        c(
            "sqs_queue_arn_without_account",
            with(grant(
                json!({"Service": "sqs", "Access": "send", "QueueArn": "arn:aws:sqs:us-east-1::q"}),
            )),
            "WRONG_ARN_KIND",
            "Grants[0].QueueArn",
        ),
        c(
            "two_grants_on_one_resource",
            with(|v| {
                let g = v["Grants"][0].clone();
                v["Grants"] = json!([g.clone(), g]);
            }),
            "DUPLICATE",
            "Grants[1]",
        ),
        c(
            "region_by_city_name",
            with(set(
                &["Conditions"],
                json!({"AllowedRegions": ["Frankfurt"]}),
            )),
            "INVALID_REGION",
            "Conditions.AllowedRegions[0]",
        ),
        c(
            "cidr_prefix_over_32",
            with(set(
                &["Conditions"],
                json!({"SourceIps": ["203.0.113.0/24", "10.0.0.0/33"]}),
            )),
            "INVALID_CIDR",
            "Conditions.SourceIps[1]",
        ),
        c(
            "secure_transport_not_boolean",
            with(set(
                &["Conditions"],
                json!({"RequireSecureTransport": "maybe"}),
            )),
            "WRONG_TYPE",
            "Conditions.RequireSecureTransport",
        ),
        c(
            "too_many_tags",
            with(set(
                &["Tags"],
                Value::Array(
                    (0..46)
                        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
                        .collect(),
                ),
            )),
            "TOO_MANY_TAGS",
            "Tags",
        ),
        c(
            "tag_with_aws_prefix",
            with(set(&["Tags"], json!([{"Key": "aws:owner", "Value": "me"}]))),
            "TAG_RESERVED_PREFIX",
            "Tags[0]",
        ),
        c(
            "tag_with_rolegate_prefix",
            with(set(
                &["Tags"],
                json!([{"Key": "team", "Value": "a"}, {"Key": "Rolegate:managed", "Value": "false"}]),
            )),
            "TAG_RESERVED_PREFIX",
            "Tags[1]",
        ),
        c(
            "tag_value_over_256_characters",
            with(set(&["Tags"], json!({"team": "v".repeat(257)}))),
            "TAG_VALUE_LENGTH",
            "Tags.team",
        ),
        c(
            "tag_keys_differing_only_in_case",
            with(set(
                &["Tags"],
                json!([{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}]),
            )),
            "DUPLICATE",
            "Tags[1]",
        ),
        c(
            "tag_without_value",
            with(set(&["Tags"], json!([{"Key": "team"}]))),
            "MISSING_PROPERTY",
            "Tags[0].Value",
        ),
        c(
            "expiry_in_words",
            with(set(&["ExpiresAt"], json!("next week"))),
            "INVALID_TIMESTAMP",
            "ExpiresAt",
        ),
        c(
            "aspera_guide_s3_arn_for_a_role",
            with(set(
                &["OutboundAssumeRoleArns"],
                json!(["arn:aws:s3::s3_account_id/atc-s3-access-keys"]),
            )),
            "INVALID_ARN",
            "OutboundAssumeRoleArns[0]",
        ),
        c(
            "outbound_arn_of_a_user",
            with(set(
                &["OutboundAssumeRoleArns"],
                json!("arn:aws:iam::999988887777:user/u"),
            )),
            "WRONG_ARN_KIND",
            "OutboundAssumeRoleArns",
        ),
        c(
            "boundary_that_is_a_role",
            with(set(
                &["PermissionsBoundaryArn"],
                json!("arn:aws:iam::111122223333:role/boundary"),
            )),
            "WRONG_ARN_KIND",
            "PermissionsBoundaryArn",
        ),
        c(
            "description_over_1000_characters",
            with(set(&["Description"], json!("d".repeat(1001)))),
            "DESCRIPTION_LENGTH",
            "Description",
        ),
        c(
            "unknown_remediation_mode",
            with(set(&["RemediationMode"], json!("delete"))),
            "UNKNOWN_VALUE",
            "RemediationMode",
        ),
        c(
            "notify_bus_that_is_a_topic",
            with(set(
                &["NotifyEventBusArn"],
                json!("arn:aws:sns:us-east-1:111122223333:t"),
            )),
            "WRONG_ARN_KIND",
            "NotifyEventBusArn",
        ),
    ]
}

#[test]
fn the_valid_base_spec_parses() {
    assert!(IntegrationSpec::from_properties(&valid()).is_ok());
}

#[test]
fn every_bad_input_is_refused_with_its_code_and_field() {
    let cases = cases();
    assert!(cases.len() >= 30, "the table must hold at least 30 cases");
    let mut failures = Vec::new();
    for case in cases {
        match IntegrationSpec::from_properties(&case.input) {
            Ok(_) => failures.push(format!("{}: accepted", case.name)),
            Err(e) => {
                let message = e.to_string();
                if e.code() != case.code || e.field() != case.field || !message.contains(case.field)
                {
                    failures.push(format!(
                        "{}: want {} at {}, got {} at {}: {message}",
                        case.name,
                        case.code,
                        case.field,
                        e.code(),
                        e.field()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cloudformation_strings_are_accepted_for_numbers_and_booleans() {
    let spec = IntegrationSpec::from_properties(&with(|v| {
        set(&["MaxSessionDuration"], json!("7200"))(v);
        set(&["Conditions"], json!({"RequireSecureTransport": "true"}))(v);
        set(&["Grants", "0", "IncludeVersions"], json!("false"))(v);
    }));
    let spec = spec.map_err(|e| e.to_string());
    assert_eq!(spec.as_ref().map(|s| s.max_session_duration), Ok(7200));
    assert_eq!(
        spec.map(|s| s.guardrails.require_secure_transport),
        Ok(true)
    );
}

#[test]
fn a_spec_whose_policies_exceed_the_inline_and_managed_quotas_fails_to_build_naming_grants() {
    // 60 such grants now overflow into managed policies (build/managed.rs);
    // 200 need more than the 10 a role may have attached.
    let grants: Vec<Value> = (0..200)
        .map(|i| json!({"Service": "s3", "Access": "read-write", "Bucket": format!("bucket-number-{i:03}"), "Prefix": "some/longer/prefix/", "IncludeVersions": "true"}))
        .collect();
    let spec = IntegrationSpec::from_properties(&with(set(&["Grants"], Value::Array(grants))))
        .map_err(|e| e.to_string());
    let spec = spec.unwrap_or_else(|e| panic!("{e}"));
    let err = build(&spec, &BuildContext::new("111122223333", "us-east-1")).err();
    let err = err.map(|e| (e.code(), e.to_string().starts_with("Grants:")));
    assert_eq!(err, Some(("MANAGED_POLICIES_PER_ROLE", true)));
}

#[test]
fn a_vendor_trust_without_external_id_cannot_be_built() {
    let spec = IntegrationSpec::from_properties(&with(remove("ExternalId")))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = build(&spec, &BuildContext::new("111122223333", "us-east-1")).err();
    assert_eq!(err.map(|e| e.code()), Some("EXTERNAL_ID_REQUIRED"));
}
