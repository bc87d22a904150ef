# The Discord Gateway listener's settings, from config.yaml (intake.discord_gateway) and the
# module's variables. Reads only variables and locals.tf, so tests can evaluate it with
# `terraform console`; the resources are in discord_gateway.tf.

locals {
  # shared/config.py DiscordGatewayConfig: off unless config.yaml turns it on.
  discord_gateway_enabled        = try(local.config.intake.discord_gateway.enabled, false) == true
  discord_gateway_count          = local.discord_gateway_enabled ? 1 : 0
  discord_gateway_name           = "${var.name_prefix}-discord-gateway"
  discord_gateway_alert_channels = try(coalesce(local.config.intake.discord_gateway.alert_channels, []), [])

  # The one secret the listener reads: the bot token it identifies with.
  discord_gateway_secret_env_names = local.discord_gateway_enabled ? toset([local.discord_bot_token_env]) : toset([])

  # What stops a plan: a listener with nowhere to run.
  discord_gateway_problems = compact([
    local.discord_gateway_enabled && length(var.discord_gateway_subnet_ids) == 0
    ? "intake.discord_gateway.enabled needs discord_gateway_subnet_ids (subnets with a route to the internet: the listener connects out to Discord)" : "",
  ])
}
