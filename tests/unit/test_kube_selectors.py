"""Label and field selectors as kube-apiserver reads them: the grammar, the semantics that
surprise (`!=` and `notin` match objects without the label), and the server's refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.kube_selectors import (
    SelectorError,
    check_fields,
    field_value,
    parse_field_selector,
    parse_label_selector,
)

LABELS = {"app": "checkout", "tier": "web", "app.kubernetes.io/name": "checkout", "replicas": "3"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("", True),
        ("app=checkout", True),
        ("app==checkout", True),
        ("app=frontend", False),
        ("app!=frontend", True),
        ("missing!=x", True),  # != matches objects without the label
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("app in (frontend, checkout)", True),
        ("app in (frontend)", False),
        ("app notin (frontend)", True),
        ("missing notin (a,b)", True),  # so does notin
        ("missing in (a)", False),
        ("app.kubernetes.io/name=checkout,tier=web", True),
        ("app=checkout, tier=api", False),
        ("replicas>2", True),
        ("replicas<3", False),
        ("app>2", False),  # not a number: no match, no error
        ("missing=", False),
    ],
)
def test_label_selector_semantics(selector: str, matches: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is matches


def test_an_empty_value_selects_a_label_whose_value_is_empty() -> None:
    assert parse_label_selector("canary=").matches({"canary": ""})
    assert parse_label_selector("canary in (,yes)").matches({"canary": ""})


@pytest.mark.parametrize(
    "selector",
    [
        "app in ()",
        "app in (a",
        "app=a=b",
        "=a",
        "app,",
        "app=a b",
        "Bad_Key-=x",
        "app in (a b)",
        "x>y",
        "app=a!b",
    ],
)
def test_malformed_label_selectors_are_refused(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


def test_field_selector_terms_operators_and_escapes() -> None:
    selector = parse_field_selector(r"type=Warning,involvedObject.name!=a\,b,reason==Back\=Off")
    assert [(t.field, t.value, t.negated) for t in selector.terms] == [
        ("type", "Warning", False),
        ("involvedObject.name", "a,b", True),
        ("reason", "Back=Off", False),
    ]
    event = {"type": "Warning", "involvedObject": {"name": "a,b"}, "reason": "Back=Off"}
    assert not selector.matches(event, field_value)
    event["involvedObject"] = {"name": "other"}
    assert selector.matches(event, field_value)


def test_field_values_are_compared_as_the_server_prints_them() -> None:
    node = {"metadata": {"name": "n1"}, "spec": {"unschedulable": True}}
    assert field_value(node, "spec.unschedulable") == "true"
    assert field_value({"metadata": {"name": "n2"}}, "spec.unschedulable") == ""
    assert field_value({"status": {"replicas": 0}}, "status.replicas") == "0"
    assert field_value({"source": {"component": "kubelet"}}, "source") == "kubelet"  # core Event's label


@pytest.mark.parametrize("selector", ["type", "=Warning", r"type=a\b", "type=a=b"])
def test_malformed_field_selectors_are_refused(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_field_selector(selector)


def test_only_the_fields_a_kind_indexes_are_accepted() -> None:
    check_fields(parse_field_selector("status.phase=Running,spec.nodeName=n1"), "Pod", True)
    check_fields(parse_field_selector("metadata.name=x"), "Deployment", True)
    with pytest.raises(SelectorError, match=r"field label not supported: status\.phase"):
        check_fields(parse_field_selector("status.phase=Running"), "Deployment", True)
    with pytest.raises(SelectorError, match=r"field label not supported: metadata\.namespace"):
        check_fields(parse_field_selector("metadata.namespace=x"), "Node", False)


_name = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@given(st.dictionaries(_name, _name, min_size=1, max_size=6), st.dictionaries(_name, _name, max_size=6))
def test_a_selector_of_an_objects_own_labels_matches_it_and_negation_flips_it(
    labels: dict[str, str], other: dict[str, str]
) -> None:
    own = ",".join(f"{k}={v}" for k, v in labels.items())
    assert parse_label_selector(own).matches(labels)
    for key, value in labels.items():
        equal = parse_label_selector(f"{key}={value}").matches(other)
        assert parse_label_selector(f"{key}!={value}").matches(other) is not equal
        inside = parse_label_selector(f"{key} in ({value})").matches(other)
        assert inside is equal
        assert parse_label_selector(f"{key} notin ({value})").matches(other) is not inside
