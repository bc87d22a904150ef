"""The `eks` scanner kind: the cluster's state, events, rollouts and pod logs for the alert's workload."""

from shared.config import EksSource
from shared.plugins import IamStatement, ScannerKind

KIND = ScannerKind(
    name="eks",
    build="agents.eks.agent:build",
    description="Inspects the EKS cluster state, events, rollouts and pod logs of the affected workload.",
    source=EksSource,
    source_key="eks",
    iam=(
        IamStatement(
            sid="EksDescribe",  # the endpoint and CA; reading objects is Kubernetes RBAC (the access entry)
            actions=("eks:DescribeCluster",),
            resources=("arn:{partition}:eks:{region}:{account}:cluster/*",),
        ),
    ),
    stand_in="kubernetes",
    default_skills=("k8s-triage",),
)
