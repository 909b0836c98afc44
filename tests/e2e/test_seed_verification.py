"""Each vendor guide's verification step (../shared/seeds/, issue 17 item 7),
run against the roles the example stacks (examples/stacks/) make, with trust
judged by MiniStack's STS under AUTH=true and not by Rolegate's evaluator:

- Atmosphere (seed 000) and IEX Apperate (seed 001): the vendor's principal
  assumes the customer's role with the ExternalId, and is refused without
  it or with a wrong one; Apperate's session reads the objects under its
  prefix and no others.
- Onemata (seed 002, "Verify the instance profile"): the EC2 role, carried
  by an instance profile of its name and path, assumes the role Onemata
  provides, and GetCallerIdentity answers that role; the S3 listing the
  guide runs next works through it.
- IBM Aspera (seed 003): atc-node, in the cluster manager account, assumes
  atc-s3-access-keys in the S3 account with the ExternalId, and that
  session writes and reads the transfer bucket and no other.

One MiniStack and one Rolegate (in the customer's account) serve the whole
module; each Aspera test deploys another Rolegate in its cluster manager
account, as the guide's two-account layout needs: one where Rolegate makes
atc-node, one where the customer's own atc-node receives Rolegate's policy
(Custom::IntegrationPolicy). Role ARNs are read from stack outputs and
trust policies, not spelled here, so the tests follow the stacks as they
change.

Where the emulator cannot stand in for AWS, the test says so beside the
step: an EC2 role's session comes from the account root's AssumeRole,
which MiniStack allows on a role that trusts only a service principal
(docs/LOCAL-AWS.md row 14) and AWS refuses; on AWS the EC2 service
assumes the role through the instance profile and the instance reads
the credentials from its metadata service, which MiniStack's does not
serve for a profile's role (row 20).
"""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import Rolegate, bin_dir
from local_aws import CODE_BUCKET, CUSTOMER, VENDOR, LocalAws, example_stack, local_template

# The principals the example stacks trust, as the guides name them.
APPERATE_ACCOUNT = "444455556666"
APPERATE_USER = "apperate-integration"
ONEMATA_ACCOUNT = "999988887777"
ONEMATA_ROLE = "onemata-delivery-access"
ONEMATA_BUCKET = "onemata-shared-feed"
CLUSTER_MANAGER_ACCOUNT = "210987654321"
ASPERA_EXTERNAL_ID = "aspera-5e6f7a8b9c"
APPERATE_EXTERNAL_ID = "apperate-0a1b2c3d4e"
# The example stacks' default buckets.
APPERATE_BUCKET = "customer-market-data"
ASPERA_BUCKET = "aspera-transfers"


@pytest.fixture(scope="module")
def rolegate():
    """One MiniStack and one Rolegate in the customer's account for every
    test here: each test deploys its own stack under its own name."""
    aws = LocalAws().start()
    try:
        yield Rolegate(aws)
    finally:
        aws.stop()


# ------------------------------------------------------------------ helpers

def deploy(aws, stack: str, body: str, parameters: dict | None = None,
           account: str = CUSTOMER, update: bool = False) -> dict:
    found = aws.deploy(stack, body, parameters, account=account, update=update)
    expected = "UPDATE_COMPLETE" if update else "CREATE_COMPLETE"
    assert found["StackStatus"] == expected, aws.failures(stack, account)
    return aws.outputs(stack, account)


def delete(aws, stack: str, account: str = CUSTOMER) -> None:
    found = aws.delete(stack, account)
    assert found is None or found["StackStatus"] == "DELETE_COMPLETE", found


def role_arns(outputs: dict, account: str = CUSTOMER) -> list[str]:
    """Every output that is a role ARN of `account`, whatever its key."""
    pattern = re.compile(rf"^arn:aws:iam::{account}:role/")
    return sorted(v for v in outputs.values() if pattern.match(v))


def get_role(aws, arn: str) -> dict:
    account = arn.split(":")[4]
    return aws.client("iam", account).get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]


