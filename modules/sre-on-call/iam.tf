# Least privilege: one role per agent and one for the intake. Observed systems are read-only;
# each agent may read only the secrets config.yaml lists for it and invoke only its own model;
# the only invoke rights are on this stack's runtimes.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
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

# ---------------------------------------------------------------- shared by every runtime role

data "aws_iam_policy_document" "runtime_base" {
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action has no resource type
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
    sid       = "KeyUse"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
}

# ---------------------------------------------------------------- each agent's own
# Its image, the secrets its `secrets:` list names in config.yaml, the model config.yaml resolves
# for it: a scanner cannot read the signing secret, nor call a model another agent is given.

data "aws_iam_policy_document" "agent_own" {
  for_each = local.enabled_agents

  statement {
    sid       = "OwnImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.agent[each.key].arn]
  }
  dynamic "statement" {
    for_each = length(local.agent_secret_env_names[each.key]) > 0 ? [1] : []
    content {
      sid       = "OwnSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for name in local.agent_secret_env_names[each.key] : aws_secretsmanager_secret.this[name].arn]
    }
  }
  dynamic "statement" {
    for_each = contains(keys(local.bedrock_grants), each.key) ? [1] : []
    content {
      sid       = "OwnModel"
      actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
      resources = local.bedrock_grants[each.key]
    }
  }
}

# ---------------------------------------------------------------- scanners: read-only observers

data "aws_iam_policy_document" "scanner" {
  for_each = local.scanner_agents

  source_policy_documents = [
    data.aws_iam_policy_document.runtime_base.json,
    data.aws_iam_policy_document.agent_own[each.key].json,
  ]

  # Only the actions of this agent's kind (kinds.tf): the Slack scanner, which reads untrusted chat
  # text with a model, gets no AWS read at all.
  dynamic "statement" {
    for_each = local.scanner_iam[each.key]
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role" "scanner" {
  for_each = local.scanner_agents

  name               = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  assume_role_policy = data.aws_iam_policy_document.agentcore_assume.json
  tags               = var.tags

  lifecycle {
    precondition {
      condition     = !contains(local.unknown_kind_agents, each.key)
      error_message = "agents.${each.key}: its kind ${local.scanner_kind_of[each.key]} is not in the scanner kinds file (scanner_kinds_path); export it with python -m shared.plugins."
    }
    precondition {
      condition     = length("${var.name_prefix}-${each.key}") <= 64
      error_message = "IAM role names have at most 64 characters: shorten name_prefix or the agent id ${each.key}."
    }
  }
}

resource "aws_iam_role_policy" "scanner" {
  for_each = local.scanner_agents

  name   = "scanner"
  role   = aws_iam_role.scanner[each.key].id
  policy = data.aws_iam_policy_document.scanner[each.key].json
}

# ---------------------------------------------------------------- master: fans out, archives

data "aws_iam_policy_document" "master" {
  source_policy_documents = [
    data.aws_iam_policy_document.runtime_base.json,
    data.aws_iam_policy_document.agent_own[local.master_id].json,
  ]

  dynamic "statement" {
    for_each = length(aws_bedrockagentcore_agent_runtime.scanner) > 0 ? [1] : []
    content {
      sid       = "InvokeScanners"
      actions   = ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:GetAgentCard"]
      resources = flatten([for rt in aws_bedrockagentcore_agent_runtime.scanner : [rt.agent_runtime_arn, "${rt.agent_runtime_arn}/*"]])
    }
  }
  statement {
    sid       = "HandOffLedger" # heartbeat and outcome, under inv:<id> in the dedup table
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.dedup.arn]
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

  lifecycle {
    precondition {
      condition     = length(setintersection(local.agent_secret_env_names[local.master_id], local.chat_bot_token_env_names)) > 0
      error_message = "The master posts the reports: list a chat bot token (${join(", ", local.chat_bot_token_env_names)}) under agents.${local.master_id}.secrets in config.yaml."
    }
    precondition {
      condition     = length(local.undeclared_agent_secrets) == 0
      error_message = "agents.<id>.secrets may name only the secrets config.yaml declares (${join(", ", local.declared_secret_env_names)}); unknown: ${jsonencode(local.undeclared_agent_secrets)}."
    }
  }
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
    resources = [for name in local.intake_secret_env_names : aws_secretsmanager_secret.this[name].arn]
  }
  dynamic "statement" {
    for_each = contains(keys(local.bedrock_grants), local.intake_model_key) ? [1] : []
    content {
      sid       = "ClassifierModel"
      actions   = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
      resources = local.bedrock_grants[local.intake_model_key]
    }
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

# The scanner's access entry in each cluster kubernetes_access lists for it (kubernetes_access.tf).
resource "aws_eks_access_entry" "scanner" {
  for_each = local.kubernetes_access_entries

  cluster_name      = each.value.cluster
  principal_arn     = aws_iam_role.scanner[each.value.id].arn
  type              = "STANDARD"
  kubernetes_groups = [each.value.group]
  tags              = var.tags
}
