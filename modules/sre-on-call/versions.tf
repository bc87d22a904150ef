terraform {
  # 1.5: `check` blocks and `precondition` messages used below.
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_bedrockagentcore_agent_runtime first shipped in hashicorp/aws 6.18.0.
      version = ">= 6.18, < 7.0"
    }
  }
}
