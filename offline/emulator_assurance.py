"""The emulator's side of issue 16: what moto 5.2.5 can create of the assurance resources, created
there, and the rest listed as not emulated with the reason.

Registered into offline/emulator.py's ``HANDLERS`` (by ``@handles``) and ``UNSUPPORTED`` when that
module imports this one. Created in moto: AWS Backup report plans, Resilience Hub resiliency
policies, FIS experiment templates, EventBridge rules and targets, SNS topic policies, and the
Region switch plan's Lambda function (code and configuration; moto runs functions only with
Docker, which the rehearsal does not need). SNS subscriptions and CloudWatch alarms are the
emulator's own handlers already.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pulumi

from continuity.assurance import go_seconds
from offline.emulator import UNSUPPORTED, EmulatedMocks, aws_tags, handles, whole

_NO_ACCESS_ENTRIES = "moto 5.2.5 does not implement EKS access entries"
UNSUPPORTED.update(
    {
        "aws:backup/framework:Framework": "moto 5.2.5 does not implement Backup Audit Manager frameworks",
        "aws:arcregionswitch/plan:Plan": "moto 5.2.5 does not implement ARC Region switch",
        "aws:eks/accessEntry:AccessEntry": _NO_ACCESS_ENTRIES,
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _NO_ACCESS_ENTRIES,
        "aws:s3/bucketMetric:BucketMetric": "moto 5.2.5 does not implement PutBucketMetricsConfiguration",
    }
)

# The provider's field names for Resilience Hub's disruption types (the API's policy map keys).
_DISRUPTIONS = {"software": "Software", "hardware": "Hardware", "az": "AZ", "region": "Region"}


def seconds(duration: str) -> int:
    found = go_seconds(duration)
    if found is None:
        raise ValueError(f"{duration!r} is not a Go duration of hours, minutes and seconds")
    return found


@handles("aws:backup/reportPlan:ReportPlan")
def _report_plan(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    channel, setting = p["reportDeliveryChannel"], p["reportSetting"]
    plan = m.client("backup", region).create_report_plan(
        ReportPlanName=p["name"],
        ReportPlanDescription=p.get("description", ""),
        ReportDeliveryChannel={
            "S3BucketName": channel["s3BucketName"],
            **({"S3KeyPrefix": channel["s3KeyPrefix"]} if channel.get("s3KeyPrefix") else {}),
            "Formats": channel.get("formats") or ["CSV"],
        },
        ReportSetting={
            "ReportTemplate": setting["reportTemplate"],
            **({"FrameworkArns": setting["frameworkArns"]} if setting.get("frameworkArns") else {}),
            **(
                {"NumberOfFrameworks": whole(setting["numberOfFrameworks"])}
                if setting.get("numberOfFrameworks") is not None
                else {}
            ),
        },
        ReportPlanTags=p.get("tags") or {},
    )
    return p["name"], {"arn": plan["ReportPlanArn"], "name": p["name"]}


@handles("aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy")
def _resiliency_policy(
    m: EmulatedMocks, name: str, p: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    policy = {
        _DISRUPTIONS[key]: {"rtoInSecs": seconds(value["rto"]), "rpoInSecs": seconds(value["rpo"])}
        for key, value in (p.get("policy") or {}).items()
        if value
    }
    found = m.client("resiliencehub", region).create_resiliency_policy(
        policyName=p["name"],
        policyDescription=p.get("description", ""),
        tier=p["tier"],
        policy=policy,
        **(
            {"dataLocationConstraint": p["dataLocationConstraint"]} if p.get("dataLocationConstraint") else {}
        ),
        **({"tags": p["tags"]} if p.get("tags") else {}),
    )["policy"]
    return found["policyArn"], {"arn": found["policyArn"], "name": p["name"]}


def _fis_target(target: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"resourceType": target["resourceType"], "selectionMode": target["selectionMode"]}
    if target.get("resourceArns"):
        found["resourceArns"] = target["resourceArns"]
    if target.get("resourceTags"):
        found["resourceTags"] = {t["key"]: t["value"] for t in target["resourceTags"]}
    if target.get("filters"):
        found["filters"] = [{"path": f["path"], "values": f["values"]} for f in target["filters"]]
    return found


@handles("aws:fis/experimentTemplate:ExperimentTemplate")
def _experiment_template(
    m: EmulatedMocks, name: str, p: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    template = m.client("fis", region).create_experiment_template(
        clientToken=m.autoname(name),
        description=p["description"],
        roleArn=p["roleArn"],
        stopConditions=[
            {"source": s["source"], **({"value": s["value"]} if s.get("value") else {})}
            for s in p["stopConditions"]
        ],
        targets={t["name"]: _fis_target(t) for t in p.get("targets") or []},
        actions={
            a["name"]: {
                "actionId": a["actionId"],
                "parameters": {x["key"]: x["value"] for x in a.get("parameters") or []},
                **({"targets": {a["target"]["key"]: a["target"]["value"]}} if a.get("target") else {}),
            }
            for a in p["actions"]
        },
        tags=p.get("tags") or {},
    )["experimentTemplate"]
    return template["id"], {"arn": template.get("arn", ""), "id": template["id"]}


@handles("aws:cloudwatch/eventRule:EventRule")
def _event_rule(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    rule = p.get("name") or m.autoname(name)
    arn = m.client("events", region).put_rule(
        Name=rule,
        EventPattern=p["eventPattern"],
        Description=p.get("description", ""),
        State="ENABLED",
        Tags=aws_tags(p),
    )["RuleArn"]
    return rule, {"arn": arn, "name": rule}


@handles("aws:cloudwatch/eventTarget:EventTarget")
def _event_target(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    m.client("events", region).put_targets(Rule=p["rule"], Targets=[{"Id": p["targetId"], "Arn": p["arn"]}])
    return f"{p['rule']}-{p['targetId']}", {}


@handles("aws:sns/topicPolicy:TopicPolicy")
def _topic_policy(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    topic = p["arn"]
    m.client("sns", topic.split(":")[3]).set_topic_attributes(
        TopicArn=topic, AttributeName="Policy", AttributeValue=p["policy"]
    )
    return topic, {}


def _zip(directory: Path) -> bytes:
    """The function's code as Lambda takes it: the directory's files at the archive's root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def _code_path(code: Any) -> Path:
    path = code.path if isinstance(code, pulumi.FileArchive) else (code or {}).get("path")
    if not path:
        raise ValueError("the emulator deploys functions from a FileArchive only")
    return Path(str(path))


@handles("aws:lambda/function:Function")
def _function(m: EmulatedMocks, name: str, p: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
    function = p.get("name") or m.autoname(name)
    found = m.client("lambda", region).create_function(
        FunctionName=function,
        Runtime=p["runtime"],
        Role=p["role"],
        Handler=p["handler"],
        Code={"ZipFile": _zip(_code_path(p.get("code")))},
        Description=p.get("description", ""),
        Timeout=whole(p.get("timeout", 3)),
        Environment={"Variables": dict((p.get("environment") or {}).get("variables") or {})},
        Tags=p.get("tags") or {},
    )
    return function, {"arn": found["FunctionArn"], "name": function, "invokeArn": found["FunctionArn"]}
