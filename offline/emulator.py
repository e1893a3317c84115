"""Pulumi mocks that deploy: each resource the program declares is created in an AWS emulator
(moto on 127.0.0.1) through boto3, in the resource's own region, and the program is answered with
the emulator's real ids, ARNs and endpoints. Stack outputs are then what a real `pulumi up` would
have produced, in the emulator's terms, and the operational scripts can act on them.

Types the emulator cannot create are never dropped silently: they are answered like the plain
offline mocks would and listed in ``Emulation.not_emulated`` with the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pulumi.runtime import mocks as pm

from offline.aws_rules import LOCAL_ZONES, Declared, enforce
from offline.fake_kubernetes import FakeCluster
from offline.mocks import OfflineMocks
from offline.moto_fidelity import Fidelity, ReplicatedBackups
from offline.moto_server import emulator_client
from offline.program import unwrap_secrets

Handler = Callable[["EmulatedMocks", str, dict[str, Any], str], tuple[str, dict[str, Any]]]
HANDLERS: dict[str, Handler] = {}
# Types the emulator cannot create, and why (moto 5.2.5 does not implement their APIs).
UNSUPPORTED = {
    "aws:backup/selection:Selection": "moto does not implement CreateBackupSelection",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "moto does not implement CreateRestoreTestingPlan",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": (
        "moto does not implement CreateRestoreTestingSelection"
    ),
}


@dataclass
class Emulation:
    """What one deployment did in the emulator."""

    created: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, region)
    not_emulated: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, reason)
    # Created, but not quite as declared, because of an emulator limit: (type, name, what differs).
    notes: list[tuple[str, str, str]] = field(default_factory=list)
    # Every AWS resource as declared, for the rules about deleting it (check_destroy).
    declared: list[Declared] = field(default_factory=list)


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for typ in types:
            HANDLERS[typ] = handler
        return handler

    return register


def autoname(name: str, length: int = 7) -> str:
    """Pulumi's auto-naming: the logical name and a random suffix (here: stable, from the name)."""
    return f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:length]}"


def aws_tags(inputs: dict[str, Any], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: str(v)} for k, v in (inputs.get("tags") or {}).items()]


def whole(value: Any) -> int:
    """Mocks receive numbers as floats."""
    return int(value)


