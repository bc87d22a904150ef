# Alarms on what a platform team would otherwise learn from a silent channel: the intake failing,
# being throttled, or dropping investigations into the dead-letter queue.

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = aws_kms_key.main.arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  intake_alarms = {
    errors = {
      metric      = "Errors"
      description = "The intake Lambda raised errors: webhooks may go unanswered."
    }
    throttles = {
      metric      = "Throttles"
      description = "The intake Lambda was throttled: raise lambda_reserved_concurrency or check for an alert storm."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "intake" {
  for_each = local.intake_alarms

  alarm_name          = "${var.name_prefix}-intake-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.intake.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "intake_dlq" {
  alarm_name          = "${var.name_prefix}-intake-dlq"
  alarm_description   = "An investigation hand-off failed and landed in the dead-letter queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.intake_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]

  tags = var.tags
}
