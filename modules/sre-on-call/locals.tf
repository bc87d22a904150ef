# Everything Terraform knows about the agents comes from config.yaml: the list is never repeated here.
# This file reads only var.config_path so that tests can evaluate it on its own.

locals {
  config = yamldecode(file(var.config_path))

  # Defaults mirror shared/config.py (AgentConfig): role scanner, enabled true, network public.
  agents = {
    for id, agent in local.config.agents : id => {
      role            = try(agent.role, "scanner")
      enabled         = try(agent.enabled, true)
      runtime_arn_env = agent.runtime_arn_env
      network         = try(agent.network, "public")
      description     = try(agent.description, "")
      model           = merge(local.config.defaults.model, try(agent.model, {}))
    }
  }

  enabled_agents = { for id, agent in local.agents : id => agent if agent.enabled }

  # The master calls the scanners, so it is a separate resource created after them (no cycle).
  scanner_agents = { for id, agent in local.enabled_agents : id => agent if agent.role == "scanner" }
  master_id      = one([for id, agent in local.enabled_agents : id if agent.role == "master"])
  master         = local.enabled_agents[local.master_id]

  # Bedrock models the runtimes may invoke: only those configured with provider bedrock.
  bedrock_model_ids = distinct([
    for agent in local.enabled_agents : agent.model.model_id if agent.model.provider == "bedrock"
  ])

  # Names of the environment variables that hold secrets, from config.sources / config.intake.
  secret_env_names = toset([
    local.config.sources.slack.bot_token_env,
    local.config.sources.slack.signing_secret_env,
    local.config.sources.discord.bot_token_env,
    local.config.sources.discord.public_key_env,
    local.config.intake.alertmanager_token_env,
  ])
  dedup_table_env = local.config.intake.dedup_table_env
}
