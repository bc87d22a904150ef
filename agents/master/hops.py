"""The first failure on each path, followed hop by hop: the target fails because a dependency
does; that dependency's own findings say why. When its own cause is again that something *it*
calls is failing (auth-api cannot reach its Redis), the chain goes one hop further, up to
`MAX_HOPS`, and ends at the first hop whose cause is its own (the Redis volume cannot attach).
Pure and deterministic; the orchestrator asks the scanners about a hop whose cause is unknown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agents.master.chain import Dependency, Path, about, dependencies_in, namespaces, touches
from shared.causes import CAUSES
from shared.contracts import CauseCategory, Finding, Severity

MAX_HOPS = 3  # target → dependency → its dependency → one more, at most


@dataclass(frozen=True)
class Hop:
    dependency: Dependency
    why: Finding  # the dependency's own failure


@dataclass(frozen=True)
class Chain:
    hops: tuple[Hop, ...]  # in order from the target outwards
    # The next dependency whose own cause is not known yet: worth a narrower round.
    unexplained: Dependency | None

    @property
    def root(self) -> Hop | None:
        """The last hop, when its cause is its own (not a dependency of its own failing)."""
        if self.hops and not CAUSES[_hint(self.hops[-1].why)].through_dependency:
            return self.hops[-1]
        return None


def follow(findings: Sequence[Finding], path: Path, cited: Iterable[str]) -> Chain:
    """The hops from `path`'s dependencies outwards (see the module's docstring)."""
    used = set(cited)
    known = {n.lower() for n in path.target}
    deps = path.dependencies
    hops: list[Hop] = []
    while deps and len(hops) < MAX_HOPS:
        found = own_cause(findings, deps, used, path.namespace)
        if found is None:
            return Chain(tuple(hops), _askable(deps))
        hop = Hop(*found)
        hops.append(hop)
        used.add(hop.why.id)
        known.update(n.lower() for n in hop.dependency.names)
        if not CAUSES[_hint(hop.why)].through_dependency:
            break
        # What the dependency calls, from every failure of its own that runs through something it
        # calls (one line says "in recovery mode", another names the database's host).
        passing_on = [hop.why, *(f for f in findings if f is not hop.why and _passes_on(f, hop.dependency))]
        deps = tuple(d for d in dependencies_in(passing_on, tuple(known)) if d.name.lower() not in known)
    return Chain(tuple(hops), None)


def _passes_on(finding: Finding, dependency: Dependency) -> bool:
    """Whether `finding` is the dependency failing because of something it calls, by its resources."""
    hint = finding.cause_hint
    return (
        hint is not None
        and CAUSES[hint].through_dependency
        and finding.severity is not Severity.INFO
        and about(finding, dependency.names)
    )


def follow_remote(
    findings: Sequence[Finding], path: Path, host: str, cited: Sequence[str], asked: Sequence[Finding]
) -> Chain:
    """A cause shown at a dependency (a client fails to verify the certificate of `host`, which it
    calls): the dependency's own state, from the narrower round about it (`asked`), says why (its
    certificate expired, its issuer cannot sign). Until it was asked, it is worth asking, unless
    another source than the one showing the sign already cites the dependency's own state."""
    dep = next((d for d in path.dependencies if host.lower() in (n.lower() for n in d.names)), None)
    if dep is None:
        return Chain((), None)
    found = own_cause(asked, [dep], set(cited), path.namespace)
    if found is not None:
        return Chain((Hop(*found),), None)
    ids = set(cited)
    own = [f for f in findings if f.id in ids]
    signs = {f.agent for f in own if host.lower() in " ".join(e.excerpt for e in f.evidence).lower()}
    if any(f.agent not in signs and touches(f, dep.names) for f in own):
        return Chain((), None)
    return Chain((), None if asked else _askable([dep]))


def own_cause(
    findings: Sequence[Finding],
    dependencies: Sequence[Dependency],
    used: set[str],
    home: str | None = None,
) -> tuple[Dependency, Finding] | None:
    """A dependency's own failure: a finding about it (not already cited) with a cause of its own.
    One that names the dependency comes before one that is only in its namespace; then a cause
    that is the dependency's own (OOMKilled, a volume that cannot attach) before one that runs
    through something it calls; then the most severe, then the one that began first.

    A Kubernetes dependency in a namespace other than the target's (`home`) is also served by pods
    not named after its Service (kyverno-svc by kyverno-admission-controller, kube-dns by coredns):
    an own cause (not a generic one) in that namespace is the dependency's."""
    candidates = []
    for f in findings:
        hint = f.cause_hint
        if f.id in used or hint is None or not CAUSES[hint].is_cause or f.severity is Severity.INFO:
            continue
        kind = CAUSES[hint]
        if kind.specificity < 1.0 and not kind.through_dependency:
            continue  # a bare regression says nothing about why the dependency fails
        # A generic failure to reach something is the dependency's own only when the finding is
        # about the dependency itself, not another client of it naming it.
        match = about if kind.specificity < 1.0 else touches
        dep = next((d for d in dependencies if match(f, d.names)), None)
        by_namespace = False
        if dep is None and kind.specificity >= 1.0 and not kind.through_dependency:
            where = namespaces(f)
            dep = next(
                (d for d in dependencies if d.namespace and d.namespace != home and d.namespace in where),
                None,
            )
            by_namespace = dep is not None
        if dep is not None:
            at = f.first_seen or f.last_seen
            key = (
                by_namespace,
                kind.through_dependency,
                -f.severity.rank,
                at.timestamp() if at else float("inf"),
                f.id,
            )
            candidates.append((key, dep, f))
    if not candidates:
        return None
    _, dep, why = min(candidates, key=lambda c: c[0])
    return dep, why


def _askable(deps: Sequence[Dependency]) -> Dependency | None:
    """The dependency a narrower round can ask about: a Kubernetes Service, or a bare name."""
    return next((d for d in deps if d.namespace or "." not in d.name), None)


def _hint(finding: Finding) -> CauseCategory:
    assert finding.cause_hint is not None
    return finding.cause_hint
