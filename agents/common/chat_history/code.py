"""Code in a chat message (a pasted command, plan or diff between backticks) kept as written while the
rest loses its markup: Slack's `~strike~` and `:emoji:` rules would eat a plan's `~` lines and
`system:serviceaccount:media:...`, and these are the lines that say what a change set."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_CODE = re.compile(r"```(?:[a-z0-9_+\-]*\n)?(?P<block>.*?)```|`(?P<span>[^`\n]+)`", re.DOTALL)


def clean_outside_code(text: str, clean: Callable[[str], str]) -> str:
    """`text` with `clean` applied outside code blocks and spans; code keeps its characters (HTML
    entities decoded, fences dropped) on lines of its own for a block."""
    out: list[str] = []
    last = 0
    for m in _CODE.finditer(text):
        out.append(clean(text[last : m.start()]))
        if m.group("block") is not None:
            out.append("\n" + html.unescape(m.group("block")).strip("\n") + "\n")
        else:
            out.append(html.unescape(m.group("span")))
        last = m.end()
    out.append(clean(text[last:]))
    return "".join(out)
