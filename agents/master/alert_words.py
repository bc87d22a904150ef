"""The alert's own words, as a last resort. When no source showed a cause (the decision is
`unknown`), what the alert itself says (its text, its summary and description annotations) is
classified with the shared log signatures (`agents.common.signatures`), at low confidence, and the
summary says it is the alert's word, not a source's: "the alert's own text says …; no source showed
it". A cause the sources support is never replaced, and the text is only read: it names a category,
it sets off nothing."""

from __future__ import annotations

from functools import lru_cache

from agents.common.signatures import Signatures, excerpt, load_signatures
from agents.master.decision import Decision
from shared.causes import label
from shared.contracts import AlertContext, CauseCategory
from shared.redact import redact

WORDS_CONFIDENCE = 0.2  # above `unknown`'s, below any cause a source supports
_ANNOTATIONS = ("summary", "description", "message")
# What the alert's words can say; a quiet or unknown category is no cause.
_NO_CAUSE = frozenset({CauseCategory.UNKNOWN, CauseCategory.NO_ISSUE})


@lru_cache(maxsize=1)
def _signatures() -> Signatures:
    return load_signatures()


def own_words(ctx: AlertContext) -> list[str]:
    """The alert's text, then its summary and description annotations, line by line."""
    texts = [ctx.text, *(ctx.annotations.get(k, "") for k in _ANNOTATIONS)]
    return [line.strip() for text in texts for line in text.splitlines() if line.strip()]


def as_the_alert_says(ctx: AlertContext, decision: Decision) -> Decision:
    """`decision`, unless it is `unknown` and the alert's own words match a signature: then that
    signature's category, at `WORDS_CONFIDENCE`, said as the alert's words."""
    if decision.cause.category is not CauseCategory.UNKNOWN:
        return decision
    signatures = _signatures()
    for line in own_words(ctx):
        signature = signatures.match(line)
        if signature is None or signature.category in _NO_CAUSE:
            continue
        said = redact(excerpt(line, signature, limit=160))
        summary = (
            f"{label(signature.category)}, by the alert's own words: the alert's own text says “{said}”; "
            f"no source showed it. {decision.cause.summary}"
        )
        cause = decision.cause.model_copy(
            update={
                "category": signature.category,
                "summary": summary,
                "confidence": WORDS_CONFIDENCE,
            }
        )
        return Decision(cause, None, None, decision.path)
    return decision
