# The Discord Gateway listener (`sre-on-call discord-gateway`): Discord delivers channel messages
# to a bot only over a websocket the bot holds open, so the listener is one small always-on
# container, an ECS Fargate service of one task. (An AgentCore runtime cannot hold it: a runtime
# session exists while invocations keep it busy, ends after its idle timeout, and is terminated at
# its maxLifetime of at most 8 hours; nothing would start it again without an invocation.)
#
# Created only when config.yaml sets intake.discord_gateway.enabled. It connects out to Discord and
# hands each message to the intake by invoking the intake function directly (its role may invoke
# that function and nothing else): no load balancer, no inbound rule, no new public endpoint.
# One task at a time: during a deployment the old task stops before the new one starts, and the
# new one reads the alert channels' recent history, so the gap loses nothing.

resource "aws_ecr_repository" "discord_gateway" {
  count = local.discord_gateway_count

  name                 = "${var.name_prefix}/discord-gateway"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "discord_gateway" {
  count = local.discord_gateway_count

  name              = "/ecs/${local.discord_gateway_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn

  tags = var.tags
}

resource "aws_ecs_cluster" "discord_gateway" {
  count = local.discord_gateway_count

  name = local.discord_gateway_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

# ---------------------------------------------------------------- roles

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# ECS itself: pull the image, write the logs.
data "aws_iam_policy_document" "discord_gateway_execution" {
  count = local.discord_gateway_count

  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action has no resource type
  }
  statement {
    sid       = "OwnImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.discord_gateway[0].arn]
  }
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.discord_gateway[0].arn}:*"]
  }
  statement {
    sid       = "KeyUse"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role" "discord_gateway_execution" {
  count = local.discord_gateway_count

  name               = "${local.discord_gateway_name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "discord_gateway_execution" {
  count = local.discord_gateway_count

  name   = "pull-and-log"
  role   = aws_iam_role.discord_gateway_execution[0].id
  policy = data.aws_iam_policy_document.discord_gateway_execution[0].json
}

# The listener: read its bot token, invoke the intake. Nothing else.
data "aws_iam_policy_document" "discord_gateway_task" {
  count = local.discord_gateway_count

  statement {
    sid       = "HandToTheIntake"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.intake.arn]
  }
  statement {
    sid       = "BotToken"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for name in local.discord_gateway_secret_env_names : aws_secretsmanager_secret.this[name].arn]
  }
  statement {
    sid       = "KeyUse"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.main.arn]
  }
}

resource "aws_iam_role" "discord_gateway_task" {
  count = local.discord_gateway_count

  name               = "${local.discord_gateway_name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "discord_gateway_task" {
  count = local.discord_gateway_count

  name   = "listener"
  role   = aws_iam_role.discord_gateway_task[0].id
  policy = data.aws_iam_policy_document.discord_gateway_task[0].json
}

# ---------------------------------------------------------------- network: out only

data "aws_subnet" "discord_gateway" {
  count = local.discord_gateway_enabled && length(var.discord_gateway_subnet_ids) > 0 ? 1 : 0

  id = var.discord_gateway_subnet_ids[0]
}

resource "aws_security_group" "discord_gateway" {
  count = length(data.aws_subnet.discord_gateway)

  name        = local.discord_gateway_name
  description = "sre-on-call Discord Gateway listener: no inbound traffic; HTTPS out to Discord and AWS APIs"
  vpc_id      = data.aws_subnet.discord_gateway[0].vpc_id

  egress {
    description = "HTTPS out: the Discord Gateway and REST API, Lambda, Secrets Manager, ECR, CloudWatch Logs"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"] #tfsec:ignore:aws-ec2-no-public-egress-sgr Discord's addresses are not published
  }

  tags = var.tags
}

# ---------------------------------------------------------------- the task and its service

resource "aws_ecs_task_definition" "discord_gateway" {
  count = local.discord_gateway_count

  family                   = local.discord_gateway_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.discord_gateway_execution[0].arn
  task_role_arn            = aws_iam_role.discord_gateway_task[0].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64" # the image scripts/build_images.sh builds for AgentCore
  }

  container_definitions = jsonencode([{
    name                   = "listener"
    image                  = "${aws_ecr_repository.discord_gateway[0].repository_url}:${var.image_tag}"
    essential              = true
    command                = ["sre-on-call", "discord-gateway"]
    readonlyRootFilesystem = true
    user                   = "10001"
    environment = concat(
      [
        { name = "SRE_INTAKE_FUNCTION", value = aws_lambda_function.intake.function_name },
        { name = "LOG_LEVEL", value = "INFO" },
        { name = "AWS_REGION", value = local.region },
      ],
      [for name in local.discord_gateway_secret_env_names : { name = "${name}_SECRET_ARN", value = aws_secretsmanager_secret.this[name].arn }],
    )
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.discord_gateway[0].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "listener"
      }
    }
  }])

  tags = var.tags
}

resource "aws_ecs_service" "discord_gateway" {
  count = local.discord_gateway_count

  name             = local.discord_gateway_name
  cluster          = aws_ecs_cluster.discord_gateway[0].id
  task_definition  = aws_ecs_task_definition.discord_gateway[0].arn
  launch_type      = "FARGATE"
  platform_version = "LATEST"
  desired_count    = 1

  # One Gateway session at a time: stop the old task before starting the new one.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.discord_gateway_subnet_ids
    security_groups  = aws_security_group.discord_gateway[*].id
    assign_public_ip = var.discord_gateway_assign_public_ip
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.discord_gateway_problems) == 0
      error_message = join("; ", local.discord_gateway_problems)
    }
  }

  depends_on = [aws_iam_role_policy.discord_gateway_execution, aws_iam_role_policy.discord_gateway_task]
}
