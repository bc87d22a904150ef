# A complete deployment: one module block. Copy backend.tf.example to backend.tf and
# terraform.tfvars.example to terraform.tfvars, `terraform init`, then follow the README's
# "Deploying to AWS" steps (the image repositories, the images and the zip come before the apply).

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.28, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = "sre-on-call" }
  }
}

variable "region" {
  description = "AWS region to deploy into (AgentCore Runtime must be available there)."
  type        = string
  default     = "us-east-1"
}

variable "image_tag" {
  description = "Tag pushed by scripts/build_images.sh (e.g. the git commit)."
  type        = string
}

variable "vpc_subnet_ids" {
  description = "Private subnets for agents with network: vpc in config.yaml."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups for agents with network: vpc in config.yaml."
  type        = list(string)
  default     = []
}

variable "config_path" {
  description = "The sre-on-call config.yaml the stack is built from, relative to this directory (the file scripts/build_lambda.py packs into the intake zip)."
  type        = string
  default     = "../../config.yaml"
}

variable "lambda_package_path" {
  description = "The intake Lambda zip scripts/build_lambda.py builds, relative to this directory (the default is its default output)."
  type        = string
  default     = "../../build/lambda.zip"
}

variable "alarm_email" {
  description = "E-mail address that receives the stack's alarms (empty: none)."
  type        = string
  default     = ""
}

variable "agent_environment" {
  description = "Where each scanner's source is, by agent id (plain settings, never secrets)."
  type        = map(map(string))
  default     = {}
}

module "sre_on_call" {
  source = "../../modules/sre-on-call"

  config_path            = var.config_path
  image_tag              = var.image_tag
  lambda_package_path    = var.lambda_package_path
  vpc_subnet_ids         = var.vpc_subnet_ids
  vpc_security_group_ids = var.vpc_security_group_ids
  alarm_email            = var.alarm_email
  agent_environment      = var.agent_environment
}

output "intake_url" {
  description = "Paste into the Slack app manifest, the Discord interactions endpoint and Alertmanager."
  value       = module.sre_on_call.intake_url
}

output "runtime_arns" {
  description = "AgentCore runtime ARN of every enabled agent."
  value       = module.sre_on_call.runtime_arns
}

output "ecr_repository_urls" {
  description = "Where scripts/build_images.sh pushes each agent's image."
  value       = module.sre_on_call.ecr_repository_urls
}

output "secret_arns" {
  description = "Secrets to fill with scripts/hydrate_secrets.py."
  value       = module.sre_on_call.secret_arns
}
