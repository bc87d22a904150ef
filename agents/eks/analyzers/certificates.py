"""cert-manager: Certificates expired or about to expire, or not Ready because their issuance fails
(the Issuer or ClusterIssuer missing or not Ready, the CertificateRequest failed, an ACME challenge
that does not validate), tied to the Secret they write and the Ingresses and Gateways serving it."""

from __future__ import annotations

import re
from datetime import timedelta

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence, short
from agents.eks.analyzers.ingress import ingress_relevance
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Evidence, Finding, Severity
from shared.relevance import Relevance

SOON = timedelta(days=7)  # cert-manager renews at 2/3 of the lifetime: 30 days for 90-day certs
ISSUER_KINDS = ("Issuer", "ClusterIssuer")


def _users(analysis: Analysis, ns: str | None, secret: str) -> list[tuple[str, Obj]]:
    """(kind, object) of the Ingresses and Gateways that serve the Secret."""
    users: list[tuple[str, Obj]] = []
    for ingress in analysis.state.kind("Ingress"):
        tls = o.spec(ingress).get("tls") or []
        if o.namespace(ingress) == ns and any((t or {}).get("secretName") == secret for t in tls):
            users.append(("Ingress", ingress))
    for gateway in analysis.state.kind("Gateway"):
        for listener in o.spec(gateway).get("listeners") or []:
            refs = ((listener or {}).get("tls") or {}).get("certificateRefs") or []
            if any(
                r.get("name") == secret and (r.get("namespace") or o.namespace(gateway)) == ns for r in refs
            ):
                users.append(("Gateway", gateway))
                break
    return users


def _mounts(obj: Obj, secret: str) -> bool:
    """Whether a pod or a workload's pod template mounts the Secret (a secret or projected volume)."""
    for volume in o.pod_spec(obj).get("volumes") or []:
        names = [((volume or {}).get("secret") or {}).get("secretName")]
        names += [
            (source.get("secret") or {}).get("name")
            for source in ((volume or {}).get("projected") or {}).get("sources") or []
            if isinstance(source, dict)
        ]
        if secret in names:
            return True
    return False


def _mounting(analysis: Analysis, ns: str | None, secret: str) -> tuple[list[str], list[str]]:
    """(`pods of Deployment shop/api`, ...) for the workloads whose pods mount the Secret, and the
    DNS names (`api.shop.svc`) of the Services in front of those pods: who serves with it."""
    found: dict[str, None] = {}
    labels: list[dict[str, str]] = []
    for pod in analysis.state.pods:
        if o.namespace(pod) == ns and _mounts(pod, secret):
            owner_kind, owner = analysis.workload_of(pod)
            found[f"pods of {owner_kind} {ns}/{owner}" if owner_kind != "Pod" else f"pod {ns}/{owner}"] = None
            labels.append(o.labels(pod))
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for workload in analysis.state.kind(kind):
            if o.namespace(workload) == ns and _mounts(workload, secret):
                found.setdefault(f"pods of {kind} {ns}/{o.name(workload)}", None)
                labels.append(
                    ((o.spec(workload).get("template") or {}).get("metadata") or {}).get("labels") or {}
                )
    hosts = [
        f"{o.name(svc)}.{ns}.svc"
        for svc in analysis.state.kind("Service")
        if o.namespace(svc) == ns
        and (selector := o.spec(svc).get("selector"))
        and any(o.selector_matches(selector, found_labels) for found_labels in labels)
    ]
    return list(found), hosts


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Pod")


