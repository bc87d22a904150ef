# The intake: Slack, Discord and Alertmanager webhooks arrive on the function URL; the handler
# acknowledges within the platforms' deadlines and hands the work to itself asynchronously.

locals {
  intake_function_name = "${var.name_prefix}-intake"
}

resource "aws_cloudwatch_log_group" "intake" {
  name              = "/aws/lambda/${local.intake_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn

  tags = var.tags
}

# Failed asynchronous self-invocations land here (an investigation that never started).
resource "aws_sqs_queue" "intake_dlq" {
  name                      = "${var.name_prefix}-intake-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.main.arn

  tags = var.tags
}

resource "aws_lambda_function" "intake" {
  #checkov:skip=CKV_AWS_117:The function only calls public AWS APIs and the Slack/Discord web APIs; a VPC would add a NAT gateway and nothing to protect.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile the consumer owns; the zip is built from this repository by CI.
  function_name = local.intake_function_name
  role          = aws_iam_role.intake.arn
  handler       = "lambda_adapter.handler.lambda_handler"
  runtime       = "python3.12"
  architectures = ["arm64"]
  memory_size   = 512
  timeout       = 120

  filename         = var.lambda_package_path
  source_code_hash = filebase64sha256(var.lambda_package_path)

  reserved_concurrent_executions = var.lambda_reserved_concurrency
  kms_key_arn                    = aws_kms_key.main.arn

  environment {
    variables = merge(
      {
        (local.dedup_table_env)        = aws_dynamodb_table.dedup.name
        (local.master.runtime_arn_env) = aws_bedrockagentcore_agent_runtime.master.agent_runtime_arn
        # The intake's metrics (lambda_adapter/intake_metrics.py: EMF lines in its log stream).
        SRE_METRICS_NAMESPACE = local.metrics_namespace
      },
      { for name in local.intake_secret_env_names : "${name}_SECRET_ARN" => aws_secretsmanager_secret.this[name].arn },
    )
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.intake_dlq.arn
  }

  tracing_config {
    mode = "Active"
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.intake, aws_iam_role_policy.intake]
}

resource "aws_lambda_function_url" "intake" {
  #checkov:skip=CKV_AWS_258:Slack, Discord and Alertmanager cannot sign AWS SigV4; every request is authenticated in the handler instead (Slack HMAC signature, Discord Ed25519 signature, Alertmanager bearer token) and rejected before any work.
  function_name = aws_lambda_function.intake.function_name
  # NONE because Slack and Discord sign their requests themselves (see the skip above).
  authorization_type = "NONE"
}

# A NONE function URL still needs the function's resource policy to let anyone call it: the URL
# itself (InvokeFunctionUrl, only while the URL's auth type is NONE) and, for function URLs created
# since October 2025, the function behind it (InvokeFunction, only when the call arrives through
# the URL: a direct Invoke by anyone else stays denied, so nobody can start an investigation
# without passing the handler's signature check). The provider also adds statements of its own on
# creation (FunctionURLAllowPublicAccess, FunctionURLAllowInvokeAction), untracked in state; these
# are declared here with other ids so the grant is owned, planned and reviewed like the rest.
resource "aws_lambda_permission" "intake_url_public" {
  #checkov:skip=CKV_AWS_301:The intake is the public webhook receiver of Slack, Discord and Alertmanager, which cannot sign SigV4; the grant is limited to the NONE function URL and every request is authenticated in the handler (see CKV_AWS_258 above).
  statement_id           = "WebhooksViaFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.intake.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "intake_url_invoke" {
  #checkov:skip=CKV_AWS_301:Needed by every function URL created since October 2025; invoked_via_function_url limits it to calls arriving through the URL above, never a direct Invoke.
  statement_id             = "InvokeOnlyViaFunctionUrl"
  action                   = "lambda:InvokeFunction"
  function_name            = aws_lambda_function.intake.function_name
  principal                = "*"
  invoked_via_function_url = true
}

resource "aws_lambda_function_event_invoke_config" "intake" {
  function_name = aws_lambda_function.intake.function_name
  # No retries: a retried investigation would post a second report in the thread.
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 300

  destination_config {
    on_failure {
      destination = aws_sqs_queue.intake_dlq.arn
    }
  }
}
