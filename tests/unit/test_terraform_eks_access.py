"""The module's EKS access entry maps the eks scanner's role to the Kubernetes group the shipped
ClusterRoleBinding names, so that applying the manifest is all a cluster owner has to do."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from terraform_hcl import MODULE, ROOT, TERRAFORM, blocks, console, parse, unquote

MANIFEST = ROOT / "deploy" / "kubernetes" / "eks-scanner-clusterrole.yaml"


def test_access_entry_is_the_eks_scanner_role_in_the_bound_group() -> None:
    parsed = parse(MODULE)
    entry = blocks(parsed, "resource")[("aws_eks_access_entry", "scanner")]
    assert entry["for_each"] == "${local.kubernetes_access_entries}"
    assert entry["principal_arn"] == "${aws_iam_role.scanner[each.value.id].arn}"
    assert entry["kubernetes_groups"] == ["${each.value.group}"]
    assert unquote(entry["type"]) == "STANDARD"
    assert not [k for k in blocks(parsed, "resource") if k[0] == "aws_eks_access_policy_association"]
    entries = parse(MODULE)["kubernetes_access.tf"]["locals"][0]["kubernetes_access_entries"]
    assert "var.kubernetes_access" in entries and "local.scanner_agents" in entries
    variable = blocks(parsed, "variable")[("kubernetes_access",)]
    default_group = "sre-on-call-readers"
    assert f'"{default_group}"' in str(variable["type"])
    binding = next(d for d in yaml.safe_load_all(MANIFEST.read_text()) if d["kind"] == "ClusterRoleBinding")
    assert [s["name"] for s in binding["subjects"] if s["kind"] == "Group"] == [default_group]
    assert binding["roleRef"]["name"] == "sre-on-call-reader"


@pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")
def test_entries_are_one_per_enabled_scanner_and_cluster(tmp_path: Path) -> None:
    access = {
        "eks": {"clusters": ["prod-eks", "staging-eks"]},
        "not-an-agent": {"clusters": ["prod-eks"], "kubernetes_group": "readers"},
    }
    entries = console(
        "local.kubernetes_access_entries",
        ROOT / "config.yaml",
        tmp_path / "tf",
        files=("locals.tf", "kubernetes_access.tf"),
        variables={"kubernetes_access": access},
    )
    assert entries == {
        "eks/prod-eks": {"id": "eks", "cluster": "prod-eks", "group": "sre-on-call-readers"},
        "eks/staging-eks": {"id": "eks", "cluster": "staging-eks", "group": "sre-on-call-readers"},
    }


@pytest.mark.skipif(TERRAFORM is None, reason="terraform binary not installed")
def test_system_groups_are_refused(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        console(
            "local.kubernetes_access_entries",
            ROOT / "config.yaml",
            tmp_path / "tf",
            files=("locals.tf", "kubernetes_access.tf"),
            variables={
                "kubernetes_access": {"eks": {"clusters": ["c"], "kubernetes_group": "system:masters"}}
            },
        )
    message = " ".join(re.sub(r"\x1b\[[0-9;]*m|│", " ", refused.value.stderr).split())
    assert "must be a non-empty group name outside system:" in message