class EmulatedMocks(OfflineMocks):
    def __init__(
        self,
        region: str,
        stack_outputs: dict[str, dict[str, Any]] | None,
        *,
        endpoint_url: str,
        emulation: Emulation,
        fidelity: Fidelity,
        clusters: dict[str, FakeCluster] | None = None,
    ) -> None:
        super().__init__(region, stack_outputs)
        self.endpoint_url = endpoint_url
        self.emulation = emulation
        self.fidelity = fidelity
        self.clusters = clusters or {}

    def autoname(self, name: str) -> str:
        """Unique per stack, as Pulumi's random suffixes are (IAM and Route 53 names are global)."""
        return f"{name}-{hashlib.sha256(f'{name}@{self.region}'.encode()).hexdigest()[:7]}"

    def client(self, service: str, region: str) -> Any:
        return emulator_client(self.endpoint_url, service, region)

    def availability_zones(self, region: str, filters: list[dict[str, Any]]) -> dict[str, Any]:
        """What DescribeAvailabilityZones lists for the emulated account: the Region's zones, and
        the Local Zones it opted into (moto has none, and ignores the opt-in-status filter)."""
        zones = [
            {
                "name": z["ZoneName"],
                "id": z["ZoneId"],
                "opt-in-status": "opt-in-not-required",
                "zone-type": "availability-zone",
            }
            for z in self.client("ec2", region).describe_availability_zones()["AvailabilityZones"]
            if z["State"] == "available"
        ]
        zones += [
            {
                "name": z,
                "id": f"{region[:2]}{region.split('-')[1][0]}{region[-1]}-lz{i + 1}",
                "opt-in-status": "opted-in",
                "zone-type": "local-zone",
            }
            for i, z in enumerate(LOCAL_ZONES.get(region, ()))
        ]
        for wanted in filters:
            zones = [z for z in zones if z.get(str(wanted.get("name"))) in (wanted.get("values") or [])]
        zones.sort(key=lambda z: z["name"])
        return {"names": [z["name"] for z in zones], "zoneIds": [z["id"] for z in zones], "id": region}

    def kubernetes_outputs(
        self, typ: str, name: str, inputs: dict[str, Any], region: str
    ) -> tuple[str, dict[str, Any]]:
        """Kubernetes objects go to the stack region's cluster (one cluster per region)."""
        cluster = self.clusters.get(self.region)
        if typ.startswith("pulumi:providers:") or cluster is None:
            if cluster is None and typ.startswith("kubernetes:"):
                self.emulation.not_emulated.append((typ, name, "no cluster emulated for this region"))
            return super().kubernetes_outputs(typ, name, inputs, region)
        _, api, kind = typ.split(":")
        api = api.removeprefix("core/")
        body = {k: v for k, v in inputs.items() if k not in ("apiVersion", "kind")}
        body["metadata"] = dict(body.get("metadata") or {})
        body["metadata"].setdefault("name", f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:8]}")
        if kind == "Service" and (body.get("spec") or {}).get("type") == "LoadBalancer":
            # The cloud's load balancer for the Service: its DNS name, as the AWS controller sets it.
            digest = hashlib.sha256(f"{name}@{self.region}".encode()).hexdigest()
            body["status"] = {
                "loadBalancer": {"ingress": [{"hostname": f"a{digest[:32]}.{region}.elb.amazonaws.com"}]}
            }
        stored = cluster.put(api, f"{kind.lower()}s", body)
        self.emulation.created.append((typ, name, region))
        namespace = stored["metadata"].get("namespace", "")
        return f"{namespace}/{stored['metadata']['name']}" if namespace else stored["metadata"][
            "name"
        ], stored

    def outputs_for(
        self, typ: str, name: str, inputs: dict[str, Any], region: str
    ) -> tuple[str, dict[str, Any]]:
        if typ.startswith("kubernetes:") or typ.startswith("pulumi:providers:"):
            return self.kubernetes_outputs(typ, name, inputs, region)
        handler = HANDLERS.get(typ)
        if not typ.startswith("aws:"):
            return super().outputs_for(typ, name, inputs, region)  # components: nothing to create
        # Secrets arrive wrapped (as the engine sees them); AWS is sent their values.
        inputs = unwrap_secrets(inputs)
        declared = Declared(typ, name, inputs, region)
        # AWS refuses what moto would store (offline/aws_rules.py): so does the emulator.
        enforce(declared, self)
        self.emulation.declared.append(declared)
        if handler is None:
            reason = UNSUPPORTED.get(typ, "not among the types the scripts act on or read")
            self.emulation.not_emulated.append((typ, name, reason))
            return super().outputs_for(typ, name, inputs, region)
        rid, outputs = handler(self, name, inputs, region)
        self.emulation.created.append((typ, name, region))
        return rid, {**inputs, **outputs, "id": rid}

    def answer(self, args: pm.MockCallArgs) -> dict[str, Any]:
        region = self.region_of(dict(args.args))
        invoke = args.token
        if invoke == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return self.availability_zones(region, args.args.get("filters") or [])
        if invoke == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            secret = str(args.args.get("secretId"))
            value = self.client("secretsmanager", region).get_secret_value(SecretId=secret)
            return {
                "secretId": secret,
                "arn": value["ARN"],
                "secretString": value["SecretString"],
                "id": secret,
            }
        if invoke == "aws:index/getCallerIdentity:getCallerIdentity":
            identity = self.client("sts", region).get_caller_identity()
            return {
                "accountId": identity["Account"],
                "arn": identity["Arn"],
                "userId": identity["UserId"],
                "id": identity["Account"],
            }
        if invoke == "aws:eks/getCluster:getCluster":
            found = self.client("eks", region).describe_cluster(name=str(args.args.get("name")))["cluster"]
            return {
                "name": found["name"],
                "id": found["name"],
                "arn": found["arn"],
                "endpoint": found["endpoint"],
                "certificateAuthorities": [{"data": found["certificateAuthority"]["data"]}],
                "identities": [{"oidcs": [{"issuer": found["identity"]["oidc"]["issuer"]}]}],
            }
        if invoke == "aws:route53/getZone:getZone":
            name = str(args.args.get("name", "")).rstrip(".")
            zones = self.client("route53", "us-east-1").list_hosted_zones_by_name(DNSName=name)["HostedZones"]
            found = [z for z in zones if z["Name"].rstrip(".") == name]
            if not found:
                raise KeyError(f"hosted zone {name} does not exist in the emulator")
            zone_id = found[0]["Id"].rsplit("/", 1)[-1]
            return {"zoneId": zone_id, "name": name, "id": zone_id, "privateZone": False}
        return super().answer(args)


# ---------------------------------------------------------------------------------------------
# EC2: the network


