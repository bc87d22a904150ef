"""The report as one Markdown document (CLI output, archives, tickets) and as JSON."""

from __future__ import annotations

import json
from typing import Any

from shared.contracts import IncidentReport
from shared.redact import redact
from shared.render.document import build_document
from shared.render.escape import code_text, markdown_escape
from shared.render.layout import Formatter, format_line, format_lines

MARKDOWN = Formatter(
    text=markdown_escape,
    bold=lambda s: f"**{markdown_escape(s)}**",
    code=lambda s: f"`{code_text(s)}`",
    link=lambda label, url: f"[{markdown_escape(label)}](<{url}>)",
    expansion=3,
)
_NO_LIMIT = 1_000_000


def render_markdown(report: IncidentReport) -> str:
    doc = build_document(report)
    out = [f"# {markdown_escape(' '.join(doc.title.split()))}", ""]
    for section in doc.sections:
        out += [f"## {markdown_escape(section.heading)}", ""]
        out += [line + "  " for line in format_lines(section.lines, MARKDOWN, _NO_LIMIT)]
        out.append("")
    out += ["---", *(f"_{line}_" for line in format_line(doc.footer, MARKDOWN, _NO_LIMIT))]
    return "\n".join(out) + "\n"


def render_json(report: IncidentReport) -> str:
    """The report's JSON with every string value redacted except the report's own identifiers.

    A finding id such as `eks:secret-missing:shop/db-password` names a resource, not a credential;
    masking it would break the id pattern and the cause's references to it, so the JSON would no
    longer parse back into an `IncidentReport`.
    """
    identifiers = {report.investigation_id, *(f.id for f in report.findings)}
    dumped = report.model_dump(mode="json")
    return json.dumps(_redacted(dumped, identifiers), indent=2, ensure_ascii=False)


def _redacted(value: Any, identifiers: set[str]) -> Any:
    if isinstance(value, str):
        return value if value in identifiers else redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v, identifiers) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, identifiers) for v in value]
    return value