def _callers(analysis: Analysis, hosts: list[str]) -> list[tuple[str, float]]:
    """(`Deployment checkout/checkout-api (env TAX_SERVICE_URL)`, relevance) for the workloads whose
    env or arguments name one of the hosts: they call the host the certificate is for."""
    found: list[tuple[str, float]] = []
    if not hosts:
        return found
    named = re.compile("|".join(rf"(?<![\w.-]){re.escape(h)}(?![\w-])" for h in hosts), re.IGNORECASE)
    for kind in WORKLOAD_KINDS:
        for workload in analysis.state.kind(kind):
            ns, name = o.namespace(workload), o.name(workload)
            relevance = analysis.pod_relevance(workload) if kind == "Pod" else analysis.relevance(ns, name)
            if relevance < Relevance.NEAR:
                continue
            containers = o.template_containers(workload)
            if kind == "CronJob":
                job = (o.spec(workload).get("jobTemplate") or {}).get("spec") or {}
                containers = ((job.get("template") or {}).get("spec") or {}).get("containers") or []
            for container in containers:
                said = [
                    f"env {e.get('name')}"
                    for e in container.get("env") or []
                    if isinstance(e, dict) and named.search(str(e.get("value", "")))
                ]
                words = " ".join(
                    map(str, [*(container.get("command") or []), *(container.get("args") or [])])
                )
                if named.search(words):
                    said.append("args")
                if said:
                    found.append((f"{kind} {ns}/{name} ({', '.join(said[:2])})", relevance))
                    break
    return found


def _issuer(analysis: Analysis, cert: Obj) -> tuple[str, str, Obj | None]:
    ref = o.spec(cert).get("issuerRef") or {}
    kind = str(ref.get("kind") or "Issuer")
    name = str(ref.get("name") or "")
    ns = None if kind == "ClusterIssuer" else o.namespace(cert)
    found = next((i for i in analysis.state.kind(kind) if o.name(i) == name and o.namespace(i) == ns), None)
    return kind, name, found


def _issuance_problem(analysis: Analysis, cert: Obj) -> tuple[str, CauseCategory | None, list[Evidence]]:
    """Why the certificate is not (re)issued, as far as its issuer, request and challenges say."""
    ns, name = o.namespace(cert), o.name(cert)
    kind, issuer_name, issuer = _issuer(analysis, cert)
    if (
        issuer is None
        and issuer_name
        and analysis.state.known_absent(kind, None if kind == "ClusterIssuer" else ns, issuer_name)
    ):
        return f"its {kind} {issuer_name} does not exist", CauseCategory.BAD_CONFIG, []
    ready = o.conditions(issuer).get("Ready", {}) if issuer is not None else {}
    if issuer is not None and ready.get("status") == "False":
        said = short(str(ready.get("message", "")), 120)
        text = f"its {kind} {issuer_name} is not Ready ({ready.get('reason', '')}: {said})"
        return text, CauseCategory.BAD_CONFIG, [object_evidence(kind, issuer, text)]
    for challenge in analysis.state.kind("Challenge"):
        if o.namespace(challenge) != ns or o.status(challenge).get("state") in (None, "valid"):
            continue
        owner = o.owner(challenge)
        if owner is not None and not owner[1].startswith(name):
            continue
        spec, st = o.spec(challenge), o.status(challenge)
        text = (
            f"its ACME {spec.get('type', 'challenge')} challenge for {spec.get('dnsName', '?')} is "
            f"{st.get('state')}: {short(str(st.get('reason', '')), 140)}"
        )
        return text, None, [object_evidence("Challenge", challenge, text)]
    for order in analysis.state.kind("Order"):
        state = str(o.status(order).get("state") or "")
        if o.namespace(order) != ns or state not in ("errored", "invalid"):
            continue
        owner = o.owner(order)
        if not (o.name(order).startswith(name + "-") or (owner and owner[1].startswith(name + "-"))):
            continue
        text = (
            f"its ACME Order {o.name(order)} is {state}: {short(str(o.status(order).get('reason', '')), 140)}"
        )
        return text, None, [object_evidence("Order", order, text)]
    for request in analysis.state.kind("CertificateRequest"):
        owner = o.owner(request)
        if o.namespace(request) != ns or owner != ("Certificate", name):
            continue
        cond = o.conditions(request).get("Ready", {})
        if cond.get("status") == "False" and cond.get("reason") in ("Failed", "Denied", "Pending"):
            said = short(str(cond.get("message", "")), 140)
            text = f"CertificateRequest {o.name(request)} {cond.get('reason')}: {said}"
            return text, None, [object_evidence("CertificateRequest", request, text)]
    ready = o.conditions(cert).get("Ready", {})
    if ready.get("status") == "False":
        return f"{ready.get('reason', '')}: {short(str(ready.get('message', '')), 140)}", None, []
    return "", None, []


