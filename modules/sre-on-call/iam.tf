# Least privilege: three roles (intake, master, scanners). Observed systems are read-only; the
# only invoke rights are on this stack's runtimes and the models config.yaml names.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition

  # A cross-region inference profile (us./eu./apac./global.) routes to the foundation model in
  # several regions, so both the profile and the underlying model are granted.
  bedrock_model_arns = flatten([
    for id in local.bedrock_model_ids : [
      "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:inference-profile/${id}",
      "arn:${local.partition}:bedrock:*::foundation-model/${replace(id, "/^(us|eu|apac|global)\\./", "")}",
    ]
  ])

  secret_arns = [for secret in aws_secretsmanager_secret.this : secret.arn]
}

# ---------------------------------------------------------------- trust policies

data "aws_iam_policy_document" "agentcore_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["bedrock-agentcore.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# ---------------------------------------------------------------- shared by both runtime roles

data "aws_iam_policy_document" "runtime_base" {
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action has no resource type
  }
  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [for repo in aws_ecr_repository.agent : repo.arn]
  }
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/bedrock-agentcore/runtimes/*"]
  }
  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions
  }
  statement {
    sid       = "OwnMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource type; the namespace condition scopes it
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["bedrock-agentcore"]
    }
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.secret_arns
  }
  statement {
    sid       = "KeyUse"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
  dynamic "statement" {
    for_each = length(local.bedrock_model_arns) > 0 ? [1] : []
    content {
      sid       = "ConfiguredModels"
      actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
      resources = local.bedrock_model_arns
    }
  }
}

# ---------------------------------------------------------------- scanners: read-only observers

data "aws_iam_policy_document" "scanner" {
  source_policy_documents = [data.aws_iam_policy_document.runtime_base.json]

  statement {
    sid = "LogsRead"
    actions = [
      "logs:StartQuery", "logs:FilterLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
      "logs:DescribeQueries", "logs:GetQueryResults",
    ]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
  }
  statement {
    sid       = "LogsStopQuery"
    actions   = ["logs:StopQuery"]
    resources = ["*"] # StopQuery takes a query id, not a resource ARN
  }
  statement {
    sid       = "EksDescribe"
    actions   = ["eks:DescribeCluster"]
    resources = ["arn:${local.partition}:eks:${local.region}:${local.account_id}:cluster/*"]
  }
  statement {
    sid       = "PrometheusRead"
    actions   = ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"]
    resources = ["arn:${local.partition}:aps:${local.region}:${local.account_id}:workspace/*"]
  }
  statement {
    sid = "MetricsRead"
    actions = [
      "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
    ]
    resources = ["*"] # metric reads have no resource type
  }
  statement {
    sid       = "AlarmsRead"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
  }
}

resource "aws_iam_role" "scanner" {
  name               = "${var.name_prefix}-scanner"
  assume_role_policy = data.aws_iam_policy_document.agentcore_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "scanner" {
  name   = "scanner"
  role   = aws_iam_role.scanner.id
  policy = data.aws_iam_policy_document.scanner.json
}

# ---------------------------------------------------------------- master: fans out, archives

data "aws_iam_policy_document" "master" {
  source_policy_documents = [data.aws_iam_policy_document.runtime_base.json]

  dynamic "statement" {
    for_each = length(aws_bedrockagentcore_agent_runtime.scanner) > 0 ? [1] : []
    content {
      sid       = "InvokeScanners"
      actions   = ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:GetAgentCard"]
      resources = flatten([for rt in aws_bedrockagentcore_agent_runtime.scanner : [rt.agent_runtime_arn, "${rt.agent_runtime_arn}/*"]])
    }
  }
  statement {
    sid       = "WriteTraces"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.archive.arn}/*"]
  }
  statement {
    sid       = "InvestigationMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource type; the namespace condition scopes it
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.metrics_namespace]
    }
  }
}

resource "aws_iam_role" "master" {
  name               = "${var.name_prefix}-master"
  assume_role_policy = data.aws_iam_policy_document.agentcore_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "master" {
  name   = "master"
  role   = aws_iam_role.master.id
  policy = data.aws_iam_policy_document.master.json
}

# ---------------------------------------------------------------- intake Lambda

data "aws_iam_policy_document" "intake" {
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.intake.arn}:*"]
  }
  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions
  }
  statement {
    sid       = "SelfInvokeAsync"
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.intake_function_name}"]
  }
  statement {
    sid       = "InvokeMaster"
    actions   = ["bedrock-agentcore:InvokeAgentRuntime"]
    resources = [aws_bedrockagentcore_agent_runtime.master.agent_runtime_arn, "${aws_bedrockagentcore_agent_runtime.master.agent_runtime_arn}/*"]
  }
  statement {
    sid       = "Dedup"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.dedup.arn]
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.secret_arns
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.intake_dlq.arn]
  }
  statement {
    sid       = "KeyUse"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role" "intake" {
  name               = "${var.name_prefix}-intake"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "intake" {
  name   = "intake"
  role   = aws_iam_role.intake.id
  policy = data.aws_iam_policy_document.intake.json
}
