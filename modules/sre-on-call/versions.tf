terraform {
  # 1.5: `check` blocks and `precondition` messages used below.
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_bedrockagentcore_agent_runtime shipped in 6.18.0; aws_lambda_permission's
      # invoked_via_function_url (the function URL's InvokeFunction grant) in 6.28.0.
      version = ">= 6.28, < 7.0"
    }
  }
}