def analyze_certificates(analysis: Analysis) -> list[Finding]:
    now = analysis.scope.window_end
    findings = []
    for cert in analysis.state.kind("Certificate"):
        ns, name = o.namespace(cert), o.name(cert)
        st = o.status(cert)
        not_after = o.ts(st.get("notAfter"))
        ready = o.conditions(cert).get("Ready", {})
        expired = not_after is not None and not_after <= now
        soon = not_after is not None and not expired and not_after - now <= SOON
        if not (expired or soon or ready.get("status") == "False"):
            continue
        secret = str(o.spec(cert).get("secretName") or "")
        users = _users(analysis, ns, secret)
        why, why_cause, why_evidence = _issuance_problem(analysis, cert)
        relevance = max(
            [
                analysis.relevance(ns, name),
                analysis.relevance(ns, secret),
                *(
                    ingress_relevance(analysis, u)
                    if k == "Ingress"
                    else analysis.relevance(o.namespace(u), o.name(u))
                    for k, u in users
                ),
            ]
        )
        host_list = [str(h) for h in o.spec(cert).get("dnsNames") or []]
        hosts = ", ".join(host_list[:3])
        mounted, served_as = _mounting(analysis, ns, secret) if secret else ([], [])
        callers = _callers(
            analysis, [h for h in [*host_list, *served_as] if "." in h and not h.startswith("*")]
        )
        if callers:
            # The alert's workload calls a host this certificate is for: the failure is on its path.
            relevance = max(relevance, min(Relevance.DIRECT, max(r for _, r in callers)))
        if expired:
            state = f"expired {ago(analysis.scope, not_after)}"
        elif soon and not_after is not None:
            state = f"expires in {_left(not_after - now)}"
        else:
            state = "not Ready"
        served = (
            "; served by " + ", ".join(f"{k} {o.namespace(u)}/{o.name(u)}" for k, u in users[:2])
            if users
            else ""
        )
        # Who uses and who calls it first: the reason renewal fails is long and said last.
        title = (
            f"Certificate {ns}/{name}"
            + (f" ({hosts})" if hosts else "")
            + f" {state}"
            + (f"; Secret {secret}" if secret else "")
            + served
            + (f"; mounted by {', '.join(mounted[:2])}" if mounted else "")
            + (f"; called by {', '.join(c for c, _ in callers[:2])}" if callers else "")
            + (f"; renewal fails: {why}" if why and (expired or soon) else f": {why}" if why else "")
        )
        cause = CauseCategory.CERTIFICATE_EXPIRED if expired or soon else why_cause
        events = analysis.events.about("Certificate", ns, name, warning_only=True)
        evidence = [
            object_evidence(
                "Certificate",
                cert,
                f"notAfter={st.get('notAfter')}, renewalTime={st.get('renewalTime')}; "
                f"Ready={ready.get('status')} {ready.get('reason', '')}: {ready.get('message', '')}",
                o.ts(ready.get("lastTransitionTime")),
            ),
            *why_evidence,
            *(event_evidence(e) for e in events[:1]),
        ]
        findings.append(
            make_finding(
                "certificate-expired"
                if expired
                else "certificate-expiring"
                if soon
                else "certificate-not-ready",
                f"{ns}/{name}",
                severity=Severity.CRITICAL if expired and relevance >= Relevance.NEAR else Severity.WARNING,
                title=title,
                detail="\n".join(
                    line
                    for line in (
                        f"Why it is not renewed: {why}" if why else "",
                        f"Users: {', '.join([*mounted, *(c for c, _ in callers)])}"
                        if mounted or callers
                        else "",
                    )
                    if line
                ),
                resources=[
                    o.path("Certificate", cert),
                    *([f"{ns}/Secret/{secret}"] if secret else []),
                    *(o.path(k, u) for k, u in users[:3]),
                ],
                evidence=evidence,
                cause=cause,
                relevance=relevance if expired or why_cause else relevance * 0.8,
                first_seen=not_after if expired else o.ts(ready.get("lastTransitionTime")),
            )
        )
    return findings


def _left(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{round(hours)} h" if hours < 48 else f"{round(hours / 24)} d"
