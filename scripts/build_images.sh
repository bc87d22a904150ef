#!/usr/bin/env bash
# Build the one Dockerfile for every agent enabled in config.yaml (linux/arm64, as AgentCore
# requires) and push each to its ECR repository <registry>/<name_prefix>/<agent_id>:<tag>; with
# intake.discord_gateway.enabled, also <name_prefix>/discord-gateway for the Gateway listener.
#
#   scripts/build_images.sh <tag> [--config FILE] [--prefix sre-on-call] [--region us-east-1] [--no-push]
#
# --config: the config the images carry and the agent list comes from (never repeated here); give
# the file Terraform reads (`config_path`) and build_lambda.py --config packs. Default:
# $SRE_ON_CALL_CONFIG, else the repository's config.yaml. Needs docker buildx and, unless
# --no-push, the AWS CLI with credentials for the target account.
set -euo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

[[ $# -ge 1 ]] || usage
TAG=$1; shift
PREFIX=sre-on-call
REGION=${AWS_REGION:-us-east-1}
PUSH=1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONFIG=${SRE_ON_CALL_CONFIG:-$ROOT/config.yaml}
while [[ $# -gt 0 ]]; do
  case $1 in
    --config) CONFIG=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --region) REGION=$2; shift 2 ;;
    --no-push) PUSH=0; shift ;;
    *) usage ;;
  esac
done
[[ $TAG != latest ]] || { echo "ECR tags are immutable: use a commit id, not 'latest'" >&2; exit 2; }

[[ -r $CONFIG && ! -d $CONFIG ]] || { echo "no config file at $CONFIG" >&2; exit 2; }
CONFIG_DIR=$(cd "$(dirname "$CONFIG")" && pwd)
CONFIG_FILE=$(basename "$CONFIG")
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3

# Enabled agents, with the same defaults as shared/config.py (enabled: true).
mapfile -t AGENTS < <("$PYTHON" - "$CONFIG_DIR/$CONFIG_FILE" <<'PY'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
for agent_id, agent in config["agents"].items():
    if agent.get("enabled", True):
        print(agent_id)
# The Discord Gateway listener runs the same image (its task's command: sre-on-call discord-gateway).
if ((config.get("intake") or {}).get("discord_gateway") or {}).get("enabled"):
    print("discord-gateway")
PY
)
[[ ${#AGENTS[@]} -gt 0 ]] || { echo "no enabled agent in $CONFIG" >&2; exit 1; }

if [[ $PUSH == 1 ]]; then
  ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
  REGISTRY="$ACCOUNT.dkr.ecr.$REGION.amazonaws.com"
  aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
  OUTPUT=--push
else
  REGISTRY=local
  OUTPUT=--load
fi

for agent in "${AGENTS[@]}"; do
  image="$REGISTRY/$PREFIX/$agent:$TAG"
  echo "building $agent -> $image"
  docker buildx build --platform linux/arm64 \
    -f "$ROOT/deploy/Dockerfile" --build-arg "AGENT_ID=$agent" \
    --build-context "sreconfig=$CONFIG_DIR" --build-arg "CONFIG_FILE=$CONFIG_FILE" \
    -t "$image" $OUTPUT "$ROOT"
done
echo "built ${#AGENTS[@]} images with tag $TAG from $CONFIG_DIR/$CONFIG_FILE"
