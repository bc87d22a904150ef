"""The likely cause, as one pipeline: candidate causes → the first failure among them → connect
(what the alert is about and what it depends on) → triggers through connections → the failing
dependency's own cause, hop by hop → choose → what was ruled out. Each step has its module; this one
runs them in order and states the result from the findings' own titles (nothing invented).

- `verdicts`: a quiet alert or a healthy workload (`no_issue`), a bare regression, `unknown`;
- `candidates`: the supported causes, the first failure among them, what it cites;
- `chain`: what the alert is about and what it depends on, and which changes are on that path;
- `triggers`: the change on the path that fits the cause;
- `hops`: a failing dependency's own cause, hop by hop;
- `specifics`: the specific thing the evidence names; `ruled_out`: the close change off the path.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.master import changed, connections, hops, platform
from agents.master.alert_words import as_the_alert_says
from agents.master.before_cause import before_cause
from agents.master.callers import without_callers
from agents.master.candidates import Candidates, candidate_causes, cited
from agents.master.chain import Dependency, Path, connect, on_dependency, on_path, touches
from agents.master.consequences import consequences, corroboration
from agents.master.corroborate import corroborate
from agents.master.decision import Decision, ago, announced, cited_text, join, sentence
from agents.master.louder import followed
from agents.master.named_in_alert import rated_by_the_alerts_words
from agents.master.ranking import MIN_CITED, TriggerCandidate, confidence, support
from agents.master.regression import regression_first
from agents.master.restate import restate
from agents.master.ruled_out import ruled_out
from agents.master.same_pod import first_on_same_object, same_pod
from agents.master.specifics import near_miss, remote_host, specific
from agents.master.triggers import triggers
from agents.master.verdicts import bad_deploy, failed, no_issue, unknown
from shared.causes import CAUSES, change_words, label, refined, restated, stated_kind
from shared.contracts import AgentResult, AlertContext, Cause, CauseCategory, Finding, Trigger

__all__ = ["Decision", "decide"]


def decide(
    ctx: AlertContext,
    findings: Sequence[Finding],
    results: Sequence[AgentResult],
    related: Sequence[Finding] = (),
) -> Decision:
    """The cause of the alert from `findings`; `related` are findings about what it depends on,
    from a second, narrower round (they only ever say why a dependency fails)."""
    quiet = no_issue(ctx, findings, results)
    if quiet is not None:
        return quiet
    findings = without_callers(ctx, rated_by_the_alerts_words(ctx, findings))
    # A series that only began in the window is a new thing, not a surge (`connections`).
    originals, findings = findings, connections.not_surges(findings)
    candidates = candidate_causes(ctx, findings)
    if candidates is None:
        # With no cause from the sources, the alert's own words are a last resort, said as such.
        return bad_deploy(ctx, findings) or as_the_alert_says(ctx, unknown(ctx, findings, results))
    together = first_on_same_object(ctx, findings, candidates.first)
    if together is not None:
        candidates = Candidates(together, candidates.first, candidates.findings)
    earlier = regression_first(ctx, findings, candidates.first)
    if earlier is not None:
        return earlier
    findings = candidates.findings or tuple(findings)
    evidence = cited(ctx, findings, candidates.first)
    evidence += consequences(ctx, findings, candidates.first, evidence)
    evidence += corroboration(ctx, findings, candidates.first, evidence)
    evidence += same_pod(ctx, findings, candidates.first, evidence)
    path = connect(ctx, findings, evidence)
    changes = before_cause(findings, evidence)
    linked = frozenset(
        connections.named_by_target(
            changes, path, (ctx.hints.cluster or "", ctx.hints.region or "", ctx.hints.namespace or "")
        )
        | connections.started_new_clients(changes, connections.new_clients(originals, path))
    )
    chosen = triggers(ctx, changes, candidates.first.category, path, evidence, linked)
    if not chosen and (restated := restate(ctx, changes, candidates, path, evidence)) is not None:
        candidates, chosen = restated
    return choose(ctx, findings, results, candidates, path, evidence, chosen, related, linked)


def choose(
    ctx: AlertContext,
    findings: Sequence[Finding],
    results: Sequence[AgentResult],
    candidates: Candidates,
    path: Path,
    evidence: list[str],
    chosen: Sequence[TriggerCandidate],
    related: Sequence[Finding],
    linked: frozenset[str] = frozenset(),
) -> Decision:
    """The cause stated: its category (refined by what the trigger says), the trigger, the
    dependency's own cause, the evidence and the summary, ending with what was ruled out."""
    top = candidates.first
    chain = (
        hops.follow([*findings, *related], path, evidence)
        if CAUSES[top.category].through_dependency
        else None
    )
    change = chosen[0].finding if chosen else None
    if chain is not None and chain.hops and change is not None and not _connected(change, path, linked):
        # The dependency's own failure explains the alert; a change connected to neither the target
        # nor what it depends on (a traffic note that names nothing) is not what set it off.
        chosen, change = (), None
    evidence = [*evidence, *(c.finding.id for c in chosen if c.finding.id not in evidence)]
    conf = confidence(
        top, candidates.runner_up, trigger_fits=change is not None, failed_agents=failed(results)
    )
    category = top.category
    restatement = None
    if change is not None and change.change is not None:
        category = refined(category, change.change, " ".join([change.title, change.detail]))
        if category is not top.category:
            # The specific cause the change points at is cited by its own strongest evidence too.
            backing = [f for f in findings if f.cause_hint is category and f.relevance >= MIN_CITED]
            if backing:
                evidence.append(max(backing, key=lambda f: (support(f, ctx), f.id)).id)
        restatement = restated(
            category, " ".join([change.title, change.detail]), cited_text(findings, evidence)
        )
        if restatement is not None:
            category = restatement.becomes
    root = chain.root if chain is not None else None
    if (
        chain is not None
        and len(chain.hops) > 1
        and root is not None
        and root.why.cause_hint
        and CAUSES[root.why.cause_hint].platform
    ):
        # Through more than one hop, every hop but the last only passes the failure on; when the
        # last one's own cause is the platform under it (its volume, its node, its certificate),
        # that is the cause. A dependency's own process failing (OOMKilled) stays a dependency
        # failure, stated as the dependency's own.
        category = root.why.cause_hint
    summary = f"{label(category)}: {sentence(top.best.title)}"
    if restatement is not None and restatement.sentence:
        summary += f" {restatement.sentence}"
    others = [a for a in top.agents if a != top.best.agent]
    if others:
        summary += f" Also seen by {join(others)}."
    implied = Trigger.NONE
    ask_about = None
    if change is not None and change.change is not None:
        summary += _began(ctx, findings, category, path, evidence, chosen, top.best)
        said, ask_about = _change_seen(change, path, [*findings, *related], evidence)
        summary += said
    elif (remote := remote_host(category, findings, evidence)) is not None:
        implied = Trigger.DEPENDENCY
        summary += " " + remote[0]
        if chain is None:
            chain = hops.follow_remote(findings, path, remote[1], evidence, related)
    under = False
    if chain is None and change is None:
        # No dependency the target calls: a platform component its evidence names may be under it.
        chain = platform.follow(findings, path, evidence, related)
        under = True
    follow = None
    if chain is not None:
        for hop in chain.hops:
            evidence.append(hop.why.id)
            why = hop.why.cause_hint or category
            summary += f" {hop.dependency.name} itself fails: {label(why)}: {sentence(hop.why.title)}"
            summary += platform.detail(hop, related)
        if chain.hops and change is None and not under:
            # (A platform component failing under the target is no dependency change: with no
            # change seen, the trigger is the kind the cause usually comes from, below.)
            implied = Trigger.DEPENDENCY
        if change is None or not _connected(change, path, linked):
            follow = chain.unexplained
        if not chain.hops and chain.unexplained is not None:
            # Without a cause of its own (yet): the dependency is named all the same, it is where the
            # failure is.
            summary += f" The failing dependency is {chain.unexplained.name}; its own cause was not found."
    follow = follow or ask_about
    origin = CAUSES[category].origin
    if change is None and implied is Trigger.NONE and origin is not None:
        # No change on the path: the kind this cause usually comes from, said as inferred.
        implied = origin
        summary += f" No change was found on its path; this usually follows {change_words(origin)}."
    summary += followed(top, candidates.runner_up)
    summary += specific(category, [*findings, *related], evidence, summary)
    summary += ruled_out(ctx, findings, path, change)
    evidence += corroborate(ctx, [*findings, *related], category, path, evidence)
    return Decision(
        Cause(
            category=category,
            trigger=stated_kind(change.change, change.title) if change and change.change else implied,
            summary=summary,
            confidence=conf,
            evidence=tuple(dict.fromkeys(evidence)),
        ),
        change,
        follow,
        path,
    )


