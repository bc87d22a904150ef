"""The first failure on each path, followed hop by hop: the target fails because a dependency
does; that dependency's own findings say why. When its own cause is again that something *it*
calls is failing (auth-api cannot reach its Redis), the chain goes one hop further, up to
`MAX_HOPS`, and ends at the first hop whose cause is its own (the Redis volume cannot attach).
Pure and deterministic; the orchestrator asks the scanners about a hop whose cause is unknown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agents.master.chain import Dependency, Path, about, dependencies_in, touches
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
        found = own_cause(findings, deps, used)
        if found is None:
            return Chain(tuple(hops), _askable(deps))
        hop = Hop(*found)
        hops.append(hop)
        used.add(hop.why.id)
        known.update(n.lower() for n in hop.dependency.names)
        if not CAUSES[_hint(hop.why)].through_dependency:
            break
        deps = tuple(d for d in dependencies_in([hop.why], tuple(known)) if d.name.lower() not in known)
    return Chain(tuple(hops), None)


def own_cause(
    findings: Sequence[Finding], dependencies: Sequence[Dependency], used: set[str]
) -> tuple[Dependency, Finding] | None:
    """A dependency's own failure: a finding about it (not already cited) with a cause of its own.
    A cause that is the dependency's own (OOMKilled, a volume that cannot attach) comes before one
    that runs through something it calls; then the most severe, then the one that began first."""
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
        if dep is not None:
            at = f.first_seen or f.last_seen
            key = (kind.through_dependency, -f.severity.rank, at.timestamp() if at else float("inf"), f.id)
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
