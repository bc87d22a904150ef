"""Where a container's certificate comes from: the ConfigMaps and Secrets mounted into it whose
mount, file or key names look like a certificate (`certificate.pem`, `tls.crt`, `/etc/ssl/certs`).
A container that says its certificate expired is told by the object that holds it, which is what
someone has to update."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agents.eks import objects as o
from agents.eks.objects import Obj

_CERT_WORDS = re.compile(r"cert|\.pem$|\.crt$|tls|(?:^|[/_.\-])ca(?:$|[/_.\-])|x509|ssl", re.IGNORECASE)


def _sources(volume: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(kind, name, keys it projects) of a volume's ConfigMaps and Secrets."""
    found = []
    if volume.get("configMap"):
        cm = volume["configMap"]
        found.append(
            ("ConfigMap", str(cm.get("name", "")), [str(i.get("key")) for i in cm.get("items") or []])
        )
    if volume.get("secret"):
        secret = volume["secret"]
        found.append(
            (
                "Secret",
                str(secret.get("secretName", "")),
                [str(i.get("key")) for i in secret.get("items") or []],
            )
        )
    for source in (volume.get("projected") or {}).get("sources") or []:
        for key, kind, name_key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "name")):
            if source.get(key):
                items = [str(i.get("key")) for i in source[key].get("items") or []]
                found.append((kind, str(source[key].get(name_key, "")), items))
    return [f for f in found if f[1]]


def _specs(pod: Obj, controllers: Sequence[Obj]) -> list[dict[str, Any]]:
    """The pod's spec, then the pod templates of the controllers whose selector matches it (a pod
    as read may lack what its template declares)."""
    specs = [o.spec(pod)]
    for workload in controllers:
        selector = o.spec(workload).get("selector") or {}
        mine = o.namespace(workload) == o.namespace(pod) and selector
        if mine and o.label_selector_matches(selector, o.labels(pod)):
            specs.append((o.spec(workload).get("template") or {}).get("spec") or {})
    return specs


def certificate_sources(pod: Obj, container: str, controllers: Sequence[Obj] = ()) -> list[str]:
    """`ConfigMap default/db-certs-config` for each ConfigMap or Secret mounted into `container`
    (by the pod or its controller's template) that looks like it holds a certificate."""
    ns = o.namespace(pod)
    out: list[str] = []
    for spec in _specs(pod, controllers):
        volumes = {str(v.get("name")): v for v in spec.get("volumes") or []}
        for c in spec.get("containers") or []:
            if c.get("name") != container:
                continue
            for mount in c.get("volumeMounts") or []:
                volume = volumes.get(str(mount.get("name")))
                if volume is None:
                    continue
                for kind, name, keys in _sources(volume):
                    words = [str(mount.get("mountPath", "")), str(mount.get("subPath", "")), name, *keys]
                    text = f"{kind} {ns}/{name}"
                    if any(_CERT_WORDS.search(w) for w in words if w) and text not in out:
                        out.append(text)
    return out[:2]
