# var.agent_environment, checked against config.yaml: the settings each runtime adds to what the
# module sets (runtimes.tf refuses a name both set). Reads only variables and locals.tf, so tests
# can evaluate it with `terraform console`.

locals {
  agent_extra_env = { for id in keys(local.enabled_agents) : id => lookup(var.agent_environment, id, {}) }

  # Ids config.yaml does not list: a typo would otherwise leave a scanner unconfigured. (A disabled
  # agent's settings are kept for when it is enabled again.)
  agent_environment_unknown_ids = sort(tolist(setsubtract(keys(var.agent_environment), keys(local.agents))))

  # A secret in plain environment would land in the plan, the state and the console.
  agent_environment_secret_names = sort(distinct(flatten([
    for id, env in var.agent_environment : [for name in keys(env) : name if contains(local.secret_env_names, name)]
  ])))
}