def _change_seen(
    change: Finding, path: Path, findings: Sequence[Finding], evidence: list[str]
) -> tuple[str, Dependency | None]:
    """For a change to a dependency (not the target): what another source observed of it, cited and
    said; else the dependency, for a narrower round to ask about."""
    dep = changed.dependency_changed(change, path)
    if dep is None:
        return "", None
    seen = [i for i in changed.shown(change, dep, findings) if i not in evidence]
    if not seen:
        return "", dep if changed.askable(dep) else None
    evidence.extend(seen)
    by_id = {f.id: f for f in findings}
    return f" {by_id[seen[0]].agent} shows that change: {sentence(by_id[seen[0]].title)}", None


def _connected(change: Finding, path: Path, linked: frozenset[str] = frozenset()) -> bool:
    """Whether a change is to the target or to something it depends on, by name, or tied to the
    target by what the evidence names (`linked`)."""
    return change.id in linked or touches(change, path.target) or on_dependency(change, path) is not None


def _began(
    ctx: AlertContext,
    findings: Sequence[Finding],
    category: CauseCategory,
    path: Path,
    evidence: Sequence[str],
    chosen: Sequence[TriggerCandidate],
    best: Finding,
) -> str:
    """`It began after a deploy 6 min before the alert: ...`, with the near-missed key and the
    dependency the change is to, when it is not to the target itself."""
    change = chosen[0].finding
    assert change.change is not None
    kind, when = change_words(stated_kind(change.change, change.title)), ago(ctx, change)
    said = next((c.finding for c in chosen[1:] if announced(c.finding)), None)
    # One finding may report both the symptom and the change (an HPA at max under a surge);
    # then what someone announced says what the change was.
    if change.id == best.id:
        out = f" It began with {kind} {when}" + (f": {sentence(said.title)}" if said else ".")
    else:
        out = f" It began after {kind} {when}: {sentence(change.title)}"
    out += near_miss(category, findings, evidence, change)
    dep = on_dependency(change, path)
    shared = CAUSES[category].shared_limit
    if dep is None and shared is not None and not touches(change, path.target) and not on_path(change, path):
        out += f" That change is to another client of the server whose limit {path.describe_target()} shares."
    if dep is not None and not touches(change, path.target):
        by_namespace = dep.namespace is not None and not touches(change, dep.names)
        where = f"the {dep.namespace} namespace, where {dep.name} runs" if by_namespace else dep.name
        out += f" That change is to {where}, which {path.describe_target()} depends on."
    return out
