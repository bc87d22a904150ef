"""A flag's share ramped in people's words is a config change with the flag and its new share."""

from __future__ import annotations

from agents.common.chat_history.extract import Kind, classify


def test_a_flag_ramped_from_one_share_to_another_is_a_config_change() -> None:
    [mention] = classify("ramping checkout_v2 from 5% to 25% per the plan", bot=False)
    assert mention.kind is Kind.CONFIG
    assert (mention.key, mention.old, mention.new) == ("checkout_v2", "5%", "25%")


def test_a_flag_bumped_to_a_share_names_the_flag() -> None:
    [mention] = classify("bumped new-pricing to 50% for EU", bot=False)
    assert (mention.key, mention.new) == ("new-pricing", "50%")


def test_a_plain_word_ramped_to_a_share_is_not_a_flag() -> None:
    mentions = classify("ramping up traffic to 25% this afternoon", bot=False)
    assert not any(m.kind is Kind.CONFIG and m.new == "25%" for m in mentions)
