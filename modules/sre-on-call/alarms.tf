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

# ---------------------------------------------------------------- the master's own health
# The master publishes these after every investigation (agents/master/metrics.py): AgentCore's
# service metrics cannot tell whether a report reached the thread or which scanner keeps failing.

locals {
  metrics_namespace = "SreOnCall/${var.name_prefix}"
  # Mirrors shared/config.py (Defaults.deadline_seconds) when config.yaml leaves it out.
  deadline_ms = try(local.config.defaults.deadline_seconds, 60) * 1000
}

resource "aws_cloudwatch_metric_alarm" "report_post_failures" {
  alarm_name          = "${var.name_prefix}-report-post-failures"
  alarm_description   = "An investigation finished but its report did not reach the alert's thread (bot removed from the channel, token revoked, chat API down)."
  namespace           = local.metrics_namespace
  metric_name         = "ReportPostFailures"
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

# The intake writes this one (lambda_adapter/intake_metrics.py, Embedded Metric Format in its log
# stream): a dedup call answered from a Lambda copy's memory because the dedup table failed.
resource "aws_cloudwatch_metric_alarm" "dedup_fallback" {
  alarm_name          = "${var.name_prefix}-dedup-fallback"
  alarm_description   = "The dedup table failed and the intake deduplicated in memory: alerts are still acknowledged and investigated, but a retry reaching another Lambda copy may be investigated twice."
  namespace           = local.metrics_namespace
  metric_name         = "DedupFallbacks"
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

resource "aws_cloudwatch_metric_alarm" "report_late" {
  alarm_name          = "${var.name_prefix}-report-late"
  alarm_description   = "A report took longer than the investigation deadline in config.yaml."
  namespace           = local.metrics_namespace
  metric_name         = "TimeToReport"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = local.deadline_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# Every scanner gets a 0 or 1 point per investigation for each metric, so the Average is the share
# of investigations in which it failed: alarm when it fails in half of them over an hour.
resource "aws_cloudwatch_metric_alarm" "scanner_failing" {
  for_each = local.scanner_agents

  alarm_name          = "${var.name_prefix}-scanner-${each.key}-failing"
  alarm_description   = "Scanner ${each.key} errored or timed out in at least half of the last hour's investigations: its section of every report is empty."
  evaluation_periods  = 1
  threshold           = 0.5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "failure_share"
    expression  = "errors + timeouts"
    label       = "Share of investigations where ${each.key} failed"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { errors = "AgentErrors", timeouts = "AgentTimeouts" }
    content {
      id = metric_query.key
      metric {
        namespace   = local.metrics_namespace
        metric_name = metric_query.value
        dimensions  = { Agent = each.key }
        stat        = "Average"
        period      = 3600
      }
    }
  }

  tags = var.tags
}