@handles("aws:ec2/vpc:Vpc")
def _vpc(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    ec2 = m.client("ec2", region)
    vpc = ec2.create_vpc(
        CidrBlock=p["cidrBlock"], TagSpecifications=[{"ResourceType": "vpc", "Tags": aws_tags(p)}]
    )["Vpc"]
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        if p.get(attribute):
            ec2.modify_vpc_attribute(
                VpcId=vpc["VpcId"], **{attribute[0].upper() + attribute[1:]: {"Value": True}}
            )
    return vpc["VpcId"], {"arn": f"arn:aws:ec2:{region}:{vpc['OwnerId']}:vpc/{vpc['VpcId']}"}


@handles("aws:ec2/subnet:Subnet")
def _subnet(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    subnet = m.client("ec2", region).create_subnet(
        VpcId=p["vpcId"],
        CidrBlock=p["cidrBlock"],
        AvailabilityZone=p["availabilityZone"],
        TagSpecifications=[{"ResourceType": "subnet", "Tags": aws_tags(p)}],
    )["Subnet"]
    return subnet["SubnetId"], {"arn": subnet.get("SubnetArn", "")}


@handles("aws:ec2/internetGateway:InternetGateway")
def _gateway(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    ec2 = m.client("ec2", region)
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=p["vpcId"])
    return gateway, {}


@handles("aws:ec2/eip:Eip")
def _eip(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    address = m.client("ec2", region).allocate_address(Domain="vpc")
    return address["AllocationId"], {"publicIp": address["PublicIp"], "allocationId": address["AllocationId"]}


@handles("aws:ec2/natGateway:NatGateway")
def _nat(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    nat = m.client("ec2", region).create_nat_gateway(SubnetId=p["subnetId"], AllocationId=p["allocationId"])
    return nat["NatGateway"]["NatGatewayId"], {}


@handles("aws:ec2/routeTable:RouteTable")
def _route_table(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    ec2 = m.client("ec2", region)
    table = ec2.create_route_table(VpcId=p["vpcId"])["RouteTable"]["RouteTableId"]
    for route in p.get("routes") or []:
        target = (
            {"GatewayId": route["gatewayId"]}
            if route.get("gatewayId")
            else {"NatGatewayId": route["natGatewayId"]}
        )
        ec2.create_route(RouteTableId=table, DestinationCidrBlock=route["cidrBlock"], **target)
    return table, {}


@handles("aws:ec2/routeTableAssociation:RouteTableAssociation")
def _association(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    found = m.client("ec2", region).associate_route_table(
        RouteTableId=p["routeTableId"], SubnetId=p["subnetId"]
    )
    return found["AssociationId"], {}


@handles("aws:ec2/securityGroup:SecurityGroup")
def _security_group(
    m: EmulatedMocks, name: str, p: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    ec2 = m.client("ec2", region)
    group = ec2.create_security_group(
        GroupName=m.autoname(name), Description=p.get("description", name), VpcId=p["vpcId"]
    )["GroupId"]
    rules = [
        {
            "IpProtocol": rule["protocol"],
            "FromPort": whole(rule["fromPort"]),
            "ToPort": whole(rule["toPort"]),
            "IpRanges": [{"CidrIp": c} for c in rule.get("cidrBlocks") or []],
            "UserIdGroupPairs": [{"GroupId": g} for g in rule.get("securityGroups") or []],
        }
        for rule in p.get("ingress") or []
    ]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
    if p.get("tags"):
        ec2.create_tags(Resources=[group], Tags=aws_tags(p))
    return group, {
        "arn": f"arn:aws:ec2:{region}:123456789012:security-group/{group}",
        "name": m.autoname(name),
    }


# ---------------------------------------------------------------------------------------------
# KMS, IAM, SNS, CloudWatch


@handles("aws:kms/key:Key")
def _key(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    kms = m.client("kms", region)
    key = kms.create_key(
        Description=p.get("description", name),
        MultiRegion=bool(p.get("multiRegion")),
        **({"Policy": p["policy"]} if p.get("policy") else {}),
        Tags=aws_tags(p, "TagKey", "TagValue"),
    )["KeyMetadata"]
    if p.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return key["KeyId"], {"keyId": key["KeyId"], "arn": key["Arn"]}


@handles("aws:kms/replicaKey:ReplicaKey")
def _replica_key(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    primary = p["primaryKeyArn"]
    # moto finds a key to replicate by its id only (AWS takes the ARN too).
    replica = m.client("kms", primary.split(":")[3]).replicate_key(
        KeyId=primary.rsplit("/", 1)[-1], ReplicaRegion=region, Description=p.get("description", name)
    )["ReplicaKeyMetadata"]
    return replica["KeyId"], {"keyId": replica["KeyId"], "arn": replica["Arn"]}


@handles("aws:secretsmanager/secret:Secret")
def _secret(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    secret = m.client("secretsmanager", region).create_secret(
        Name=p.get("name") or m.autoname(name),
        Description=p.get("description", ""),
        KmsKeyId=p.get("kmsKeyId", ""),
        AddReplicaRegions=[
            {"Region": r["region"], **({"KmsKeyId": r["kmsKeyId"]} if r.get("kmsKeyId") else {})}
            for r in p.get("replicas") or []
        ],
        Tags=aws_tags(p),
    )
    return secret["ARN"], {"arn": secret["ARN"], "name": secret["Name"]}


@handles("aws:secretsmanager/secretVersion:SecretVersion")
def _secret_version(
    m: EmulatedMocks, name: str, p: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    version = m.client("secretsmanager", region).put_secret_value(
        SecretId=p["secretId"], SecretString=p["secretString"]
    )
    return f"{p['secretId']}|{version['VersionId']}", {
        "versionId": version["VersionId"],
        "arn": version["ARN"],
    }


@handles("aws:kms/alias:Alias")
def _alias(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    m.client("kms", region).create_alias(AliasName=p["name"], TargetKeyId=p["targetKeyId"])
    return p["name"], {"arn": f"arn:aws:kms:{region}:123456789012:{p['name']}"}


@handles("aws:iam/role:Role")
def _role(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    role_name = p.get("name") or m.autoname(name)
    role = m.client("iam", "us-east-1").create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=p["assumeRolePolicy"],
        MaxSessionDuration=whole(p.get("maxSessionDuration", 3600)),
        Tags=aws_tags(p),
    )["Role"]
    return role_name, {"name": role_name, "arn": role["Arn"]}


@handles("aws:iam/policy:Policy")
def _policy(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    policy = m.client("iam", "us-east-1").create_policy(
        PolicyName=p.get("name") or m.autoname(name), PolicyDocument=p["policy"], Tags=aws_tags(p)
    )["Policy"]
    return policy["Arn"], {"arn": policy["Arn"], "name": policy["PolicyName"]}


@handles("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _attachment(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    m.client("iam", "us-east-1").attach_role_policy(RoleName=p["role"], PolicyArn=p["policyArn"])
    return f"{p['role']}-{m.autoname(name)}", {}


@handles("aws:iam/rolePolicy:RolePolicy")
def _role_policy(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    policy_name = p.get("name") or m.autoname(name)
    m.client("iam", "us-east-1").put_role_policy(
        RoleName=p["role"], PolicyName=policy_name, PolicyDocument=p["policy"]
    )
    return f"{p['role']}:{policy_name}", {"name": policy_name}


@handles("aws:sns/topic:Topic")
def _topic(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    attributes = {"KmsMasterKeyId": p["kmsMasterKeyId"]} if p.get("kmsMasterKeyId") else {}
    arn = m.client("sns", region).create_topic(
        Name=p.get("name") or m.autoname(name), Attributes=attributes, Tags=aws_tags(p)
    )["TopicArn"]
    return arn, {"arn": arn, "name": arn.rsplit(":", 1)[-1]}


@handles("aws:sns/topicSubscription:TopicSubscription")
def _subscription(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    found = m.client("sns", region).subscribe(
        TopicArn=p["topic"], Protocol=p["protocol"], Endpoint=p["endpoint"]
    )
    return found["SubscriptionArn"], {"arn": found["SubscriptionArn"]}


@handles("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    cloudwatch = m.client("cloudwatch", region)
    alarm = p.get("name") or m.autoname(name)
    cloudwatch.put_metric_alarm(
        AlarmName=alarm,
        AlarmDescription=p.get("alarmDescription", ""),
        Namespace=p["namespace"],
        MetricName=p["metricName"],
        Dimensions=[{"Name": k, "Value": str(v)} for k, v in (p.get("dimensions") or {}).items()],
        Statistic=p["statistic"],
        Period=whole(p["period"]),
        EvaluationPeriods=whole(p["evaluationPeriods"]),
        Threshold=float(p["threshold"]),
        ComparisonOperator=p["comparisonOperator"],
        TreatMissingData=p.get("treatMissingData", "missing"),
        AlarmActions=p.get("alarmActions") or [],
        OKActions=p.get("okActions") or [],
        Tags=aws_tags(p),
    )
    arn = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmArn"]
    return alarm, {"name": alarm, "arn": arn}


@handles("aws:cloudwatch/logGroup:LogGroup")
def _log_group(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    group = p.get("name") or m.autoname(name)
    m.client("logs", region).create_log_group(
        logGroupName=group, **({"kmsKeyId": p["kmsKeyId"]} if p.get("kmsKeyId") else {})
    )
    return group, {"name": group, "arn": f"arn:aws:logs:{region}:123456789012:log-group:{group}"}


# ---------------------------------------------------------------------------------------------
# RDS


@handles("aws:rds/subnetGroup:SubnetGroup")
def _subnet_group(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    group = (p.get("name") or m.autoname(name)).lower()
    found = m.client("rds", region).create_db_subnet_group(
        DBSubnetGroupName=group,
        DBSubnetGroupDescription=p.get("description", name),
        SubnetIds=p["subnetIds"],
        Tags=aws_tags(p),
    )["DBSubnetGroup"]
    return group, {"name": group, "arn": found["DBSubnetGroupArn"]}


def _instance_outputs(db: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    endpoint = db.get("Endpoint") or {}
    return db["DBInstanceIdentifier"], {
        "identifier": db["DBInstanceIdentifier"],
        "arn": db["DBInstanceArn"],
        "address": endpoint.get("Address", ""),
        "endpoint": f"{endpoint.get('Address', '')}:{endpoint.get('Port', '')}",
        "resourceId": db.get("DbiResourceId", ""),
    }


@handles("aws:rds/instance:Instance")
def _instance(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    rds = m.client("rds", region)
    identifier = p["identifier"]
    common = {
        "DBInstanceIdentifier": identifier,
        "DBInstanceClass": p["instanceClass"],
        "KmsKeyId": p.get("kmsKeyId"),
        "DBSubnetGroupName": p.get("dbSubnetGroupName"),
        "VpcSecurityGroupIds": p.get("vpcSecurityGroupIds") or [],
        "MultiAZ": bool(p.get("multiAz")),
        "DeletionProtection": bool(p.get("deletionProtection")),
        "PubliclyAccessible": bool(p.get("publiclyAccessible")),
        "Tags": aws_tags(p),
    }
    try:
        existing = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    except ClientError:
        existing = None
    if existing is not None:
        # A later deployment of the same stack (promoted mode, say): modify, do not recreate.
        existing = rds.modify_db_instance(
            DBInstanceIdentifier=identifier,
            MultiAZ=common["MultiAZ"],
            BackupRetentionPeriod=whole(
                p.get("backupRetentionPeriod", existing.get("BackupRetentionPeriod", 0))
            ),
            DeletionProtection=common["DeletionProtection"],
            ApplyImmediately=True,
        )["DBInstance"]
        return _instance_outputs(existing)
    if p.get("replicateSourceDb"):
        # moto builds a cross-region replica from a copy of its source and then looks the subnet
        # group up in the source's region, where it does not exist.
        placement = {k: common.pop(k) for k in ("DBSubnetGroupName", "VpcSecurityGroupIds")}
        m.emulation.notes.append(
            (
                "aws:rds/instance:Instance",
                name,
                f"replica created without {', '.join(f'{k}={v}' for k, v in placement.items())}",
            )
        )
        db = rds.create_db_instance_read_replica(SourceDBInstanceIdentifier=p["replicateSourceDb"], **common)[
            "DBInstance"
        ]
    else:
        db = rds.create_db_instance(
            **common,
            Engine=p["engine"],
            EngineVersion=p.get("engineVersion", ""),
            AllocatedStorage=whole(p.get("allocatedStorage", 20)),
            MasterUsername=p.get("username", "admin"),
            ManageMasterUserPassword=bool(p.get("manageMasterUserPassword")),
            **({"MasterUserPassword": p["password"]} if p.get("password") else {}),
            BackupRetentionPeriod=whole(p.get("backupRetentionPeriod", 0)),
            StorageEncrypted=bool(p.get("storageEncrypted")),
            CopyTagsToSnapshot=bool(p.get("copyTagsToSnapshot")),
            Port=whole(p.get("port", 5432)),
        )["DBInstance"]
    return _instance_outputs(db)


@handles("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
def _backups_replication(
    m: EmulatedMocks, name: str, p: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    # moto has no automated-backup replication; the fidelity layer keeps what AWS would.
    source_arn = p["sourceDbInstanceArn"]
    source = m.client("rds", source_arn.split(":")[3]).describe_db_instances(DBInstanceIdentifier=source_arn)
    identifier = source["DBInstances"][0]["DBInstanceIdentifier"]
    account = source_arn.split(":")[4]
    backup_id = hashlib.sha256(source_arn.encode()).hexdigest()[:26]
    arn = f"arn:aws:rds:{region}:{account}:auto-backup:ab-{backup_id}"
    m.fidelity.replicate_backups(
        ReplicatedBackups(
            arn=arn,
            source_arn=source_arn,
            source_identifier=identifier,
            source_region=source_arn.split(":")[3],
            region=region,
            retention_days=whole(p.get("retentionPeriod", 7)),
            started=datetime.now(UTC),
        )
    )
    m.emulation.notes.append(
        (
            "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
            name,
            "kept by the emulator's fidelity layer (moto does not implement it)",
        )
    )
    return arn, {"arn": arn}


# ---------------------------------------------------------------------------------------------
# S3


def _bucket_region(m: EmulatedMocks, bucket: str, fallback: str) -> str:
    location = m.client("s3", fallback).get_bucket_location(Bucket=bucket).get("LocationConstraint")
    return location or "us-east-1"


@handles("aws:s3/bucket:Bucket")
def _bucket(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    bucket = (
        p.get("bucket")
        or f"{p.get('bucketPrefix', name + '-')}{hashlib.sha256((name + region).encode()).hexdigest()[:12]}"
    )
    s3 = m.client("s3", region)
    create: dict[str, Any] = {
        "Bucket": bucket,
        "ObjectLockEnabledForBucket": bool(p.get("objectLockEnabled")),
    }
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    if p.get("tags"):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": aws_tags(p)})
    return bucket, {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "region": region}


def _s3_side(call: Callable[[Any, str, dict[str, Any]], None]) -> Handler:
    """S3 side resources act on a bucket that lives in its own region."""

    def handler(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
        bucket = p["bucket"]
        call(m.client("s3", _bucket_region(m, bucket, region)), bucket, p)
        return bucket, {}

    return handler


HANDLERS["aws:s3/bucketVersioning:BucketVersioning"] = _s3_side(
    lambda s3, b, p: s3.put_bucket_versioning(
        Bucket=b, VersioningConfiguration={"Status": p["versioningConfiguration"]["status"]}
    )
)


def _put_lock(s3: Any, bucket: str, p: dict[str, Any]) -> None:
    retention = p["rule"]["defaultRetention"]
    default = {
        "Mode": retention["mode"],
        **(
            {"Days": whole(retention["days"])}
            if retention.get("days")
            else {"Years": whole(retention["years"])}
        ),
    }
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": default}},
    )


HANDLERS["aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"] = _s3_side(_put_lock)
HANDLERS["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"] = _s3_side(
    lambda s3, b, p: s3.put_bucket_encryption(
        Bucket=b,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": r["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                        "KMSMasterKeyID": r["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId", ""),
                    },
                    "BucketKeyEnabled": bool(r.get("bucketKeyEnabled")),
                }
                for r in p["rules"]
            ]
        },
    )
)
HANDLERS["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"] = _s3_side(
    lambda s3, b, p: s3.put_public_access_block(
        Bucket=b,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": bool(p.get("blockPublicAcls")),
            "IgnorePublicAcls": bool(p.get("ignorePublicAcls")),
            "BlockPublicPolicy": bool(p.get("blockPublicPolicy")),
            "RestrictPublicBuckets": bool(p.get("restrictPublicBuckets")),
        },
    )
)


@handles("aws:s3/bucketPolicy:BucketPolicy")
def _bucket_policy(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    # moto enforces bucket policies but ignores their conditions: the TLS-only Deny (condition
    # aws:SecureTransport false) would refuse every request, over TLS or not. Kept as declared
    # (the policy pack judges it) and listed, not applied.
    m.emulation.notes.append(
        (
            "aws:s3/bucketPolicy:BucketPolicy",
            name,
            "not applied: moto ignores policy conditions, so a TLS-only Deny denies all",
        )
    )
    return p["bucket"], {}


def _put_lifecycle(s3: Any, bucket: str, p: dict[str, Any]) -> None:
    rules = []
    for rule in p["rules"]:
        found: dict[str, Any] = {"ID": rule["id"], "Status": rule["status"], "Filter": {"Prefix": ""}}
        if rule.get("noncurrentVersionExpiration"):
            found["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": whole(rule["noncurrentVersionExpiration"]["noncurrentDays"])
            }
        if rule.get("expiration"):
            found["Expiration"] = {"Days": whole(rule["expiration"]["days"])}
        if rule.get("transitions"):
            found["Transitions"] = [
                {"Days": whole(t["days"]), "StorageClass": t["storageClass"]} for t in rule["transitions"]
            ]
        rules.append(found)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})


HANDLERS["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"] = _s3_side(_put_lifecycle)


def _put_replication(s3: Any, bucket: str, p: dict[str, Any]) -> None:
    rules = []
    for rule in p["rules"]:
        destination = rule["destination"]
        found: dict[str, Any] = {
            "ID": rule["id"],
            "Status": rule["status"],
            "Priority": whole(rule.get("priority", 1)),
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {
                "Status": rule.get("deleteMarkerReplication", {}).get("status", "Disabled")
            },
            "Destination": {
                "Bucket": destination["bucket"],
                "StorageClass": destination.get("storageClass", "STANDARD"),
            },
        }
        if destination.get("encryptionConfiguration"):
            found["Destination"]["EncryptionConfiguration"] = {
                "ReplicaKmsKeyID": destination["encryptionConfiguration"]["replicaKmsKeyId"]
            }
        if destination.get("replicationTime"):
            minutes = whole(destination["replicationTime"]["time"]["minutes"])
            found["Destination"]["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": minutes}}
            found["Destination"]["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": minutes}}
        if rule.get("sourceSelectionCriteria"):
            found["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        rules.append(found)
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration={"Role": p["role"], "Rules": rules})


HANDLERS["aws:s3/bucketReplicationConfig:BucketReplicationConfig"] = _s3_side(_put_replication)


# ---------------------------------------------------------------------------------------------
# AWS Backup


@handles("aws:backup/vault:Vault")
def _vault(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    vault = m.client("backup", region).create_backup_vault(
        BackupVaultName=p["name"], EncryptionKeyArn=p.get("kmsKeyArn"), BackupVaultTags=p.get("tags") or {}
    )
    return p["name"], {"name": p["name"], "arn": vault["BackupVaultArn"]}


@handles("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
def _vault_lock(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    lock: dict[str, Any] = {"BackupVaultName": p["backupVaultName"]}
    for key, api in (
        ("changeableForDays", "ChangeableForDays"),
        ("minRetentionDays", "MinRetentionDays"),
        ("maxRetentionDays", "MaxRetentionDays"),
    ):
        if p.get(key) is not None:
            lock[api] = whole(p[key])
    m.client("backup", region).put_backup_vault_lock_configuration(**lock)
    return p["backupVaultName"], {}


@handles("aws:backup/plan:Plan")
def _backup_plan(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    rules = [
        {
            "RuleName": r["ruleName"],
            "TargetBackupVaultName": r["targetVaultName"],
            "ScheduleExpression": r.get("schedule", ""),
            "StartWindowMinutes": whole(r.get("startWindow", 60)),
            "CompletionWindowMinutes": whole(r.get("completionWindow", 120)),
            "Lifecycle": {"DeleteAfterDays": whole(r["lifecycle"]["deleteAfter"])},
            "EnableContinuousBackup": bool(r.get("enableContinuousBackup")),
            "RecoveryPointTags": r.get("recoveryPointTags") or {},
            "CopyActions": [
                {
                    "DestinationBackupVaultArn": c["destinationVaultArn"],
                    "Lifecycle": {"DeleteAfterDays": whole(c["lifecycle"]["deleteAfter"])},
                }
                for c in r.get("copyActions") or []
            ],
        }
        for r in p["rules"]
    ]
    plan = m.client("backup", region).create_backup_plan(
        BackupPlan={"BackupPlanName": p.get("name") or m.autoname(name), "Rules": rules},
        BackupPlanTags=p.get("tags") or {},
    )
    return plan["BackupPlanId"], {"arn": plan["BackupPlanArn"], "version": plan["VersionId"]}


# ---------------------------------------------------------------------------------------------
# ECS, Application Auto Scaling, ELBv2


@handles("aws:ecs/cluster:Cluster")
def _cluster(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    cluster = m.client("ecs", region).create_cluster(
        clusterName=p.get("name") or m.autoname(name),
        settings=[{"name": s["name"], "value": s["value"]} for s in p.get("settings") or []],
        tags=aws_tags(p, "key", "value"),
    )["cluster"]
    return cluster["clusterArn"], {"name": cluster["clusterName"], "arn": cluster["clusterArn"]}


@handles("aws:ecs/taskDefinition:TaskDefinition")
def _task_definition(
    m: EmulatedMocks, name: str, p: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    task = m.client("ecs", region).register_task_definition(
        family=p["family"],
        containerDefinitions=json.loads(p["containerDefinitions"]),
        cpu=str(p.get("cpu", "256")),
        memory=str(p.get("memory", "512")),
        networkMode=p.get("networkMode", "awsvpc"),
        requiresCompatibilities=p.get("requiresCompatibilities") or ["FARGATE"],
        executionRoleArn=p.get("executionRoleArn", ""),
        tags=aws_tags(p, "key", "value"),
    )["taskDefinition"]
    return task["taskDefinitionArn"], {"arn": task["taskDefinitionArn"], "revision": task["revision"]}


@handles("aws:ecs/service:Service")
def _service(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    ecs = m.client("ecs", region)
    network = p.get("networkConfiguration") or {}
    service = ecs.create_service(
        cluster=p["cluster"],
        serviceName=p["name"],
        taskDefinition=p["taskDefinition"],
        desiredCount=whole(p.get("desiredCount", 1)),
        launchType=p.get("launchType", "FARGATE"),
        deploymentConfiguration={
            "deploymentCircuitBreaker": {
                "enable": bool(p.get("deploymentCircuitBreaker", {}).get("enable")),
                "rollback": bool(p.get("deploymentCircuitBreaker", {}).get("rollback")),
            }
        },
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": network.get("subnets") or [],
                "securityGroups": network.get("securityGroups") or [],
                "assignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED",
            }
        },
        loadBalancers=[
            {
                "targetGroupArn": lb["targetGroupArn"],
                "containerName": lb["containerName"],
                "containerPort": whole(lb["containerPort"]),
            }
            for lb in p.get("loadBalancers") or []
        ],
        tags=aws_tags(p, "key", "value"),
    )["service"]
    # A new service's tasks are running once ECS has started them; the emulator starts none, so
    # bring it to its desired count as a deployment would.
    ecs.update_service(cluster=p["cluster"], service=p["name"], desiredCount=service["desiredCount"])
    return service["serviceArn"], {"name": service["serviceName"], "arn": service["serviceArn"]}


@handles("aws:appautoscaling/target:Target")
def _scalable_target(
    m: EmulatedMocks, name: str, p: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    m.client("application-autoscaling", region).register_scalable_target(
        ServiceNamespace=p["serviceNamespace"],
        ResourceId=p["resourceId"],
        ScalableDimension=p["scalableDimension"],
        MinCapacity=whole(p["minCapacity"]),
        MaxCapacity=whole(p["maxCapacity"]),
    )
    return p["resourceId"], {}


def _lb_name(name: str) -> str:
    """ELB names are at most 32 characters: Pulumi shortens the logical name and adds its suffix."""
    return f"{name[:24]}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


@handles("aws:lb/loadBalancer:LoadBalancer")
def _load_balancer(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    balancer = m.client("elbv2", region).create_load_balancer(
        Name=_lb_name(name),
        Subnets=p["subnets"],
        SecurityGroups=p.get("securityGroups") or [],
        Scheme="internal" if p.get("internal") else "internet-facing",
        Type=p.get("loadBalancerType", "application"),
        Tags=aws_tags(p),
    )["LoadBalancers"][0]
    return balancer["LoadBalancerArn"], {
        "arn": balancer["LoadBalancerArn"],
        "dnsName": balancer["DNSName"],
        "zoneId": balancer["CanonicalHostedZoneId"],
        "name": balancer["LoadBalancerName"],
    }


@handles("aws:lb/targetGroup:TargetGroup")
def _target_group(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    health = p.get("healthCheck") or {}
    group = m.client("elbv2", region).create_target_group(
        Name=_lb_name(name),
        Port=whole(p["port"]),
        Protocol=p.get("protocol", "HTTP"),
        VpcId=p["vpcId"],
        TargetType=p.get("targetType", "ip"),
        HealthCheckPath=health.get("path", "/"),
        Matcher={"HttpCode": health.get("matcher", "200")},
        Tags=aws_tags(p),
    )["TargetGroups"][0]
    return group["TargetGroupArn"], {"arn": group["TargetGroupArn"], "name": group["TargetGroupName"]}


def _actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for action in actions:
        if action["type"] == "forward":
            found.append({"Type": "forward", "TargetGroupArn": action["targetGroupArn"]})
        else:
            redirect = action["redirect"]
            found.append(
                {
                    "Type": "redirect",
                    "RedirectConfig": {
                        "Port": redirect["port"],
                        "Protocol": redirect["protocol"],
                        "StatusCode": redirect["statusCode"],
                    },
                }
            )
    return found


@handles("aws:lb/listener:Listener")
def _listener(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    listener = m.client("elbv2", region).create_listener(
        LoadBalancerArn=p["loadBalancerArn"],
        Port=whole(p["port"]),
        Protocol=p["protocol"],
        DefaultActions=_actions(p["defaultActions"]),
        Tags=aws_tags(p),
    )["Listeners"][0]
    return listener["ListenerArn"], {"arn": listener["ListenerArn"]}


@handles("aws:lb/listenerRule:ListenerRule")
def _listener_rule(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    rule = m.client("elbv2", region).create_rule(
        ListenerArn=p["listenerArn"],
        Priority=whole(p["priority"]),
        Actions=_actions(p["actions"]),
        Conditions=[{"Field": "host-header", "Values": c["hostHeader"]["values"]} for c in p["conditions"]],
        Tags=aws_tags(p),
    )["Rules"][0]
    return rule["RuleArn"], {"arn": rule["RuleArn"]}


# ---------------------------------------------------------------------------------------------
# Route 53 (global: its API lives in us-east-1)


@handles("aws:route53/healthCheck:HealthCheck")
def _health_check(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    route53 = m.client("route53", "us-east-1")
    check = route53.create_health_check(
        CallerReference=m.autoname(name),
        HealthCheckConfig={
            "Type": p["type"],
            "FullyQualifiedDomainName": p["fqdn"],
            "Port": whole(p["port"]),
            "ResourcePath": p.get("resourcePath", "/"),
            "RequestInterval": whole(p.get("requestInterval", 30)),
            "FailureThreshold": whole(p.get("failureThreshold", 3)),
            "Inverted": bool(p.get("invertHealthcheck")),
        },
    )["HealthCheck"]
    if p.get("tags"):
        route53.change_tags_for_resource(
            ResourceType="healthcheck", ResourceId=check["Id"], AddTags=aws_tags(p)
        )
    return check["Id"], {"arn": f"arn:aws:route53:::healthcheck/{check['Id']}"}


@handles("aws:route53/zone:Zone")
def _zone(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    vpcs = p.get("vpcs") or []
    zone = m.client("route53", "us-east-1").create_hosted_zone(
        Name=p["name"],
        CallerReference=m.autoname(name),
        HostedZoneConfig={"Comment": p.get("comment", ""), "PrivateZone": bool(vpcs)},
        **({"VPC": {"VPCRegion": vpcs[0]["vpcRegion"], "VPCId": vpcs[0]["vpcId"]}} if vpcs else {}),
    )["HostedZone"]
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    return zone_id, {"zoneId": zone_id, "nameServers": []}


@handles("aws:route53/record:Record")
def _record(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    record: dict[str, Any] = {"Name": p["name"], "Type": p["type"]}
    if p.get("failoverRoutingPolicies"):
        record.update(
            SetIdentifier=p.get("setIdentifier"),
            Failover=p["failoverRoutingPolicies"][0]["type"],
            HealthCheckId=p.get("healthCheckId"),
        )
    if p.get("aliases"):
        alias = p["aliases"][0]
        record["AliasTarget"] = {
            "HostedZoneId": alias["zoneId"],
            "DNSName": alias["name"],
            "EvaluateTargetHealth": bool(alias.get("evaluateTargetHealth")),
        }
    else:
        record["TTL"] = whole(p["ttl"])
        record["ResourceRecords"] = [{"Value": value} for value in p["records"]]
    record = {k: v for k, v in record.items() if v is not None}
    m.client("route53", "us-east-1").change_resource_record_sets(
        HostedZoneId=p["zoneId"], ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
    )
    rid = f"{p['zoneId']}_{p['name']}_{p['type']}_{p.get('setIdentifier', '')}"
    return rid, {"fqdn": p["name"]}


def check_destroy(emulation: Emulation, world: Any) -> None:
    """`pulumi destroy` must work too: the rules about deleting, for everything deployed."""
    for declared in emulation.declared:
        enforce(declared, world, phase="delete")
