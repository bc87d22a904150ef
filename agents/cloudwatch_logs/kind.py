"""The `cloudwatch_logs` scanner kind: the relevant log groups, their errors clustered into templates."""

from shared.config import CloudWatchLogsSource
from shared.plugins import IamStatement, ScannerKind

KIND = ScannerKind(
    name="cloudwatch_logs",
    build="agents.cloudwatch_logs.agent:build",
    description="Finds the relevant CloudWatch log groups and clusters their errors into templates.",
    source=CloudWatchLogsSource,
    source_key="cloudwatch_logs",
    iam=(
        IamStatement(
            sid="LogsRead",
            actions=(
                "logs:StartQuery",
                "logs:FilterLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:DescribeQueries",
                "logs:GetQueryResults",
            ),
            resources=("arn:{partition}:logs:{region}:{account}:log-group:*",),
        ),
        IamStatement(sid="LogsStopQuery", actions=("logs:StopQuery",)),  # takes a query id, no ARN
        # The snapshot ranks groups by AWS/Logs IncomingBytes; metric reads have no resource type.
        IamStatement(sid="MetricsRead", actions=("cloudwatch:GetMetricData",)),
    ),
    stand_in="aws",
    default_skills=("log-triage",),
)
