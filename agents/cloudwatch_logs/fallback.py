"""The `filter_log_events` fallback's filter patterns, derived from the same regexes as the Logs
Insights filters and the signature file, so a line a signature explains is never left unread.

A filter pattern is an OR of quoted terms (`?"no space left on device" ?"x509"`), matched
case-sensitively and at most 1024 characters long. Each regex alternative gives its longest
literal run (small optional parts and alternations expanded: `timed? ?out` gives `timed out` and
`timeout`), in the spellings logs use (`_spelled`); a term that contains a shorter kept term adds
nothing and is dropped. The terms that do not fit one pattern go into the next, shortest (and most
general) terms first.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product
from typing import Any

from agents.cloudwatch_logs.queries import ERROR_RE, ERROR_WORDS, MARKER_WORDS
from agents.common.signatures import Signatures

try:  # Python 3.11+
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_PATTERN = 1024  # FilterLogEvents' filterPattern limit
_EXPANSIONS = 8  # at most this many spellings of one alternative
# Terms that would match most lines of a busy group (access logs, JSON with a status field):
# reading them would spend the event cap on healthy lines. The local regexes still apply.
# The last three open signature patterns whose lines also hold an error word (HikariPool logs
# every start and stat line; nginx and Kubernetes lines name upstreams and ConfigMaps all day).
_TOO_COMMON = {
    "http/", "status", "time", "limit", "code", "request", "response", "returned", "version",
    "ready", "is up", "hikaripool", "upstream", "configmap",
}  # fmt: skip
# A term this long is specific enough without its first letter (`lood stage disk watermark`).
_HEADLESS = 12
# ERROR_WORDS' `\s5\d\d\s` has no literal to spell; these are the 5xx codes services answer.
_SERVER_ERRORS = ("500", "502", "503", "504")
_LITERAL, _IN, _MAX_REPEAT, _MIN_REPEAT = (
    sre_constants.LITERAL,
    sre_constants.IN,
    sre_constants.MAX_REPEAT,
    sre_constants.MIN_REPEAT,
)
_SUBPATTERN, _BRANCH, _AT = sre_constants.SUBPATTERN, sre_constants.BRANCH, sre_constants.AT


def _spellings(item: tuple[Any, Any]) -> list[str] | None:
    """The literal strings one regex item can match, when few; None when it is open-ended."""
    op, av = item
    if op is _LITERAL:
        return [chr(av)]
    if op is _AT:
        return [""]
    if op is _IN and len(av) <= 4 and all(o is _LITERAL for o, _ in av):
        return [chr(v) for _, v in av]
    if op in (_MAX_REPEAT, _MIN_REPEAT) and av[0] == 0 and av[1] == 1:
        inner = _sequence_spellings(list(av[2]))
        return None if inner is None else ["", *inner]
    if op is _SUBPATTERN and not av[1] and not av[2]:  # a group without flag changes
        return _sequence_spellings(list(av[3]))
    if op is _BRANCH:
        options: list[str] = []
        for seq in av[1]:
            inner = _sequence_spellings(list(seq))
            if inner is None:
                return None
            options += inner
        return options if len(options) <= _EXPANSIONS else None
    return None


def _sequence_spellings(items: list[tuple[Any, Any]]) -> list[str] | None:
    words = [""]
    for item in items:
        options = _spellings(item)
        if options is None or len(words) * len(options) > _EXPANSIONS:
            return None
        words = [w + o for w, o in product(words, options)]
    return words


def _runs(items: list[tuple[Any, Any]]) -> list[str]:
    """The spellings of one alternative, or of its longest fixed run when it is open-ended."""
    spelled = _sequence_spellings(items)
    if spelled is not None:
        return spelled
    best: list[str] = [""]
    run: list[tuple[Any, Any]] = []
    for item in [*items, None]:
        if item is not None and _spellings(item) is not None:
            run.append(item)
            continue
        candidates = _sequence_spellings(run) or [""]
        if min(map(len, candidates)) > min(map(len, best)):
            best = candidates
        run = []
    return best


def literal_terms(pattern: str) -> list[str]:
    """Literal strings such that every match of `pattern` contains one of them."""
    return [t.replace('"', "").strip() for t in _alternatives(list(sre_parse.parse(pattern)))]


def _alternatives(items: list[tuple[Any, Any]]) -> list[str]:
    if len(items) == 1 and items[0][0] is _BRANCH:
        return [t for seq in items[0][1][1] for t in _alternatives(list(seq))]
    if len(items) == 1 and items[0][0] is _SUBPATTERN:
        return _alternatives(list(items[0][1][3]))
    return _runs(items)


def _spelled(term: str) -> set[str]:
    """The spellings logs use for a term: a status code after a space, `:` or `=` (not inside a
    longer number); plain words as written, lower case, capitalised and, when short, upper case
    (ERROR, FATAL); identifiers (`ErrImagePull`, `NXDOMAIN`) only as written. A long phrase
    without its first letter (`o healthy upstream`) holds both its lower-case and capitalised
    spellings in one term, half the room in the patterns' size limit."""
    if term.isdigit():
        return {f" {term}", f":{term}", f"={term}"}
    if len(term) >= _HEADLESS and term[0].isalpha() and term[1:] == term[1:].lower():
        return {term[1:]}
    spellings = {term}
    if term[1:] == term[1:].lower():
        spellings |= {term.lower(), term[:1].upper() + term[1:]}
        if " " not in term and len(term) <= 7:
            spellings.add(term.upper())
    return spellings


