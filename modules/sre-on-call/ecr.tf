# One repository per enabled agent: scripts/build_images.sh builds the one Dockerfile with
# AGENT_ID=<id> and pushes <repository>:<image_tag> to each.

resource "aws_ecr_repository" "agent" {
  for_each = local.enabled_agents

  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }

  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "agent" {
  for_each = aws_ecr_repository.agent

  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 20 most recent images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 20
      }
      action = { type = "expire" }
    }]
  })
}
