variable "config_path" {
  description = "Path to the sre-on-call config.yaml: the only place that lists the agents (which exist, which are enabled, their network mode and runtime ARN variable names)."
  type        = string

  validation {
    condition     = fileexists(var.config_path)
    error_message = "config_path must point to an existing config.yaml."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (lowercase letters, digits and hyphens, 3-24 characters)."
  type        = string
  default     = "sre-on-call"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{2,23}$."
  }
}

variable "image_tag" {
  description = "Tag of the agent images pushed by scripts/build_images.sh (e.g. the git commit). ECR tags are immutable, so `latest` is refused."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid Docker tag other than 'latest'."
  }
}

variable "lambda_package_path" {
  description = "Path to the intake Lambda deployment zip (the lambda_adapter package and its dependencies, built for arm64)."
  type        = string

  validation {
    condition     = endswith(var.lambda_package_path, ".zip")
    error_message = "lambda_package_path must be a .zip file."
  }
}

variable "vpc_subnet_ids" {
  description = "Private subnets for the agents whose config.yaml `network` is vpc. Required when any enabled agent uses vpc."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.vpc_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "vpc_subnet_ids must be subnet ids (subnet-xxxxxxxx)."
  }
}

variable "vpc_security_group_ids" {
  description = "Security groups for the agents whose config.yaml `network` is vpc. Required when any enabled agent uses vpc."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.vpc_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "vpc_security_group_ids must be security group ids (sg-xxxxxxxx)."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of the intake Lambda: caps how many webhooks and investigations run at once (alert storms)."
  type        = number
  default     = 20

  validation {
    condition     = var.lambda_reserved_concurrency >= 1 && var.lambda_reserved_concurrency <= 1000
    error_message = "lambda_reserved_concurrency must be between 1 and 1000."
  }
}

variable "log_retention_days" {
  description = "Retention of the intake Lambda's CloudWatch log group, in days (at least one year)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least 365."
  }
}

variable "archive_retention_days" {
  description = "Days an investigation trace stays in the S3 archive before it expires (it moves to infrequent access after 30)."
  type        = number
  default     = 365

  validation {
    condition     = var.archive_retention_days >= 60 && var.archive_retention_days <= 3650
    error_message = "archive_retention_days must be between 60 and 3650."
  }
}

variable "alarm_email" {
  description = "Optional e-mail address subscribed to the alarm SNS topic (empty: no subscription)."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be empty or an e-mail address."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports them."
  type        = map(string)
  default     = {}
}

variable "agent_environment" {
  description = "Plain settings per agent id, added to that agent's runtime environment: where its source is (e.g. prometheus = { PROMETHEUS_URL = \"https://prometheus.internal:9090\" }, eks = { KUBERNETES_BASE_URL = ... }). Never secrets: names config.yaml declares as secrets are refused (store those with scripts/hydrate_secrets.py), as are names the module sets itself."
  type        = map(map(string))
  default     = {}

  validation {
    condition = alltrue(flatten([
      for id, env in var.agent_environment : [
        for name in keys(env) : can(regex("^[A-Z_][A-Z0-9_]*$", name)) && !endswith(name, "_SECRET_ARN")
      ]
    ]))
    error_message = "agent_environment names must be environment variable names (^[A-Z_][A-Z0-9_]*$) not ending in _SECRET_ARN (the module sets those)."
  }
}

variable "scanner_kinds_path" {
  description = "JSON of the scanner kinds' declarations (`python -m shared.plugins > kinds.json`), for kinds that live outside this repository; default: the module's scanner_kinds.json (the shipped kinds)."
  type        = string
  default     = null
}

variable "discord_gateway_subnet_ids" {
  description = "Subnets of the Discord Gateway listener's task (created when config.yaml sets intake.discord_gateway.enabled). They need a route out to Discord (a NAT gateway, or a public subnet with discord_gateway_assign_public_ip); nothing connects in."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.discord_gateway_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "discord_gateway_subnet_ids must be subnet ids (subnet-xxxxxxxx)."
  }
}

variable "discord_gateway_assign_public_ip" {
  description = "Give the listener's task a public IP (public subnets without a NAT gateway). Its security group still admits no inbound traffic."
  type        = bool
  default     = false
}

variable "kubernetes_access" {
  description = "EKS clusters each Kubernetes-reading scanner inspects, by agent id (e.g. { eks = { clusters = [\"prod-eks\"] } }): one access entry per cluster for that agent's role, in Kubernetes group `kubernetes_group`, which deploy/kubernetes/eks-scanner-clusterrole.yaml binds to a get/list-only ClusterRole (apply it in each cluster). Empty: no access entry is created (grant access another way)."
  type = map(object({
    clusters         = list(string)
    kubernetes_group = optional(string, "sre-on-call-readers")
  }))
  default = {}

  validation {
    condition     = alltrue([for access in values(var.kubernetes_access) : length(access.kubernetes_group) > 0 && !startswith(access.kubernetes_group, "system:")])
    error_message = "kubernetes_access kubernetes_group must be a non-empty group name outside system: (EKS refuses system: groups in access entries)."
  }
}
