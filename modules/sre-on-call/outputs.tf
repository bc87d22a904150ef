output "intake_url" {
  description = "Function URL of the intake: the Slack event/command/interactivity URL, the Discord interactions endpoint and the Alertmanager webhook."
  value       = aws_lambda_function_url.intake.function_url
}

output "intake_function_name" {
  description = "Name of the intake Lambda function."
  value       = aws_lambda_function.intake.function_name
}

output "master_runtime_arn" {
  description = "ARN of the master's AgentCore runtime."
  value       = aws_bedrockagentcore_agent_runtime.master.agent_runtime_arn
}

output "runtime_arns" {
  description = "AgentCore runtime ARN of every enabled agent, keyed by agent id."
  value = merge(
    { for id, rt in aws_bedrockagentcore_agent_runtime.scanner : id => rt.agent_runtime_arn },
    { (local.master_id) = aws_bedrockagentcore_agent_runtime.master.agent_runtime_arn },
  )
}

output "ecr_repository_urls" {
  description = "ECR repository URL of every enabled agent, keyed by agent id (scripts/build_images.sh pushes here)."
  value       = { for id, repo in aws_ecr_repository.agent : id => repo.repository_url }
}

output "dedup_table_name" {
  description = "Name of the DynamoDB dedup table."
  value       = aws_dynamodb_table.dedup.name
}

output "secret_arns" {
  description = "Secrets Manager ARN of every secret, keyed by the environment variable name config.yaml gives it (fill with scripts/hydrate_secrets.py)."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }
}

output "archive_bucket" {
  description = "Name of the S3 bucket holding investigation traces."
  value       = aws_s3_bucket.archive.bucket
}

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting the stack's data."
  value       = aws_kms_key.main.arn
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms publish to."
  value       = aws_sns_topic.alarms.arn
}

output "discord_gateway_repository_url" {
  description = "ECR repository of the Discord Gateway listener's image (null unless intake.discord_gateway.enabled): push the agents' image there too (scripts/build_images.sh)."
  value       = one(aws_ecr_repository.discord_gateway[*].repository_url)
}

output "discord_gateway_service" {
  description = "The Discord Gateway listener's ECS service (null unless intake.discord_gateway.enabled)."
  value       = one(aws_ecs_service.discord_gateway[*].name)
}