def trust_statements(role: dict, kind: str) -> list[dict]:
    """The trust statements whose Principal has a `kind` (AWS, Service) key."""
    return [s for s in role["AssumeRolePolicyDocument"]["Statement"]
            if kind in s.get("Principal", {})]


def external_id_of(role: dict) -> str:
    """The one `sts:ExternalId` the role's trust demands of its AWS principals."""
    ids = {s["Condition"]["StringEquals"]["sts:ExternalId"]
           for s in trust_statements(role, "AWS")}
    assert len(ids) == 1, role["AssumeRolePolicyDocument"]
    return ids.pop()


def wrong(external_id: str) -> str:
    return external_id[:-1] + ("A" if external_id[-1] != "A" else "B")


def refused(call) -> str:
    """STS's AccessDenied for `call`; its message."""
    with pytest.raises(ClientError) as denied:
        call()
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDenied", error
    return error["Message"]


def s3_refused(call) -> None:
    """S3's AccessDenied for `call`."""
    with pytest.raises(ClientError) as denied:
        call()
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDenied", error


def session_arn(role_arn: str, session: str) -> str:
    """GetCallerIdentity's Arn for a session of `role_arn`: the assumed-role
    ARN carries the role's name without its path ("IAM identifiers", IAM
    User Guide: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html)."""
    account = role_arn.split(":")[4]
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session}"


def assert_admits_only_with_external_id(aws, sts, role_arn: str, external_id: str,
                                        session: str) -> dict:
    """`sts` (the trusted principal's client) gets a session of `role_arn`
    with the ExternalId, whose GetCallerIdentity is that role's session, and
    is refused without it and with a wrong one. Returns the credentials."""
    granted = sts.assume_role(RoleArn=role_arn, RoleSessionName=session,
                              ExternalId=external_id)
    identity = aws.client_as("sts", granted["Credentials"]).get_caller_identity()
    assert identity["Arn"] == session_arn(role_arn, session), identity
    assert identity["Account"] == role_arn.split(":")[4], identity
    refused(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName=f"{session}-none"))
    refused(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName=f"{session}-wrong",
                                    ExternalId=wrong(external_id)))
    return granted["Credentials"]


def trusts_ec2(role: dict) -> bool:
    return any("ec2.amazonaws.com" in json.dumps(s["Principal"])
               for s in trust_statements(role, "Service"))


def assert_carried_by_its_instance_profile(aws, role: dict) -> None:
    """An EC2 role is carried by an instance profile of its own name and
    path, holding it alone (issue 17 item 1): what an instance is launched
    with ("Use instance profiles", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html)."""
    iam = aws.client("iam", role["Arn"].split(":")[4])
    profile = iam.get_instance_profile(InstanceProfileName=role["RoleName"])["InstanceProfile"]
    assert profile["Path"] == role["Path"], profile
    assert [r["Arn"] for r in profile["Roles"]] == [role["Arn"]], profile


def assert_no_instance_profile(aws, role: dict) -> None:
    iam = aws.client("iam", role["Arn"].split(":")[4])
    with pytest.raises(ClientError) as gone:
        iam.get_instance_profile(InstanceProfileName=role["RoleName"])
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity", gone.value.response


def ec2_role_session(aws, role_arn: str, session: str) -> dict:
    """A session of an EC2 role, as the instance carrying its profile gets one.

    AWS: the EC2 service assumes the role named by the instance profile and
    the instance reads the credentials from its metadata service
    (`credential_source = Ec2InstanceMetadata` in the guides' profiles; "IAM
    roles for Amazon EC2", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html).
    MiniStack's metadata service serves no instance profile's role
    (docs/LOCAL-AWS.md row 20), but lets the account root assume a role that
    trusts only a service principal (row 14; AWS refuses that call), so the
    root's AssumeRole stands in for the EC2 service here. What AWS decides is
    checked on the trust instead: only ec2.amazonaws.com may assume the
    role."""
    role = get_role(aws, role_arn)
    assert trust_statements(role, "AWS") == [], role["AssumeRolePolicyDocument"]
    [statement] = trust_statements(role, "Service")
    assert statement["Principal"]["Service"] in ("ec2.amazonaws.com", ["ec2.amazonaws.com"])
    assert statement["Action"] in ("sts:AssumeRole", ["sts:AssumeRole"]), statement
    account = role_arn.split(":")[4]
    granted = aws.client("sts", account).assume_role(RoleArn=role_arn, RoleSessionName=session)
    return granted["Credentials"]


