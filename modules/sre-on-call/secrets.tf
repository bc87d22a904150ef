# Containers only: values are written out of band with scripts/hydrate_secrets.py, so they never
# appear in Terraform state or plans. One secret per env var name config.yaml declares that the
# intake or an agent (its `secrets:` list) reads.

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Slack/Discord tokens and the Alertmanager token are issued by third parties; they are rotated by re-running scripts/hydrate_secrets.py, no rotation Lambda can mint them.
  for_each = local.secret_env_names

  name        = "${var.name_prefix}/${lower(replace(each.value, "_", "-"))}"
  description = "sre-on-call: value of ${each.value}"
  kms_key_id  = aws_kms_key.main.arn

  tags = var.tags
}
