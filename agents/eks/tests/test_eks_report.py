"""The two scanners' findings through the master's synthesis and the Slack renderer, in process:
for every project scenario the posted report names the expected cause, carries the facts the
scenario requires, leaves the decoys out, and cites both scanners where they hold the evidence.
(`sre-on-call eval` plays the same scenarios through the whole system.)"""

from __future__ import annotations

import pytest
from test_eks_scenarios import FILES, context_of, eks_findings, log_findings

from agents.common.scope import scope_from_context
from agents.master.synthesis import synthesize
from sandbox.scenario import load_scenario
from shared.contracts import AgentResult, AgentStatus
from shared.render import posted_text, render_parts

# Scenarios whose decisive change was announced in chat need the chat scanners too (`eval` plays them).
ALONE = [
    f
    for f in FILES
    if not {"slack_scanner", "discord_scanner"} & set(load_scenario(f).expected.evidence_from)
]


@pytest.mark.parametrize("path", ALONE, ids=[f.stem for f in ALONE])
def test_report_from_eks_and_logs_alone(path: object) -> None:
    resolved = load_scenario(path).resolve()  # type: ignore[arg-type]
    ctx = context_of(resolved)
    scope = scope_from_context(ctx)
    results = [
        AgentResult(
            agent=agent, status=AgentStatus.OK if found else AgentStatus.NO_DATA, findings=tuple(found)
        )
        for agent, found in (
            ("eks", eks_findings(resolved, scope)),
            ("cloudwatch_logs", log_findings(resolved, scope)),
        )
    ]
    report = synthesize(ctx, results)
    text = posted_text(render_parts("slack", report)).lower()
    expected = resolved.expected
    assert report.cause.category is expected.category, report.cause.summary
    assert [m for m in expected.must_mention if m.lower() not in text] == []
    assert [m for m in expected.must_not_mention if m.lower() in text] == []
    cited = {finding_id.split(":")[0] for finding_id in report.cause.evidence}
    assert set(expected.evidence_from) & {"eks", "cloudwatch_logs"} <= cited