def allow(action: str, resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]})


def trusting(principal: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})


def stack_parameters(name: str) -> list[str]:
    """The Parameters an example stack declares, in order."""
    text = example_stack(name)
    section = re.search(r"^Parameters:\n((?:(?:  .*)?\n)*)", text, re.M)
    return re.findall(r"^  (\w+):\s*$", section.group(1), re.M) if section else []


# --------------------------------------------------------------- Atmosphere

def test_atmosphere_admits_its_vendor_account_into_every_role_only_with_the_external_id(
        rolegate):
    """Seed 000: Atmosphere's account (966208727603) assumes each role the
    stack makes with the ExternalId the provisioner generated; without it,
    or with a wrong one, MiniStack's STS refuses."""
    aws = rolegate.aws
    outputs = deploy(aws, "atmosphere", example_stack("atmosphere"))
    arns = role_arns(outputs)
    assert arns, f"no role ARN among the outputs: {outputs}"
    vendor = aws.client("sts", VENDOR)
    for arn in arns:
        role = get_role(aws, arn)
        assert [s["Principal"]["AWS"] for s in trust_statements(role, "AWS")] in (
            [VENDOR], [f"arn:aws:iam::{VENDOR}:root"]), role["AssumeRolePolicyDocument"]
        assert_admits_only_with_external_id(
            aws, vendor, arn, external_id_of(role), "atmosphere-studio")
    delete(aws, "atmosphere")


# ----------------------------------------------------------------- Apperate

def apperate_user(aws) -> tuple[str, object]:
    """IEX's integration user in its own account, allowed by its own policy
    to assume roles (a cross-account AssumeRole needs both the caller's
    policy and the role's trust: "Cross-account policy evaluation logic",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    Returns its ARN and an STS client with its access key."""
    iam = aws.client("iam", APPERATE_ACCOUNT)
    arn = iam.create_user(UserName=APPERATE_USER)["User"]["Arn"]
    iam.put_user_policy(UserName=APPERATE_USER, PolicyName="assume-customer-roles",
                        PolicyDocument=allow("sts:AssumeRole", "*"))
    key = iam.create_access_key(UserName=APPERATE_USER)["AccessKey"]
    sts = aws.client_as("sts", {"AccessKeyId": key["AccessKeyId"],
                                "SecretAccessKey": key["SecretAccessKey"],
                                "SessionToken": None})
    return arn, sts


