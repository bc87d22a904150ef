"""Variables are declared and described; IAM never allows a wildcard write action."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from terraform_hcl import EXAMPLE, MODULE, blocks, parse, unquote, var_references

READ_VERBS = ("Get", "List", "Describe", "Query", "BatchGet")


def wildcard_write(action: str) -> bool:
    """True for an action pattern that can match a write: `*`, `s3:*`, `*:Put*`, `dynamodb:Put*`..."""
    if "*" not in action:
        return False
    service, _, verb = action.partition(":")
    if service == "*" or not verb or verb == "*":
        return True
    return not (verb.endswith("*") and "*" not in verb[:-1] and verb[:-1].startswith(READ_VERBS))


@pytest.mark.parametrize(
    "action", ["*", "s3:*", "*:Put*", "dynamodb:*", "dynamodb:Put*", "kms:*", "logs:*Log*"]
)
def test_wildcard_write_patterns_are_caught(action: str) -> None:
    assert wildcard_write(action)


@pytest.mark.parametrize(
    "action", ["logs:Describe*", "aps:Query*", "aps:Get*", "cloudwatch:List*", "s3:PutObject"]
)
def test_read_wildcards_and_exact_actions_pass(action: str) -> None:
    assert not wildcard_write(action)


def allow_statements(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    statements = []
    for (kind, name), body in blocks(parse(directory), "data").items():
        if kind == "aws_iam_policy_document":
            for statement in body.get("statement", []):
                if unquote(statement.get("effect", '"Allow"')) == "Allow":
                    statements.append((name, statement))
            for dynamic in body.get("dynamic", []):
                for content in dynamic.get('"statement"', {}).get("content", []):
                    statements.append((name, content))
    return statements


def test_no_allow_statement_has_a_wildcard_write_action() -> None:
    statements = allow_statements(MODULE)
    assert len(statements) > 15  # the parse found the policies
    for name, statement in statements:
        for action in map(unquote, statement["actions"]):
            assert not wildcard_write(action), f"{name}: {action}"


def test_no_inline_json_policy_bypasses_the_policy_documents() -> None:
    for path in MODULE.glob("*.tf"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bAction\s*=", text), (
            f"{path.name} builds a policy outside aws_iam_policy_document"
        )


def test_invoke_rights_name_only_this_stacks_runtimes() -> None:
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for name, statement in allow_statements(MODULE):
        by_doc.setdefault(name, []).append(statement)
    for name, statements in by_doc.items():
        for statement in statements:
            actions = list(map(unquote, statement["actions"]))
            if "bedrock-agentcore:InvokeAgentRuntime" in actions:
                resources = " ".join(
                    statement["resources"]
                    if isinstance(statement["resources"], list)
                    else [statement["resources"]]
                )
                assert "aws_bedrockagentcore_agent_runtime." in resources, name
                assert '"*"' not in resources
            if any(a.startswith("bedrock:Invoke") for a in actions):
                # each agent its own model; the intake its classifier's
                assert statement["resources"] in (
                    "${local.bedrock_grants[each.key]}",
                    "${local.bedrock_grants[local.intake_model_key]}",
                ), name
    intake = {unquote(s.get("sid", "")): s for s in by_doc["intake"]}
    assert intake["SelfInvokeAsync"]["actions"] == ['"lambda:InvokeFunction"']
    assert "local.intake_function_name" in intake["SelfInvokeAsync"]["resources"][0]
    assert "aws_bedrockagentcore_agent_runtime.master" in intake["InvokeMaster"]["resources"][0]


@pytest.mark.parametrize("directory", [MODULE, EXAMPLE], ids=["module", "example"])
def test_every_variable_is_described_and_every_reference_declared(directory: Path) -> None:
    variables = blocks(parse(directory), "variable")
    for (name,), body in variables.items():
        assert unquote(body.get("description", "")).strip(), f"variable {name} has no description"
    declared = {name for (name,) in variables}
    assert var_references(directory) <= declared


def test_module_variables_without_default_are_validated() -> None:
    for (name,), body in blocks(parse(MODULE), "variable").items():
        if "default" not in body:
            assert body.get("validation"), f"required variable {name} has no validation"


def test_every_output_is_described_and_listed_in_the_readme() -> None:
    readme = (MODULE / "README.md").read_text(encoding="utf-8")
    for (name,), body in blocks(parse(MODULE), "output").items():
        assert unquote(body.get("description", "")).strip(), f"output {name} has no description"
        assert f"`{name}`" in readme, f"README does not list output {name}"
    for (name,) in blocks(parse(MODULE), "variable"):
        assert f"`{name}`" in readme, f"README does not list input {name}"
