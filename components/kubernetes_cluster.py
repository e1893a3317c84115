"""The Kubernetes cluster of one region: a provider to declare workloads with, and, on EKS, the
OIDC provider that IAM roles for service accounts (IRSA) trust."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s


@dataclass
class KubernetesClusterArgs:
    region: str
    account_id: str
    kubeconfig: pulumi.Input[str] | None = None  # a secret
    kube_context: str | None = None  # the kubeconfig's current-context
    eks_cluster_name: str | None = None


def eks_kubeconfig(name: str, region: str, endpoint: str, certificate_authority: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token`: the caller's own AWS identity,
    so no long-lived cluster credential lives in state."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name, "--region", region],
                        }
                    },
                }
            ],
        }
    )


class KubernetesCluster(pulumi.ComponentResource):
    provider: k8s.Provider
    name: str
    # The kubeconfig context an operator selects for this cluster: an EKS cluster's ARN, which is
    # how `aws eks update-kubeconfig --name <name> --region <region>` names it, so the two regions'
    # clusters never share one even when they share a name.
    context: pulumi.Input[str]
    oidc_provider_arn: str | None
    oidc_issuer: str | None  # host and path, without https://, as IAM conditions name it

    def __init__(
        self, name: str, args: KubernetesClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:KubernetesCluster", name, None, opts)
        self.oidc_provider_arn = None
        self.oidc_issuer = None
        if args.eks_cluster_name is not None:
            cluster = aws.eks.get_cluster(name=args.eks_cluster_name, region=args.region)
            kubeconfig: pulumi.Input[str] = pulumi.Output.secret(
                eks_kubeconfig(
                    args.eks_cluster_name,
                    args.region,
                    cluster.endpoint,
                    cluster.certificate_authorities[0].data,
                )
            )
            issuer = cluster.identities[0].oidcs[0].issuer.removeprefix("https://")
            self.oidc_issuer = issuer
            self.oidc_provider_arn = f"arn:aws:iam::{args.account_id}:oidc-provider/{issuer}"
            self.name = args.eks_cluster_name
            self.context = cluster.arn
        else:
            assert args.kubeconfig is not None, "read_stack_config requires one of the two"
            assert args.kube_context is not None, "read_stack_config reads it from the kubeconfig"
            kubeconfig = args.kubeconfig
            self.name = args.kube_context
            self.context = args.kube_context
        self.provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=kubeconfig,
            # Server-side apply lets a failover's scaling and this program own different fields.
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {"name": self.name, "context": self.context, "oidc_provider_arn": self.oidc_provider_arn}
        )