def test_apperate_user_assumes_the_role_only_with_the_external_id_and_reads_only_its_prefix(
        rolegate):
    """Seed 001: IEX's integration user (another account) assumes the role
    with the ExternalId IEX issued; without it or with a wrong one it is
    refused. The session reads objects under the stack's prefix, and is
    refused one outside it. If the stack takes the vendor's user as a parameter (the
    vendor-first order), the role is created first, refuses the user, and
    the Update that adds the user and ExternalId keeps the role's ARN."""
    aws = rolegate.aws
    user_arn, user_sts = apperate_user(aws)
    parameters = stack_parameters("apperate")
    [id_parameter] = [p for p in parameters if "ExternalId" in p]
    user_parameters = [p for p in parameters if "User" in p or "Principal" in p]
    vendor_values = {id_parameter: APPERATE_EXTERNAL_ID}
    body = example_stack("apperate")
    if user_parameters:
        # Vendor-first: the role exists before IEX has issued anything.
        [user_parameter] = user_parameters
        vendor_values[user_parameter] = user_arn
        first = role_arns(deploy(aws, "apperate", body))
        assert len(first) == 1, first
        refused(lambda: user_sts.assume_role(RoleArn=first[0], RoleSessionName="too-early",
                                             ExternalId=APPERATE_EXTERNAL_ID))
        [arn] = role_arns(deploy(aws, "apperate", body, vendor_values, update=True))
        assert arn == first[0], "adding the vendor's values replaced the role"
    else:
        assert f"arn:aws:iam::{APPERATE_ACCOUNT}:user/{APPERATE_USER}" in body
        [arn] = role_arns(deploy(aws, "apperate", body, vendor_values))
    role = get_role(aws, arn)
    assert external_id_of(role) == APPERATE_EXTERNAL_ID, "the ExternalId IEX issued, as given"
    credentials = assert_admits_only_with_external_id(
        aws, user_sts, arn, APPERATE_EXTERNAL_ID, "apperate")
    # What the guide's policy is for: objects under the prefix, and no others.
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=APPERATE_BUCKET)
    s3.put_object(Bucket=APPERATE_BUCKET, Key="exports/2026-12-01.csv", Body=b"a,b\n")
    s3.put_object(Bucket=APPERATE_BUCKET, Key="payroll/2026-12.csv", Body=b"c,d\n")
    apperate_s3 = aws.client_as("s3", credentials)
    got = apperate_s3.get_object(Bucket=APPERATE_BUCKET, Key="exports/2026-12-01.csv")
    assert got["Body"].read() == b"a,b\n"
    listed = apperate_s3.list_objects_v2(Bucket=APPERATE_BUCKET, Prefix="exports/")
    assert [o["Key"] for o in listed["Contents"]] == ["exports/2026-12-01.csv"]
    s3_refused(lambda: apperate_s3.get_object(Bucket=APPERATE_BUCKET, Key="payroll/2026-12.csv"))
    # The trust names IEX's user, not its account: the account's root is refused.
    refused(lambda: aws.client("sts", APPERATE_ACCOUNT).assume_role(
        RoleArn=arn, RoleSessionName="apperate-root", ExternalId=APPERATE_EXTERNAL_ID))
    delete(aws, "apperate")


# ------------------------------------------------------------------ Onemata

def onemata_side(aws) -> str:
    """What Onemata sets up in its account before the customer configures
    the instance profile (seed 002): a role that trusts the customer's
    account, reading a bucket with one object; and a second role that
    trusts the customer's account too, which the EC2 role must not reach.
    Returns the first role's ARN."""
    iam = aws.client("iam", ONEMATA_ACCOUNT)
    arn = iam.create_role(RoleName=ONEMATA_ROLE,
                          AssumeRolePolicyDocument=trusting(f"arn:aws:iam::{CUSTOMER}:root"),
                          )["Role"]["Arn"]
    iam.put_role_policy(RoleName=ONEMATA_ROLE, PolicyName="feed", PolicyDocument=allow(
        "s3:ListBucket", f"arn:aws:s3:::{ONEMATA_BUCKET}"))
    iam.create_role(RoleName="onemata-other", AssumeRolePolicyDocument=trusting(
        f"arn:aws:iam::{CUSTOMER}:root"))
    s3 = aws.client("s3", ONEMATA_ACCOUNT)
    s3.create_bucket(Bucket=ONEMATA_BUCKET)
    s3.put_object(Bucket=ONEMATA_BUCKET, Key="Hello/index.html", Body=b"<p>feed</p>")
    return arn


def instance_profiles_of(aws, role_name: str) -> list[dict]:
    return aws.client("iam").list_instance_profiles_for_role(
        RoleName=role_name)["InstanceProfiles"]


