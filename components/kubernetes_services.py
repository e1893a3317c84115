"""The plan's Kubernetes services in one region: per service a Deployment with probes on the
plan's health check, a LoadBalancer Service as its entry point, a PodDisruptionBudget, and a
HorizontalPodAutoscaler whose floor is this region's capacity (a failover raises it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.services import (
    DatabaseConnection,
    container_environment,
    database_variable,
    placeholder_command,
)
from continuity.derive import ServiceSettings
from continuity.stack_config import ServiceRuntime

# Clients reach the load balancer on the standard HTTP port; it forwards to the plan's port.
SERVICE_PORT = 80


@dataclass
class KubernetesServicesArgs:
    services: list[ServiceSettings]
    namespaces: dict[str, str]  # service -> namespace
    runtime: dict[str, ServiceRuntime]
    replicas: dict[str, int]  # this region's capacity now
    provider: k8s.Provider
    # The plan's databases: their names (host, port) and, per data item, the master password.
    databases: list[DatabaseConnection] = field(default_factory=list)
    passwords: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def autoscaler_floor(replicas: int) -> int:
    """The HPA's minReplicas: the API server refuses 0 (it needs the alpha HPAScaleToZero gate;
    autoscaling/v2 validation: "must be greater than or equal to 1"). A Deployment scaled to 0 is
    left alone by its HPA (ScalingActive false: "scaling is disabled since the replica count of the
    target is zero"), so a pilot light stays dark with a floor of 1 until the failover scales it."""
    return max(1, replicas)


def _label_value(value: str) -> str:
    """Kubernetes label values: 63 characters of [A-Za-z0-9-_.]; tag keys' colons become dots."""
    return value.replace(":", ".")[:63]


def _hostname(status: k8s.core.v1.outputs.ServiceStatus | None) -> str:
    """The load balancer's DNS name, once the cloud has given it one."""
    ingress = status.load_balancer.ingress if status and status.load_balancer else None
    return (ingress[0].hostname or "") if ingress else ""


class KubernetesServices(pulumi.ComponentResource):
    namespaces: dict[str, k8s.core.v1.Namespace]  # by name
    deployments: dict[str, pulumi.Output[str]]
    autoscalers: dict[str, pulumi.Output[str]]
    hostnames: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: KubernetesServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:KubernetesServices", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = {k.replace(":", "."): _label_value(v) for k, v in args.labels.items()}
        # The namespace may hold more than the services (VAPORA's database lives beside them):
        # `pulumi destroy` leaves it, and what it holds, in the cluster.
        kept = pulumi.ResourceOptions(parent=self, provider=args.provider, retain_on_delete=True)
        namespaces = {
            ns: k8s.core.v1.Namespace(f"{name}-{ns}", metadata={"name": ns, "labels": labels}, opts=kept)
            for ns in dict.fromkeys(args.namespaces.values())
        }
        self.namespaces = namespaces
        # The databases' master passwords, one Secret per namespace (a key per data item), where the
        # pods read them; the secret values stay encrypted in Pulumi's state.
        credentials = {
            ns: k8s.core.v1.Secret(
                f"{name}-{ns}-databases",
                metadata={
                    "name": "continuity-databases",
                    "namespace": namespace.metadata.name,
                    "labels": labels,
                },
                string_data={item: password for item, password in args.passwords.items()},
                opts=child,
            )
            for ns, namespace in namespaces.items()
            if args.databases
        }
        self.deployments, self.autoscalers, self.hostnames = {}, {}, {}
        for s in args.services:
            namespace = namespaces[args.namespaces[s.name]]
            selector = {"app.kubernetes.io/name": s.name}
            metadata: k8s.meta.v1.ObjectMetaArgsDict = {
                "name": s.name,
                "namespace": namespace.metadata.name,
                "labels": {**labels, **selector},
            }
            probe: k8s.core.v1.ProbeArgsDict = {"http_get": {"path": s.health_check, "port": s.port}}
            replicas = args.replicas[s.name]
            runtime = args.runtime[s.name]
            container: k8s.core.v1.ContainerArgsDict = {
                "name": s.name,
                "image": runtime.image,
                "ports": [{"container_port": s.port}],
                "readiness_probe": probe,
                "liveness_probe": probe,
                "resources": {"requests": {"cpu": f"{runtime.cpu}m", "memory": f"{runtime.memory}Mi"}},
                "env": [
                    *container_environment(args.databases),
                    *[
                        {
                            "name": database_variable(db.data_item, "PASSWORD"),
                            "value_from": {
                                "secret_key_ref": {
                                    "name": credentials[args.namespaces[s.name]].metadata.name,
                                    "key": db.data_item,
                                }
                            },
                        }
                        for db in args.databases
                    ],
                ],
            }
            if runtime.placeholder:
                container["command"] = placeholder_command(s.port, s.health_check)
            deployment = k8s.apps.v1.Deployment(
                f"{name}-{s.name}",
                metadata=metadata,
                spec={
                    "replicas": replicas,
                    "selector": {"match_labels": selector},
                    "template": {
                        "metadata": {"labels": {**labels, **selector}},
                        "spec": {"containers": [container]},
                    },
                },
                opts=child,
            )
            service = k8s.core.v1.Service(
                f"{name}-{s.name}",
                metadata=metadata,
                spec={
                    "type": "LoadBalancer",
                    "selector": selector,
                    "ports": [{"port": SERVICE_PORT, "target_port": s.port, "protocol": "TCP"}],
                },
                opts=child,
            )
            # One pod at a time: node drains go on, but never take two replicas of a service down.
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-{s.name}",
                metadata=metadata,
                spec={"max_unavailable": 1, "selector": {"match_labels": selector}},
                opts=child,
            )
            autoscaler = k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-{s.name}",
                metadata=metadata,
                spec={
                    "scale_target_ref": {
                        "api_version": "apps/v1",
                        "kind": "Deployment",
                        "name": deployment.metadata.name,
                    },
                    "min_replicas": autoscaler_floor(replicas),
                    "max_replicas": max(replicas, s.full_desired_count),
                },
                opts=child,
            )
            self.deployments[s.name] = deployment.metadata.name
            self.autoscalers[s.name] = autoscaler.metadata.name
            self.hostnames[s.name] = service.status.apply(_hostname)
        self.register_outputs(
            {"deployments": self.deployments, "autoscalers": self.autoscalers, "hostnames": self.hostnames}
        )
