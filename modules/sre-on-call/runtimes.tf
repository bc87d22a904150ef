# One AgentCore runtime per agent enabled in config.yaml. Every agent serves A2A on port 9000
# (the port AgentCore proxies to); the container picks its agent from AGENT_ID.
#
# Peers: the master calls every scanner, so its environment holds each scanner's runtime ARN under
# the variable name config.yaml gives (runtime_arn_env). Scanners only answer, so they need no
# peer ARNs; keeping them in their own for_each and the master in a resource created after them
# is what avoids a dependency cycle.

locals {
  runtime_names = {
    for id, agent in local.enabled_agents : id => replace("${var.name_prefix}_${id}", "-", "_")
  }

  # Environment shared by every runtime (no secret values: only names and ARNs).
  runtime_common_env = {
    AWS_REGION          = data.aws_region.current.region
    SRE_ARCHIVE_BUCKET  = aws_s3_bucket.archive.bucket
    SRE_ARCHIVE_KMS_KEY = aws_kms_key.main.arn
  }

  # Each agent's own secrets, by the ARN shared/secrets.py hydrates `<NAME>` from at cold start.
  runtime_secret_env = {
    for id, names in local.agent_secret_env_names : id => {
      for name in names : "${name}_SECRET_ARN" => aws_secretsmanager_secret.this[name].arn
    }
  }

  # What the module itself sets in each runtime; var.agent_environment may add to it, never
  # override. The master's part names the scanners' ARNs, so it is a local of its own (no cycle).
  scanner_own_env = {
    for id in keys(local.scanner_agents) : id => merge(local.runtime_common_env, local.runtime_secret_env[id], { AGENT_ID = id })
  }
  master_own_env = merge(
    local.runtime_common_env,
    local.runtime_secret_env[local.master_id],
    { AGENT_ID = local.master_id, SRE_METRICS_NAMESPACE = local.metrics_namespace },
    # The hand-off ledger: the master's heartbeat and report, which the intake watches.
    { (local.dedup_table_env) = aws_dynamodb_table.dedup.name },
    { for id, agent in local.scanner_agents : agent.runtime_arn_env => aws_bedrockagentcore_agent_runtime.scanner[id].agent_runtime_arn },
  )

  uses_vpc = anytrue([for agent in local.enabled_agents : agent.network == "vpc"])
}

resource "aws_bedrockagentcore_agent_runtime" "scanner" {
  for_each = local.scanner_agents

  agent_runtime_name = local.runtime_names[each.key]
  description        = substr(coalesce(each.value.description, each.key), 0, 4096)
  role_arn           = aws_iam_role.scanner[each.key].arn

  agent_runtime_artifact {
    container_configuration {
      container_uri = "${aws_ecr_repository.agent[each.key].repository_url}:${var.image_tag}"
    }
  }

  network_configuration {
    network_mode = upper(each.value.network)

    dynamic "network_mode_config" {
      for_each = each.value.network == "vpc" ? [1] : []
      content {
        subnets         = var.vpc_subnet_ids
        security_groups = var.vpc_security_group_ids
      }
    }
  }

  protocol_configuration {
    server_protocol = "A2A"
  }

  environment_variables = merge(local.agent_extra_env[each.key], local.scanner_own_env[each.key])

  tags = var.tags

  lifecycle {
    precondition {
      condition     = each.value.network != "vpc" || (length(var.vpc_subnet_ids) > 0 && length(var.vpc_security_group_ids) > 0)
      error_message = "Agent ${each.key} has network: vpc in config.yaml: set vpc_subnet_ids and vpc_security_group_ids."
    }
    precondition {
      condition     = length(setintersection(keys(local.agent_extra_env[each.key]), keys(local.scanner_own_env[each.key]))) == 0
      error_message = "agent_environment.${each.key} sets names the module sets itself: ${join(", ", setintersection(keys(local.agent_extra_env[each.key]), keys(local.scanner_own_env[each.key])))}."
    }
  }

  depends_on = [aws_iam_role_policy.scanner]
}

resource "aws_bedrockagentcore_agent_runtime" "master" {
  agent_runtime_name = local.runtime_names[local.master_id]
  description        = substr(coalesce(local.master.description, local.master_id), 0, 4096)
  role_arn           = aws_iam_role.master.arn

  agent_runtime_artifact {
    container_configuration {
      container_uri = "${aws_ecr_repository.agent[local.master_id].repository_url}:${var.image_tag}"
    }
  }

  network_configuration {
    network_mode = upper(local.master.network)

    dynamic "network_mode_config" {
      for_each = local.master.network == "vpc" ? [1] : []
      content {
        subnets         = var.vpc_subnet_ids
        security_groups = var.vpc_security_group_ids
      }
    }
  }

  protocol_configuration {
    server_protocol = "A2A"
  }

  environment_variables = merge(local.agent_extra_env[local.master_id], local.master_own_env)

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.master.network != "vpc" || (length(var.vpc_subnet_ids) > 0 && length(var.vpc_security_group_ids) > 0)
      error_message = "The master has network: vpc in config.yaml: set vpc_subnet_ids and vpc_security_group_ids."
    }
    precondition {
      condition     = length(setintersection(keys(local.agent_extra_env[local.master_id]), keys(local.master_own_env))) == 0
      error_message = "agent_environment.${local.master_id} sets names the module sets itself: ${join(", ", setintersection(keys(local.agent_extra_env[local.master_id]), keys(local.master_own_env)))}."
    }
    precondition {
      condition     = length(local.agent_environment_unknown_ids) == 0
      error_message = "agent_environment names agents config.yaml does not list: ${join(", ", local.agent_environment_unknown_ids)}."
    }
    precondition {
      condition     = length(local.agent_environment_secret_names) == 0
      error_message = "agent_environment holds names config.yaml declares as secrets (${join(", ", local.agent_environment_secret_names)}): store them with scripts/hydrate_secrets.py instead."
    }
  }

  depends_on = [aws_iam_role_policy.master]
}
