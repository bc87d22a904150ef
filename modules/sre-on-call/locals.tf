# Everything the module derives from config.yaml: the agents, their models, their secrets.
# This file reads only var.config_path so that tests can evaluate it on its own.

locals {
  config = yamldecode(file(var.config_path))

  # ModelConfig's defaults in shared/config.py, under whatever defaults.model sets.
  model_defaults = merge({ provider = "none", model_id = null, region = null }, try(local.config.defaults.model, {}))

  # Defaults mirror shared/config.py (AgentConfig): role scanner, enabled true, network public.
  # An agent's `model:` overrides defaults.model field by field, a null field inheriting
  # (shared/config.py merge_model, the one rule; tests/unit/test_terraform_models.py compares).
  agents = {
    for id, agent in local.config.agents : id => {
      role            = try(agent.role, "scanner")
      kind            = try(coalesce(agent.kind, id), id) # shared/config.py AppConfig.kind_of
      enabled         = try(agent.enabled, true)
      runtime_arn_env = coalesce(try(agent.runtime_arn_env, ""), "SRE_${upper(id)}_RUNTIME_ARN") # config.py runtime_arn_env_of
      network         = try(agent.network, "public")
      description     = try(agent.description, "")
      model           = merge(local.model_defaults, try({ for k, v in agent.model : k => v if v != null }, {}))
      secrets         = toset(try(coalesce(agent.secrets, []), []))
    }
  }

  enabled_agents = { for id, agent in local.agents : id => agent if agent.enabled }

  # The master calls the scanners, so it is a separate resource created after them (no cycle).
  scanner_agents = { for id, agent in local.enabled_agents : id => agent if agent.role == "scanner" }
  master_id      = one([for id, agent in local.enabled_agents : id if agent.role == "master"])
  master         = local.enabled_agents[local.master_id]

  # ---------------------------------------------------------------- models
  # The model each agent calls, and the intake's optional classifier (intake.classifier_model, a
  # whole model: no merge), resolved as agents/llm/providers.py does (model_id_of): "none" for
  # provider none, else model_id, else for bedrock Claude Haiku 4.5 through the inference profile
  # of the region's geography (us. or eu., global. elsewhere). region null means the runtime's own.
  bedrock_default_model = "anthropic.claude-haiku-4-5-20251001-v1:0"
  intake_model_key      = "intake-classifier" # never an agent id: those are snake_case
  model_configs = merge(
    { for id, agent in local.enabled_agents : id => agent.model },
    {
      (local.intake_model_key) = merge(
        { provider = "none", model_id = null, region = null },
        try({ for k, v in local.config.intake.classifier_model : k => v if v != null }, {}),
      )
    },
  )
  resolved_models = {
    for key, model in local.model_configs : key => {
      provider = model.provider
      region   = try(coalesce(model.region), null)
      model_id = (
        model.provider == "none" ? "none" :
        try(coalesce(model.model_id), null) != null ? model.model_id :
        model.provider != "bedrock" ? null :
        format("%s.%s",
          contains(["us", "eu"], split("-", coalesce(model.region, "us-east-1"))[0])
          ? split("-", coalesce(model.region, "us-east-1"))[0] : "global",
          local.bedrock_default_model,
        )
      )
    }
  }
  agent_models   = { for id in keys(local.enabled_agents) : id => local.resolved_models[id] }
  bedrock_models = { for key, model in local.resolved_models : key => model if model.provider == "bedrock" }

  # ---------------------------------------------------------------- secrets
  # Names of the environment variables that hold secrets (config.sources / config.intake, with the
  # defaults of shared/config.py). The intake verifies Slack, Discord and Alertmanager requests and
  # acknowledges in the chats; the bot tokens are what the master posts reports with.
  slack_bot_token_env      = try(local.config.sources.slack.bot_token_env, "SLACK_BOT_TOKEN")
  discord_bot_token_env    = try(local.config.sources.discord.bot_token_env, "DISCORD_BOT_TOKEN")
  chat_bot_token_env_names = toset([local.slack_bot_token_env, local.discord_bot_token_env])
  intake_secret_env_names = toset([
    local.slack_bot_token_env,
    try(local.config.sources.slack.signing_secret_env, "SLACK_SIGNING_SECRET"),
    local.discord_bot_token_env,
    try(local.config.sources.discord.public_key_env, "DISCORD_PUBLIC_KEY"),
    try(local.config.intake.alertmanager_token_env, "ALERTMANAGER_WEBHOOK_TOKEN"),
    # The report's acting buttons: the key their values are signed with (the master signs, the
    # intake checks) and the token the intake creates silences with.
    try(local.config.intake.actions.key_env, "SRE_ACTION_KEY"),
    try(local.config.intake.actions.alertmanager_token_env, "ALERTMANAGER_API_TOKEN"),
  ])
  # Prometheus credentials, when sources.prometheus names them.
  prometheus_secret_env_names = toset(compact([
    try(local.config.sources.prometheus.bearer_token_env, null),
    try(local.config.sources.prometheus.basic_auth_user_env, null),
    try(local.config.sources.prometheus.basic_auth_password_env, null),
  ]))
  declared_secret_env_names = setunion(local.intake_secret_env_names, local.prometheus_secret_env_names)

  # Each agent reads only the secrets its `secrets:` list names (config.yaml): its role may read
  # those and its runtime gets their ARNs, nothing else.
  agent_secret_env_names = { for id, agent in local.enabled_agents : id => agent.secrets }
  undeclared_agent_secrets = {
    for id, names in local.agent_secret_env_names : id => setsubtract(names, local.declared_secret_env_names)
    if length(setsubtract(names, local.declared_secret_env_names)) > 0
  }

  # One Secrets Manager container per secret something reads.
  secret_env_names = setunion(local.intake_secret_env_names, values(local.agent_secret_env_names)...)
  dedup_table_env  = try(local.config.intake.dedup_table_env, "SRE_DEDUP_TABLE")
}
