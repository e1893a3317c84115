"""Mocks that answer like AWS would: ids, ARNs and names in each resource's own region.

The program runs unchanged; what it declares is recorded, and what AWS would compute (an ARN, a
bucket name, a load balancer's DNS name) is made up in AWS's own formats, deterministically, so
two runs of the same stack give the same answers.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from typing import Any

from pulumi.runtime import mocks as pm

ACCOUNT_ID = "123456789012"
# Route 53 alias targets use the load balancer's canonical hosted zone, one per region.
ALB_ZONE_IDS = {"us-east-1": "Z35SXDOTRQ7X7K", "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2"}
HOSTED_ZONE_ID = "Z0OFFLINE0000000"


def _digest(*parts: str, length: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class OfflineMocks(pm.Mocks):
    """Plausible outputs for every resource type the program declares, and its invokes."""

    def __init__(self, region: str, stack_outputs: dict[str, dict[str, Any]] | None = None) -> None:
        self.region = region
        self.stack_outputs = stack_outputs or {}
        self._lock = threading.Lock()

    def region_of(self, inputs: dict[str, Any]) -> str:
        value = inputs.get("region")
        return value if isinstance(value, str) and value else self.region

    def new_resource(self, args: pm.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs["name"]
            if name not in self.stack_outputs:
                raise KeyError(f"stack reference {name}: no such stack")
            return name, {"name": name, "outputs": self.stack_outputs[name], "secretOutputNames": []}
        inputs = dict(args.inputs)
        region = self.region_of(inputs)
        return self.outputs_for(args.typ, args.name, inputs, region)

    def outputs_for(
        self, typ: str, name: str, inputs: dict[str, Any], region: str
    ) -> tuple[str, dict[str, Any]]:
        """(id, outputs) for one resource, in AWS's formats."""
        account = ACCOUNT_ID
        out = dict(inputs)
        short = _digest(typ, name, region)
        if typ.startswith("kubernetes:") or typ.startswith("pulumi:providers:"):
            return self.kubernetes_outputs(typ, name, inputs, region)
        service = typ.split(":", 2)[1].split("/", 1)[0]
        rid = f"{name}-{short}"
        if typ == "aws:rds/instance:Instance":
            rid = inputs.get("identifier") or rid
            out["identifier"] = rid
            out["arn"] = f"arn:aws:rds:{region}:{account}:db:{rid}"
            out["address"] = f"{rid}.{short}.{region}.rds.amazonaws.com"
            out["endpoint"] = f"{out['address']}:{int(inputs.get('port', 5432))}"
            out["resourceId"] = f"db-{short.upper()}"
        elif typ == "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":
            rid = f"arn:aws:rds:{region}:{account}:auto-backup:ab-{short}"
        elif typ == "aws:s3/bucket:Bucket":
            rid = f"{inputs.get('bucketPrefix', name + '-')}{_digest(name, region, length=12)}"
            out["bucket"] = rid
            out["arn"] = f"arn:aws:s3:::{rid}"
            out["region"] = region
        elif typ == "random:index/randomPassword:RandomPassword":
            # A password as the random provider makes it: the length and alphabet asked for.
            alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789" + str(
                inputs.get("overrideSpecial", "")
            )
            seed = hashlib.sha256(f"{name}/{region}/password".encode()).digest()
            length = int(inputs.get("length", 16))
            out["result"] = "".join(alphabet[seed[i % len(seed)] % len(alphabet)] for i in range(length))
            out["bcryptHash"] = "$2a$10$" + _digest(name, length=53)
            rid = "none"
        elif typ == "aws:secretsmanager/secret:Secret":
            secret = inputs.get("name") or rid
            out["name"] = secret
            rid = out["arn"] = f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-{short[:6]}"
        elif typ == "aws:secretsmanager/secretVersion:SecretVersion":
            rid = f"{inputs.get('secretId')}|{short}"
            out["versionId"] = str(uuid.UUID(hashlib.md5(rid.encode()).hexdigest()))  # noqa: S324
        elif typ == "aws:route53/zone:Zone":
            rid = out["zoneId"] = f"Z{short.upper()}PRIVATE"
            out["nameServers"] = []
        elif typ in ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"):
            rid = str(uuid.UUID(hashlib.md5(f"{name}/{region}".encode()).hexdigest()))  # noqa: S324 - an id, not a hash of secrets
            out["keyId"] = rid
            out["arn"] = f"arn:aws:kms:{region}:{account}:key/{rid}"
        elif typ == "aws:backup/vault:Vault":
            rid = inputs.get("name") or rid
            out["name"] = rid
            out["arn"] = f"arn:aws:backup:{region}:{account}:backup-vault:{rid}"
        elif typ == "aws:backup/plan:Plan":
            rid = str(uuid.UUID(hashlib.md5(f"{name}/{region}".encode()).hexdigest()))  # noqa: S324
            out["arn"] = f"arn:aws:backup:{region}:{account}:backup-plan:{rid}"
            out["version"] = short
        elif typ == "aws:ecs/cluster:Cluster":
            cluster = inputs.get("name") or rid
            out["name"] = cluster
            out["arn"] = f"arn:aws:ecs:{region}:{account}:cluster/{cluster}"
            rid = out["arn"]
        elif typ == "aws:ecs/service:Service":
            cluster_arn = str(inputs.get("cluster", ""))
            cluster = cluster_arn.rsplit("/", 1)[-1]
            service = inputs.get("name") or rid
            out["name"] = service
            rid = f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service}"
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            lb = (inputs.get("name") or name)[:24]
            out["name"] = lb
            out["arn"] = f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{lb}/{short}"
            out["dnsName"] = f"{lb}-{int(short, 16) % 10**9}.{region}.elb.amazonaws.com"
            out["zoneId"] = ALB_ZONE_IDS.get(region, "Z0ALB0000000")
            rid = out["arn"]
        elif typ in (
            "aws:lb/targetGroup:TargetGroup",
            "aws:lb/listener:Listener",
            "aws:lb/listenerRule:ListenerRule",
        ):
            kind = typ.rsplit(":", 1)[1].lower()
            rid = f"arn:aws:elasticloadbalancing:{region}:{account}:{kind}/{name[:24]}/{short}"
            out["arn"] = rid
        elif typ == "aws:route53/healthCheck:HealthCheck":
            rid = str(uuid.UUID(hashlib.md5(f"{name}/{self.region}/hc".encode()).hexdigest()))  # noqa: S324
            out["arn"] = f"arn:aws:route53:::healthcheck/{rid}"
        elif typ == "aws:route53/record:Record":
            parts = [
                inputs.get("zoneId"),
                inputs.get("name"),
                inputs.get("type"),
                inputs.get("setIdentifier", ""),
            ]
            rid = "_".join(str(p) for p in parts)
            out["fqdn"] = inputs.get("name")
        elif typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            alarm = inputs.get("name") or rid
            out["name"] = alarm
            out["arn"] = f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm}"
            rid = alarm
        elif typ == "aws:sns/topic:Topic":
            topic = inputs.get("name") or rid
            out["name"] = topic
            rid = out["arn"] = f"arn:aws:sns:{region}:{account}:{topic}"
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            group = inputs.get("name") or rid
            out["name"] = group
            out["arn"] = f"arn:aws:logs:{region}:{account}:log-group:{group}"
            rid = group
        elif typ in ("aws:iam/role:Role", "aws:iam/policy:Policy"):
            kind = "role" if typ.endswith("Role") else "policy"
            entity = inputs.get("name") or rid
            out["name"] = entity
            out["arn"] = f"arn:aws:iam::{account}:{kind}/{entity}"
            rid = entity if kind == "role" else out["arn"]
        elif typ == "aws:ec2/vpc:Vpc":
            rid = f"vpc-{short}"
        elif typ == "aws:ec2/subnet:Subnet":
            rid = f"subnet-{short}"
        elif typ == "aws:ec2/securityGroup:SecurityGroup":
            rid = f"sg-{short}"
        elif typ == "aws:rds/subnetGroup:SubnetGroup":
            rid = out.get("name") or rid
            out["name"] = rid
        elif typ == "aws:appautoscaling/target:Target":
            rid = str(inputs.get("resourceId", rid))
        out.setdefault("id", rid)
        if "arn" not in out and service not in ("ec2",):
            out["arn"] = f"arn:aws:{service}:{region}:{account}:{typ.rsplit(':', 1)[1].lower()}/{rid}"
        out.setdefault("name", rid)
        out.setdefault("tagsAll", inputs.get("tags", {}))
        return rid, out

    def kubernetes_outputs(
        self, typ: str, name: str, inputs: dict[str, Any], region: str
    ) -> tuple[str, dict[str, Any]]:
        """What the API server would answer: the object back, with a load balancer for a Service."""
        out = dict(inputs)
        metadata = dict(out.get("metadata") or {})
        metadata.setdefault("name", f"{name}-{_digest(name, length=8)}")
        out["metadata"] = metadata
        if typ == "kubernetes:core/v1:Service" and (out.get("spec") or {}).get("type") == "LoadBalancer":
            host = (
                f"a{_digest(name, region, length=32)}-{_digest(region, length=10)}.{region}.elb.amazonaws.com"
            )
            out["status"] = {"loadBalancer": {"ingress": [{"hostname": host}]}}
        namespace = metadata.get("namespace", "")
        return f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"]), out

    def call(self, args: pm.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return self.answer(args), []

    def answer(self, args: pm.MockCallArgs) -> dict[str, Any]:
        region = self.region_of(dict(args.args))
        invoke = args.token
        if invoke == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            secret = str(args.args.get("secretId"))
            password = _digest(secret, "password", length=32)
            return {
                "secretId": secret,
                "arn": secret,
                "secretString": f'{{"password": "{password}"}}',
                "id": secret,
            }
        if invoke == "aws:index/getAvailabilityZones:getAvailabilityZones":
            # Three zones, and a Local Zone the account opted into: EC2 lists it too unless filtered.
            zones = [
                {
                    "name": f"{region}{suffix}",
                    "id": f"{region[:2]}{region[-1]}-az{i + 1}",
                    "zone-type": "availability-zone",
                    "opt-in-status": "opt-in-not-required",
                }
                for i, suffix in enumerate("abc")
            ] + [
                {
                    "name": f"{region}-lz-1a",
                    "id": f"{region[:2]}{region[-1]}-lz1",
                    "zone-type": "local-zone",
                    "opt-in-status": "opted-in",
                }
            ]
            for wanted in args.args.get("filters") or []:
                zones = [z for z in zones if z.get(str(wanted.get("name"))) in (wanted.get("values") or [])]
            zones.sort(key=lambda z: z["name"])
            return {"names": [z["name"] for z in zones], "zoneIds": [z["id"] for z in zones], "id": region}
        if invoke == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
                "userId": "AIDAOFFLINE",
                "id": ACCOUNT_ID,
            }
        if invoke == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if invoke == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if invoke == "aws:eks/getCluster:getCluster":
            name = str(args.args.get("name"))
            issuer = f"https://oidc.eks.{region}.amazonaws.com/id/{_digest(name, region, length=32).upper()}"
            return {
                "name": name,
                "id": name,
                "arn": f"arn:aws:eks:{region}:{ACCOUNT_ID}:cluster/{name}",
                "endpoint": f"https://{_digest(name, region, length=32).upper()}.gr7.{region}.eks.amazon"
                "aws.com",
                "certificateAuthorities": [{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="}],
                "identities": [{"oidcs": [{"issuer": issuer}]}],
            }
        if invoke == "aws:route53/getZone:getZone":
            name = str(args.args.get("name", "example.com")).rstrip(".")
            return {"zoneId": HOSTED_ZONE_ID, "name": name, "id": HOSTED_ZONE_ID, "privateZone": False}
        raise NotImplementedError(f"offline mocks: no answer for invoke {invoke}")
