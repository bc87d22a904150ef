"""A platform component under the target (the mesh's identity, cert-manager, an ingress or load
balancer controller, a node provisioner, a CSI driver; `shared.causes.PLATFORM_COMPONENTS`) whose
words show in the cause's own evidence, although the cause does not run through a dependency the
target calls (a certificate the proxy cannot get, a webhook that refuses). The component lives in a
namespace of its own: its state there says why it fails. Until the scanners were asked about that
namespace, it is worth a narrower round. Pure and deterministic."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.master.chain import Dependency, Path, about, finding_text, namespaces
from agents.master.hops import Chain, Hop, own_cause
from shared.causes import PLATFORM_COMPONENTS, PLATFORM_NAMES
from shared.contracts import CauseCategory, Finding

# When a certificate stopped being valid, as x509 errors and cert-manager say it.
_EXPIRED_AT = re.compile(
    r"(?:Invalid After|NotAfter|not ?after|expired (?:at|on))\s*[:=]?\s*"
    r"(?P<at>\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?(?:\s*\+0000)?(?:\s*UTC|Z)?)",
    re.IGNORECASE,
)


def follow(
    findings: Sequence[Finding], path: Path, cited: Sequence[str], related: Sequence[Finding]
) -> Chain:
    """The platform component's own cause, from the narrower round about its namespace (`related`)
    or any other finding about it not already cited for the target's cause (a component reporting
    the target's failure is not failing itself). Findings about the target itself never are. The
    component is worth asking about until it was asked."""
    components = [d for d in path.dependencies if d.name in PLATFORM_NAMES]
    if not components:
        return Chain((), None)
    own = [
        f
        for f in (*related, *findings)
        if not (path.target and about(f, path.target)) and any(_of(f, c, path.namespace) for c in components)
    ]
    found = own_cause(own, components, set(cited), path.namespace)
    hops = (Hop(*found),) if found is not None else ()
    return Chain(hops, None if related else _askable(components))


def _of(finding: Finding, component: Dependency, home: str | None) -> bool:
    """Whether a finding is about the component itself, by what it is first about (its first
    Kubernetes object, pod or stream): the component's pods or workload, or an object in the
    component's own namespace (not the target's). Not another workload's finding that names it
    (a claim waiting on the driver, a line of a client)."""
    first = next(
        (r for r in finding.resources if namespaces(finding.model_copy(update={"resources": (r,)}))), None
    )
    if first is None:
        return False
    subject = finding.model_copy(update={"resources": (first,)})
    if about(subject, component.names):
        return True
    return (
        component.namespace is not None
        and component.namespace != home
        and component.namespace in namespaces(subject)
    )


def _askable(components: Sequence[Dependency]) -> Dependency | None:
    return next((d for d in components if d.namespace), None)


def detail(hop: Hop, findings: Sequence[Finding]) -> str:
    """What the report adds about a platform component whose own cause is a certificate's: where it
    runs, which certificate it issues with (by name: the one its evidence or another finding names,
    else its usual one), and when the certificate in use stopped being valid, from the evidence.
    "" for any other cause."""
    component = next((c for c in PLATFORM_COMPONENTS if c.name == hop.dependency.name), None)
    if component is None or hop.why.cause_hint is not CauseCategory.CERTIFICATE_EXPIRED:
        return ""
    text = finding_text(hop.why)
    out = f" {component.name} runs in the {hop.dependency.namespace} namespace"
    if component.signs_with:
        everything = " ".join([text, *(finding_text(f) for f in findings)]).lower()
        named = next((c for c in component.signs_with if c.lower() in everything), component.signs_with[0])
        out += (
            f"; its signing certificate is {named}: check that {named} was rotated and that "
            f"{component.name} loaded the new one"
        )
    out += "."
    at = _EXPIRED_AT.search(text)
    if at:
        out += f" The expired certificate was valid until {at.group('at').strip()}."
    return out
