"""The `prometheus` scanner kind: what moved in Prometheus (or Amazon Managed Prometheus), and when."""

from shared.config import PrometheusSource
from shared.plugins import IamStatement, ScannerKind

KIND = ScannerKind(
    name="prometheus",
    build="agents.prometheus.agent:build",
    description="Evaluates the alert expression and finds the metrics that moved, and when.",
    source=PrometheusSource,
    source_key="prometheus",
    secret_fields=("bearer_token_env", "basic_auth_user_env", "basic_auth_password_env"),
    iam=(
        IamStatement(
            sid="PrometheusRead",  # Amazon Managed Prometheus (SigV4); nothing for a plain URL
            actions=("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"),
            resources=("arn:{partition}:aps:{region}:{account}:workspace/*",),
        ),
    ),
    stand_in="prometheus",
    default_skills=("metrics-triage",),
)
