"""The Kubernetes stand-in serves what a scenario's CustomResourceDefinitions define, at the
versions they serve, and names a group's preferred version as the API server does."""

from __future__ import annotations

from sandbox.kube_resources import Registry, crd_types


def _crd(versions: list[dict[str, object]], scope: str = "Namespaced") -> dict[str, object]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "externalsecrets.external-secrets.io"},
        "spec": {
            "group": "external-secrets.io",
            "scope": scope,
            "names": {"kind": "ExternalSecret", "plural": "externalsecrets", "shortNames": ["es"]},
            "versions": versions,
        },
    }


def test_a_crd_defines_its_plural_scope_and_served_versions() -> None:
    crd = _crd(
        [
            {"name": "v1alpha1", "served": False},
            {"name": "v1beta1", "served": True},
            {"name": "v1", "served": True, "storage": True},
        ]
    )
    types = crd_types(crd)
    assert {(t.version, t.plural, t.namespaced, t.short_names) for t in types} == {
        ("v1beta1", "externalsecrets", True, ("es",)),
        ("v1", "externalsecrets", True, ("es",)),
    }
    registry = Registry.for_objects([crd])
    # GA before beta before alpha, as kube-apiserver orders a group's versions (preferred first).
    assert registry.group_versions()["external-secrets.io"] == ["v1", "v1beta1"]
    assert registry.group_versions()["autoscaling"] == ["v2", "v1"]
    assert registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions") is not None


def test_a_cluster_scoped_crd_and_objects_without_one() -> None:
    registry = Registry.for_objects(
        [
            _crd([{"name": "v1", "served": True}], scope="Cluster"),
            {
                "apiVersion": "keda.sh/v1alpha1",
                "kind": "ScaledObject",
                "metadata": {"name": "a", "namespace": "x"},
            },
        ]
    )
    es = registry.find("external-secrets.io", "v1", "externalsecrets")
    assert es is not None and not es.namespaced
    # Without a CRD, the kind is still served, its plural guessed as the API machinery does.
    assert registry.find("keda.sh", "v1alpha1", "scaledobjects") is not None
