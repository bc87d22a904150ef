"""The shipped ClusterRole grants what the scanner reads, and nothing but reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from agents.eks.reader import RESOURCES

MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes" / "eks-scanner-clusterrole.yaml"


def _rules() -> list[dict]:
    role = next(d for d in yaml.safe_load_all(MANIFEST.read_text()) if d["kind"] == "ClusterRole")
    return role["rules"]


def _group(group_path: str) -> str:
    return "" if group_path == "/api/v1" else group_path.removeprefix("/apis/").split("/")[0]


def test_every_kind_the_scanner_lists_is_granted_list() -> None:
    granted = {
        (g, r)
        for rule in _rules()
        if "list" in rule["verbs"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    missing = [k for k, r in RESOURCES.items() if (_group(r.group_path), r.plural) not in granted]
    assert missing == []
    assert ("", "pods/log") in {
        (g, r) for rule in _rules() for g in rule["apiGroups"] for r in rule["resources"]
    }


def test_the_role_only_reads() -> None:
    verbs = {v for rule in _rules() for v in rule["verbs"]}
    assert verbs <= {"get", "list"}
    secrets = [rule for rule in _rules() if "secrets" in rule["resources"]]
    assert [rule["verbs"] for rule in secrets] == [["list"]]


def test_no_rule_grants_every_resource_of_a_group() -> None:
    # A wildcard would include Secrets: the kinds read through discovery are granted by name.
    assert all("*" not in rule["resources"] and "*" not in rule["apiGroups"] for rule in _rules())
