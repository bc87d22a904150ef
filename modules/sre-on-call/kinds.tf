# Each scanner's read permissions come from its kind's declaration (shared/plugins.py ScannerKind.iam),
# exported by `python -m shared.plugins` into scanner_kinds.json: an agent's role holds only the
# actions of its own kind, and nothing here repeats them by hand. A kind that lives outside this
# repository: export its declaration with the same command and point scanner_kinds_path at it.

locals {
  scanner_kinds = jsondecode(file(coalesce(var.scanner_kinds_path, "${path.module}/scanner_kinds.json")))

  scanner_kind_of     = { for id, agent in local.scanner_agents : id => agent.kind }
  unknown_kind_agents = sort([for id, kind in local.scanner_kind_of : id if !contains(keys(local.scanner_kinds), kind)])

  # agent id => the IAM statements of its kind, with the deployment's partition, region and account.
  scanner_iam = {
    for id, kind in local.scanner_kind_of : id => [
      for statement in try(local.scanner_kinds[kind].iam, []) : {
        sid     = statement.sid
        actions = statement.actions
        resources = [
          for resource in statement.resources :
          replace(replace(replace(resource, "{partition}", local.partition), "{region}", local.region), "{account}", local.account_id)
        ]
      }
    ]
  }
}
