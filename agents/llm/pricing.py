"""Token usage and its cost, from `config.yaml`'s `prices` table (USD per million tokens)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared.config import Price
from shared.contracts import TokenUsage

logger = logging.getLogger(__name__)

_REGION_PREFIXES = ("us.", "eu.", "apac.", "global.", "jp.", "au.", "ca.")


def price_for(prices: Mapping[str, Price], model_id: str) -> Price | None:
    """The price of `model_id`; a cross-region inference profile (`us.anthropic...`) falls back to
    the base model's price when only that is listed."""
    if model_id in prices:
        return prices[model_id]
    for prefix in _REGION_PREFIXES:
        if model_id.startswith(prefix) and model_id[len(prefix) :] in prices:
            return prices[model_id[len(prefix) :]]
    return None


def cost_usd(prices: Mapping[str, Price], model_id: str, input_tokens: int, output_tokens: int) -> float:
    """What the tokens cost; 0 for a model the table does not list (logged once per call)."""
    price = price_for(prices, model_id)
    if price is None:
        if input_tokens or output_tokens:
            logger.info("model=<%s> | no price in config.prices, cost counted as 0", model_id)
        return 0.0
    return round((input_tokens * price.input + output_tokens * price.output) / 1_000_000, 6)


def usage_of(prices: Mapping[str, Price], model_id: str, accumulated: Mapping[str, Any] | None) -> TokenUsage:
    """`TokenUsage` from a Strands `accumulated_usage` dict (`inputTokens`, `outputTokens`)."""
    accumulated = accumulated or {}
    tokens_in = int(accumulated.get("inputTokens") or 0)
    tokens_out = int(accumulated.get("outputTokens") or 0)
    return TokenUsage(
        model=model_id,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=cost_usd(prices, model_id, tokens_in, tokens_out),
    )
