from __future__ import annotations

from shared.render.terminal import as_seen


def test_slack_wire_text_reads_as_the_client_shows_it() -> None:
    wire = (
        "• image checkout v2.2.4 -&gt; v2.3.0 &amp; 2 more\n"
        "    ↳ <http://127.0.0.1:9090/graph?g0.expr=up&g0.tab=0|metric: up>\n"
        "    ↳ <https://example.slack.com/archives/C0/p1>"
    )
    assert as_seen(wire) == (
        "• image checkout v2.2.4 -> v2.3.0 & 2 more\n"
        "    ↳ metric: up\n"
        "    ↳ https://example.slack.com/archives/C0/p1"
    )


def test_text_that_only_looks_like_markup_is_left_alone() -> None:
    assert as_seen("a <b> c | d") == "a <b> c | d"
    assert as_seen("kubectl logs x --previous") == "kubectl logs x --previous"
