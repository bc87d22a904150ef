# What each agent's role (and the intake's, for its classifier) may invoke on Bedrock: exactly the
# model config.yaml resolves for it (local.resolved_models, the rule of shared/config.py and
# agents/llm/providers.py), in the region its calls go to: the model's `region`, else the
# runtime's own (AWS_REGION).

locals {
  # Cross-region inference profile ids start with their geography.
  inference_profile_prefix = "^(us|us-gov|eu|apac|jp|au|ca|global)\\."
  # The region names each geography's profiles may be called from, by prefix (global: any). The
  # prefixes are lenient (ap-northeast- also covers Seoul): the check below warns, it never blocks.
  profile_geography_regions = {
    "us" = "us-", "us-gov" = "us-gov-", "eu" = "eu-", "apac" = "ap-", "jp" = "ap-northeast-",
    "au" = "ap-southeast-", "ca" = "ca-", "global" = "",
  }

  bedrock_call_regions = { for id, model in local.bedrock_models : id => coalesce(model.region, local.region) }

  # A profile routes to the foundation model in several regions, so both the profile (where it is
  # called) and the model (in any region; a global profile's model ARN has no region) are granted;
  # a plain model id is granted where called; an ARN (application inference profile, provisioned
  # throughput) as given.
  bedrock_grants = {
    for id, model in local.bedrock_models : id => (
      startswith(model.model_id, "arn:") ? [model.model_id] :
      can(regex(local.inference_profile_prefix, model.model_id)) ? concat(
        [
          "arn:${local.partition}:bedrock:${local.bedrock_call_regions[id]}:${local.account_id}:inference-profile/${model.model_id}",
          "arn:${local.partition}:bedrock:*::foundation-model/${replace(model.model_id, "/${local.inference_profile_prefix}/", "")}",
        ],
        startswith(model.model_id, "global.") ? ["arn:${local.partition}:bedrock:::foundation-model/${trimprefix(model.model_id, "global.")}"] : [],
      ) :
      ["arn:${local.partition}:bedrock:${local.bedrock_call_regions[id]}::foundation-model/${model.model_id}"]
    )
  }

  # Agents calling a geography's profile from a region outside it (a us. profile from eu-west-1):
  # Bedrock refuses those calls, and the agent falls back to its deterministic findings.
  bedrock_profile_mismatches = {
    for id, model in local.bedrock_models : id => "${model.model_id} from ${local.bedrock_call_regions[id]}"
    if can(regex(local.inference_profile_prefix, model.model_id)) && !startswith(
      local.bedrock_call_regions[id],
      local.profile_geography_regions[regex(local.inference_profile_prefix, model.model_id)[0]],
    )
  }
}

check "bedrock_profiles_match_their_regions" {
  assert {
    condition     = length(local.bedrock_profile_mismatches) == 0
    error_message = "These agents call an inference profile outside its geography, which Bedrock refuses: ${jsonencode(local.bedrock_profile_mismatches)}. Set the agent's model.region (or model_id) in config.yaml so they agree."
  }
}