def test_onematas_ec2_role_assumes_the_role_onemata_provides_and_is_that_role(rolegate):
    """Seed 002, "Verify the instance profile": from the EC2 role's session,
    AssumeRole on the ARN Onemata provides succeeds, GetCallerIdentity
    answers that role's session in Onemata's account, and the bucket lists
    through it ("Verify access to the Amazon S3 bucket"). The EC2 role's own
    policy is what allows it: a second role in Onemata's account that trusts
    the customer's account just the same is refused. The EC2 role is in an
    instance profile of its name and path, and the profile goes with the
    stack."""
    aws = rolegate.aws
    delivery_arn = onemata_side(aws)
    outputs = deploy(aws, "onemata", example_stack("onemata"),
                     {"OnemataDeliveryRoleArn": delivery_arn})
    [ec2_arn] = [arn for arn in role_arns(outputs) if trusts_ec2(get_role(aws, arn))]
    ec2_role = get_role(aws, ec2_arn)
    assert_carried_by_its_instance_profile(aws, ec2_role)
    ec2 = ec2_role_session(aws, ec2_arn, "i-0123456789abcdef0")
    ec2_sts = aws.client_as("sts", ec2)

    delivery = ec2_sts.assume_role(RoleArn=delivery_arn, RoleSessionName="profilename")
    identity = aws.client_as("sts", delivery["Credentials"]).get_caller_identity()
    assert identity["Arn"] == session_arn(delivery_arn, "profilename"), identity
    assert identity["Account"] == ONEMATA_ACCOUNT
    listed = aws.client_as("s3", delivery["Credentials"]).list_objects_v2(Bucket=ONEMATA_BUCKET)
    assert [o["Key"] for o in listed["Contents"]] == ["Hello/index.html"]

    refused(lambda: ec2_sts.assume_role(
        RoleArn=f"arn:aws:iam::{ONEMATA_ACCOUNT}:role/onemata-other",
        RoleSessionName="not-granted"))
    delete(aws, "onemata")
    assert_no_instance_profile(aws, ec2_role)


# ------------------------------------------------------------------- Aspera

def deploy_rolegate_in(aws, account: str, parameters: dict | None = None) -> None:
    """template.yaml's customer side in another account of the same
    MiniStack, as that account's administrator would deploy it (a cluster
    manager account needs the provisioner, not the vendor's validator): its
    own stack name and code bucket (docs/LOCAL-AWS.md rows 16 and 17)."""
    bucket = f"{CODE_BUCKET}-{account}"
    aws.upload_functions(bin_dir(), account=account, bucket=bucket)
    body, _ = local_template()
    body = body.replace(f"s3://{CODE_BUCKET}/", f"s3://{bucket}/")
    deploy(aws, f"rolegate-{account}", body,
           {"Side": "customer", "AllowedResponseHost": "127.0.0.1", **(parameters or {})},
           account=account)


def own_bucket(aws, name: str) -> None:
    """A bucket of the customer's account, once."""
    s3 = aws.client("s3")
    try:
        s3.create_bucket(Bucket=name)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


# How the cluster manager account gets its atc-node: Rolegate makes it
# (/integrations/atc-node, the stack's default), or the customer already runs
# ATC on an atc-node role of its own and the stack puts one Rolegate policy
# on it (Custom::IntegrationPolicy, issue 17 item 2: the guide's own "attach
# to the atc-node role"). Each in its own cluster manager account.
ATC_NODES = {
    "made-by-rolegate": CLUSTER_MANAGER_ACCOUNT,
    "the-customers-own": "210987654322",
}


def the_customers_atc_node(aws, account: str) -> str:
    """atc-node as the customer made it before Rolegate (at /, an EC2 role
    with its own policy and instance profile). Returns its ARN."""
    iam = aws.client("iam", account)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName="atc-node", AssumeRolePolicyDocument=json.dumps(trust),
                          )["Role"]["Arn"]
    iam.put_role_policy(RoleName="atc-node", PolicyName="atc-cluster",
                        PolicyDocument=allow("ec2:DescribeInstances", "*"))
    iam.create_instance_profile(InstanceProfileName="atc-node")
    iam.add_role_to_instance_profile(InstanceProfileName="atc-node", RoleName="atc-node")
    return arn