def filter_terms(signatures: Signatures) -> list[str]:
    """The OR terms, shortest first, none containing another."""
    candidates = {s for code in _SERVER_ERRORS for s in _spelled(code)}
    regexes = [ERROR_WORDS, MARKER_WORDS]
    regexes += [s.regex.pattern for s in signatures.signatures]
    regexes += [m.regex.pattern for m in signatures.markers]
    for regex in regexes:
        for term in literal_terms(regex):
            if len(term) >= 3 and term.lower() not in _TOO_COMMON:
                candidates |= _spelled(term)
    kept: list[str] = []
    for term in sorted(candidates, key=lambda t: (len(t), t)):
        if not any(shorter in term for shorter in kept):
            kept.append(term)
    return kept


@lru_cache(maxsize=8)  # per signature set: the same for every investigation of a scanner
def signature_terms(signatures: Signatures) -> tuple[str, ...]:
    """What the Insights error filter adds to ERROR_WORDS so that the signatures' lines are read:
    for each signature, literal strings one of which every line it matches holds (lower case, the
    query ignores case), less those ERROR_WORDS already selects and those too short or common to
    filter on (as for the patterns below); shortest first, none containing another."""
    candidates: set[str] = set()
    for signature in signatures.signatures:
        for term in _alternatives(list(sre_parse.parse(signature.regex.pattern))):
            term = term.strip().lower()
            if len(term) >= 3 and term not in _TOO_COMMON and not ERROR_RE.search(term):
                candidates.add(term)
    kept: list[str] = []
    for term in sorted(candidates, key=lambda t: (len(t), t)):
        if not any(shorter in term for shorter in kept):
            kept.append(term)
    return tuple(kept)


def filter_patterns(signatures: Signatures, max_length: int = MAX_PATTERN) -> list[str]:
    """`?"term" ?"term2" ...` patterns, each within `max_length`, that together hold every term."""
    patterns: list[str] = []
    current = ""
    for term in filter_terms(signatures):
        part = f'?"{term}"'
        if current and len(current) + 1 + len(part) > max_length:
            patterns.append(current)
            current = ""
        current = f"{current} {part}" if current else part
    if current:
        patterns.append(current)
    return patterns


def matches(pattern: str, message: str) -> bool:
    """Whether an OR-of-quoted-terms pattern selects `message`, as CloudWatch reads it."""
    return any(term in message for term in re.findall(r'\?"([^"]*)"', pattern))