@pytest.mark.parametrize("atc_node", ATC_NODES)
def test_aspera_atc_node_reaches_the_transfer_bucket_across_accounts_only_with_the_external_id(
        rolegate, atc_node):
    """Seed 003, across two accounts: the stack in the cluster manager
    account (its own Rolegate) gives atc-node the assume-role permission;
    the stack in the S3 account makes atc-s3-access-keys trust atc-node with
    the ExternalId. atc-node's session assumes it with the ExternalId, and
    is refused without it or with a wrong one; the cluster manager
    account's root, which the trust does not name, is refused with it. The
    session writes and reads the transfer bucket, and is refused another.
    On the customer's own atc-node, Delete takes Rolegate's policy away and
    leaves the role, its policy and its instance profile."""
    aws = rolegate.aws
    account = ATC_NODES[atc_node]
    parameters = {"Side": "cluster-manager-account", "S3AccountId": CUSTOMER,
                  "ClusterManagerAccountId": account, "AsperaExternalId": ASPERA_EXTERNAL_ID}
    if atc_node == "the-customers-own":
        existing = the_customers_atc_node(aws, account)
        # The deployment lists the one role that may receive integration policies.
        deploy_rolegate_in(aws, account, {"IntegrationPolicyRoleArns": existing})
        parameters["ExistingAtcNodeRoleArn"] = existing
    else:
        deploy_rolegate_in(aws, account)
    body = example_stack("aspera")
    # The cluster manager account first: the S3 account's trust names
    # atc-node, and AWS refuses a trust policy naming a role that does not
    # exist ("Invalid principal in policy",
    # https://aws.amazon.com/premiumsupport/knowledge-center/iam-trust-policy-error/);
    # MiniStack does not (docs/LOCAL-AWS.md row 21).
    deploy(aws, "aspera", body, parameters, account=account)
    deploy(aws, "aspera", body, {**parameters, "Side": "s3-account"})

    access_keys = aws.client("iam").get_role(RoleName="atc-s3-access-keys")["Role"]
    [node_arn] = [s["Principal"]["AWS"] for s in trust_statements(access_keys, "AWS")]
    assert node_arn.startswith(f"arn:aws:iam::{account}:role/"), node_arn
    assert external_id_of(access_keys) == ASPERA_EXTERNAL_ID
    node_role = get_role(aws, node_arn)
    assert node_role["Arn"] == node_arn, "the trust names atc-node's ARN, path included"
    # The import resolved to each account's own provisioner.
    with pytest.raises(ClientError):
        aws.client("iam").get_role(RoleName=node_arn.rsplit("/", 1)[-1])

    node = ec2_role_session(aws, node_arn, "atc-node")
    credentials = assert_admits_only_with_external_id(
        aws, aws.client_as("sts", node), access_keys["Arn"], ASPERA_EXTERNAL_ID, "atc")
    # What the access key is for: the transfer bucket, read and write.
    own_bucket(aws, ASPERA_BUCKET)
    atc_s3 = aws.client_as("s3", credentials)
    atc_s3.put_object(Bucket=ASPERA_BUCKET, Key="inbound/video.mxf", Body=b"frames")
    got = atc_s3.get_object(Bucket=ASPERA_BUCKET, Key="inbound/video.mxf")
    assert got["Body"].read() == b"frames"
    own_bucket(aws, f"{ASPERA_BUCKET}-archive")
    s3_refused(lambda: atc_s3.put_object(Bucket=f"{ASPERA_BUCKET}-archive",
                                         Key="inbound/video.mxf", Body=b"frames"))
    refused(lambda: aws.client("sts", account).assume_role(
        RoleArn=access_keys["Arn"], RoleSessionName="cluster-manager-root",
        ExternalId=ASPERA_EXTERNAL_ID))

    # Delete in the reverse order, the S3 account first.
    delete(aws, "aspera")
    delete(aws, "aspera", account=account)
    if atc_node == "the-customers-own":
        iam = aws.client("iam", account)
        assert iam.list_role_policies(RoleName="atc-node")["PolicyNames"] == ["atc-cluster"]
        assert_carried_by_its_instance_profile(aws, get_role(aws, node_arn))
