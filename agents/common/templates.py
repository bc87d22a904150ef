"""A fast log template miner: mask the variable parts of each message, then group the masked forms.

Three stages:

1. A memo keyed by the message with every ASCII digit turned into `0` (one C-level `translate`):
   messages that differ only in their digits mask to the same form, so most lines cost a
   translate and a dict lookup and never reach the regex. (A message keeping a digit in a
   constant, `SOCKS5`, shares its key with `SOCKS4`: for those, the key leads to the names.)
2. Masking, one regex pass in C: dates spelled with month or day names, numbers with their unit
   (`30 ms`, `1.2 KB`, `<1 sec`), and every token holding a digit (numbers, IPs, ports, UUIDs,
   hashes, pod-name suffixes, timestamps) become `<*>`. A word whose digits are a short suffix of
   a name (`SOCKS5`, `IPv6`, `eth0`, `log4j`) is a constant and stays. Then a list of variables
   joined by commas (`10.0.0.1,10.0.0.2`) is one variable, and a lone variable in parentheses
   right after a value (`1190 bytes (1.16 KB) sent`) is a restatement of it and dropped.
3. Grouping of the masked forms. A form joins a template that already covers it (`<*>` where they
   differ); otherwise it starts its own. Templates that differ in one position only are siblings;
   they merge into one template with `<*>` there only when that position looks variable: one of
   them already has a variable there, or it holds many distinct words, or mostly words seen once,
   or a naming noun precedes it (`user root`), or its values read as names rather than words
   (dotted, paths, PascalCase). A handful of words each seen many times (`Resumed` / `Paused` /
   `Stopped`, `HTTPS` / `SOCKS5`) is an enumeration of constants: those stay separate templates.
   Two positions holding names that vary together (`tag=` and `name=`) merge as a pair. Merges are
   decided at the end of each `assign` call, with the counts of the whole batch, and the ids it
   returns already follow them.

Memory is bounded by the number of templates: per template a count, first/last time, exemplars and
a few index entries; the memos are capped and cleared when full; nothing per line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice, repeat
from operator import itemgetter, methodcaller
from typing import Any

WILDCARD = "<*>"

_MAX_MESSAGE = 2_000  # longer messages are clipped before mining: the head carries the template
# A template line is capped at this many characters: the tokens past it are left out (the rest of
# the message no longer tells templates apart) and the template ends with `…`.
_MAX_TEMPLATE = 500
_CUT = "…"

_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)"
)
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|MON|TUE|WED|THU|FRI|SAT|SUN)"
_CLOCK = r"\d{1,2}:\d\d(?::\d\d)?(?:[.,]\d+)?"
# Dates with a month or day name, as a whole (`Sun Jul 17 15:09:52 2005`, `Jul 17, 2005`,
# `17/Jul/2005:15:09:52 +0000`, `Mon, 17 Jul 2005`): a name next to digits is part of the date.
_DATE = (
    rf"(?:{_DAY}[a-z]*,?\s+)?(?:"
    rf"{_MONTH}[a-z]*\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?(?:\s+{_CLOCK})?"
    rf"(?:\s+[A-Z]{{2,5}}(?=\s+\d{{4}}))?(?:\s+\d{{4}}(?![\d:]))?"
    rf"|\d{{1,2}}[ /-]{_MONTH}[a-z]*[ /-]\d{{2,4}}(?:[ :T]{_CLOCK})?(?:\s+[+-]\d{{4}})?"
    rf"|{_DAY}[a-z]*,?(?=\s+\d{{1,2}}[ /-]?(?:{_MONTH}|:))"
    rf")(?![\w])"
)
_UNIT = (
    r"(?:[KMGTP]i?B|B|[mµun]s|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?)"
    r"(?![\w.:\-])"
)
# A name whose digits are a short suffix (`SOCKS5`, `IPv6`, `eth0`, `log4j`), standing alone as a
# word (not inside a path or a compound: `/rand6/`, `~amd64~`): a constant, kept.
_NAME = r"(?<![^\s\"'(\[{])[A-Za-z]{2,}+[0-9]{1,2}+[A-Za-z]{0,3}+(?=[.,:;]?(?:[\s\"')\]}]|$))"
_KEPT = re.compile(_NAME)
# A variable: a date as above, a number with its unit (`30 ms`, `1.2 KB`, `<1 sec`), or a run of
# [\w.:-] holding a digit, masked whole: `10.0.3.17:5432`, `30012ms`, `checkout-7d9f8c6b5-x2k4p`,
# a UUID, a sha; every such run but a kept name. The lookbehind starts matches only at a token's
# first character and the possessive, digit-free prefix cannot backtrack, so the scan stays
# linear even on long words without digits. Punctuation such as `=`, `(`, `/` ends a token:
# `total=8` keeps its key (`total=<*>`). A word of eight hex letters or more (`ffffffff`,
# `deadbeef`) is a value too. One pass of one regex: it runs in C, once per message whose memo
# key is new.
_VARIABLES = re.compile(
    r"(?<![\w.:\-])(?:"  # at the start of a token only; each branch guarded by its first character
    rf"(?=[JFMASONDTW\d])(?<!/){_DATE}"
    rf"|(?=[<>~=\d])(?<![<>])[<>~]?=?\d+(?:[.,]\d+)?\s?{_UNIT}"
    rf"|(?!{_NAME})[^\W\d]*+(?:[.:\-][^\W\d]*+)*+\d[\w.:\-]*+"
    r"|(?=[a-fA-F])(?:[a-f]{8,}|[A-F]{8,})(?![\w.:\-])"
    r")"
)
# Variables joined by commas (or `;`, `|`, `/`) are one variable; a variable in parentheses
# right after another, or after it and its unit (`1190 bytes (1.16 KB)`), only restates it.
_LIST = re.compile(r"<\*>(?:[,;|/] ?<\*>)+")
_EMPTY = re.compile(r"(?<=\s)\(\)(?=\s|$)")  # `from 10.0.0.1 () at`: an empty value
_ANNOTATION = re.compile(r"(<\*>\S{0,16}(?: [^\W\d]{1,16})? )\(<\*>\)(?=[\s,.;:]|$)")  # bounded: linear
_DIGIT = re.compile(r"\d")

# The memo key: the message with every ASCII digit as `0` (a C-level pass, no regex).
_TO_BYTES = methodcaller("encode", "utf-8", "surrogatepass")
_ZERO_DIGITS = methodcaller("translate", bytes.maketrans(b"123456789", b"000000000"))
_CLIP = itemgetter(slice(0, _MAX_MESSAGE))

# Sibling templates (equal but for one position) merge when that position holds at least
# `_MANY_VALUES` distinct words, or at least `_FEW_VALUES` of which half or more were seen once.
_MANY_VALUES = 6
_FEW_VALUES = 3


def mask(message: str) -> str:
    """The masked form of one message (whitespace collapsed, variables as `<*>`)."""
    return _finish(_VARIABLES.sub(WILDCARD, message[:_MAX_MESSAGE]))


_MASK_VARIABLES = partial(_VARIABLES.sub, WILDCARD)


def _finish(text: str) -> str:
    """The masked form from the message with its variables replaced: lists and restatements of
    variables folded, whitespace collapsed."""
    text = _LIST.sub(WILDCARD, text)
    text = _EMPTY.sub("(<*>)", text)
    text = _ANNOTATION.sub(r"\1", text)
    return " ".join(text.split())


@dataclass(slots=True)
class Cluster:
    """One template: what varies is `<*>`; counts and times cover every message it absorbed."""

    id: int
    tokens: list[str]
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    exemplar: str = ""  # the earliest message seen (by time when times are given)
    last_exemplar: str = ""
    sources: dict[str, int] = field(default_factory=dict)  # e.g. log stream -> count (bounded)

    @property
    def template(self) -> str:
        return " ".join(self.tokens)


_MAX_SOURCES = 20
_CHUNK = 1024
_MAX_CACHED_FORMS = 100_000  # bounds the memos of masked forms when every line is unique
_MAX_CACHED_KEYS = 20_000  # and the memo of keys (one per line when lines carry UUIDs)
_BY_NAMES = -2  # memo value: look the key's names with digits up in `_named`
_NEW = -3  # not in the memo
_MAX_NAMES = 1_000  # names per such key
_EARLY_MERGE = 256  # new templates in a batch before an early merge pass (see `_merge_siblings`)


class TemplateMiner:
    """Clusters messages into templates. Feed with `observe` / `assign`, read with `clusters()`.

    Ids stay valid across calls; when a later call merges a template into another, `clusters()`
    lists only the merged one (its id is the oldest of them) and later calls return that id."""

    def __init__(self, max_clusters: int = 5_000) -> None:
        self.max_clusters = max_clusters
        self._by_key: dict[bytes, int] = {}  # memo: digit-blind message -> cluster id
        # memo: message with its variables replaced -> (cluster id, whether it holds no digit)
        self._by_masked: dict[str, tuple[int, bool]] = {}
        self._by_form: dict[str, int] = {}  # masked form -> cluster id
        # key memoized as _BY_NAMES -> (the slices of its names with digits, names -> cluster id)
        self._named: dict[bytes, tuple[Callable[[str], object], dict[object, int]]] = {}
        self._clusters: dict[int, Cluster] = {}  # the live templates (not merged into another)
        self._parent: list[int] = []  # union-find over every id given out: merged -> kept
        # (token count, first token or <*>) -> ids of the templates starting with it
        self._by_start: dict[tuple[int, str], list[int]] = {}
        self._siblings: dict[int, list[int]] = {}  # hash of a template with holes -> ids
        self._holes: dict[int, list[tuple[tuple[int, ...], int]]] = {}  # id -> its holes' hashes
        self._covering: dict[int, bool] = {}  # id -> whether its template may cover other forms
        self._dirty: list[int] = []  # templates new or changed since the last final merge pass
        self._early_at = _EARLY_MERGE  # an early merge pass runs when this many are dirty
        self._merges = 0  # merges since the memos were last brought up to date
        self.overflow = 0  # messages not clustered because max_clusters was reached

    # ------------------------------------------------------------------ feeding

    def assign(self, messages: Iterable[str]) -> list[int]:
        """Cluster `messages`; returns each one's cluster id (-1 when dropped). Counts and the
        first exemplar are kept; times and sources are not (see `observe`).

        The per-line work is C-level (encode, translate, dict lookups, counting over a chunk);
        a message whose memo key is new costs one regex pass (in C) and a dict lookup more, and
        Python code runs only for a masked form not seen before."""
        ids: list[int] = []
        counts: Counter[int] = Counter()  # per id, added to the templates once the batch is read
        memo = self._by_key
        iterator = iter(messages)
        while chunk := list(islice(iterator, _CHUNK)):
            clipped = list(map(_CLIP, chunk)) if max(map(len, chunk)) > _MAX_MESSAGE else chunk
            keys = list(map(_ZERO_DIGITS, map(_TO_BYTES, clipped)))
            if len(memo) + len(chunk) > _MAX_CACHED_KEYS:
                memo.clear()  # a memo only: the clusters stay, a key seen again is re-placed
                self._named.clear()
            found = list(map(memo.get, keys, repeat(_NEW)))
            if _NEW in found:
                missed = [i for i, cid in enumerate(found) if cid == _NEW]
                texts = map(_MASK_VARIABLES, [clipped[i] for i in missed])  # the one regex, in C
                by_masked = self._by_masked
                for i, text in zip(missed, texts, strict=True):
                    placed, digit_blind = by_masked.get(text) or self._place(text, chunk[i])
                    found[i] = placed
                    if digit_blind:  # every digit was in a variable: the key stands for the form
                        memo[keys[i]] = placed
                    elif keys[i] not in self._named:
                        self._name(keys[i], clipped[i], placed)
            if _BY_NAMES in found:
                for i in [i for i, cid in enumerate(found) if cid == _BY_NAMES]:
                    found[i] = self._place_named(keys[i], clipped[i], chunk[i])
            counts.update(found)
            ids.extend(found)
            if len(self._dirty) >= self._early_at:
                self._merge_siblings(final=False)
        for cid, n in counts.items():
            if cid == -1:
                self.overflow += n
            else:
                self._clusters[self._find(cid)].count += n
        if self._dirty:
            self._merge_siblings(final=True)
        if self._merges:
            # Ids handed out before a merge (in this batch, or in the memos) now name the kept one.
            roots = [self._find(cid) for cid in range(len(self._parent))]
            roots.append(-1)  # roots[-1]: a dropped message stays dropped
            ids = list(map(roots.__getitem__, ids))
            _follow(self._by_key, roots)
            _follow(self._by_form, roots)
            for text, (cid, digit_blind) in self._by_masked.items():
                self._by_masked[text] = (roots[cid], digit_blind)
            for _, by_names in self._named.values():
                _follow(by_names, roots)
            self._merges = 0
        return ids

    def observe(self, events: Iterable[tuple[str, datetime | None, str | None]]) -> None:
        """Cluster `(message, time, source)` triples, keeping first/last time, the exemplar at each
        end and the count per source (e.g. per log stream)."""
        batch = list(events)
        ids = self.assign(message for message, _, _ in batch)
        clusters = self._clusters
        for cid, (message, at, source) in zip(ids, batch, strict=True):
            if cid < 0:
                continue
            cluster = clusters[cid]
            if at is not None:
                if cluster.first_seen is None or at < cluster.first_seen:
                    cluster.first_seen = at
                    cluster.exemplar = message
                if cluster.last_seen is None or at >= cluster.last_seen:
                    cluster.last_seen = at
                    cluster.last_exemplar = message
            if source is not None and (source in cluster.sources or len(cluster.sources) < _MAX_SOURCES):
                cluster.sources[source] = cluster.sources.get(source, 0) + 1

    def add(self, message: str, at: datetime | None = None, source: str | None = None) -> Cluster | None:
        """Cluster one message (see `observe`); returns its cluster, or None once full."""
        self.observe([(message, at, source)])
        cid = self._by_form.get(mask(message), -1)
        return self._clusters[self._find(cid)] if cid >= 0 else None

    def clusters(self) -> list[Cluster]:
        """Every cluster, the largest first (ties by first appearance)."""
        return sorted(self._clusters.values(), key=lambda c: (-c.count, c.id))

    # ------------------------------------------------------------------ placing a new form

    def _place(self, text: str, message: str) -> tuple[int, bool]:
        """The cluster of a message whose variables, replaced, give `text`, not seen before."""
        placed = self._cluster_of(_finish(text), message), not _DIGIT.search(text)
        if len(self._by_masked) >= _MAX_CACHED_FORMS:
            self._by_masked.clear()
        self._by_masked[text] = placed
        return placed

    def _name(self, key: bytes, clipped: str, cid: int) -> None:
        """Memoize a key whose form keeps names with digits (`SOCKS5`) by those names: masking
        does not depend on the value of a digit, so they sit at the same offsets in every message
        with this key, and messages with the same names there share the form."""
        spans = [slice(*m.span()) for m in _KEPT.finditer(clipped)]
        if spans:
            names: Callable[[str], object] = itemgetter(*spans)
            self._named[key] = (names, {names(clipped): cid})
            self._by_key[key] = _BY_NAMES

    def _place_named(self, key: bytes, clipped: str, message: str) -> int:
        names, by_names = self._named[key]
        found = names(clipped)
        cid = by_names.get(found)
        if cid is None:
            text = _MASK_VARIABLES(clipped)
            cid, _ = self._by_masked.get(text) or self._place(text, message)
            if len(by_names) < _MAX_NAMES:
                by_names[found] = cid
        return cid

    def _cluster_of(self, form: str, message: str) -> int:
        cid = self._by_form.get(form)
        if cid is None:
            cid = self._match_or_new(_capped(form), message)
            if len(self._by_form) >= _MAX_CACHED_FORMS:
                self._by_form.clear()
            self._by_form[form] = cid
        return cid

    def _match_or_new(self, tokens: list[str], message: str) -> int:
        """The most specific template covering `tokens`, else a new one (-1 once full)."""
        n = len(tokens)
        best: Cluster | None = None
        best_literals = -1
        for start in (tokens[0], WILDCARD) if tokens[0] != WILDCARD else (WILDCARD,):
            for cid in self._by_start.get((n, start), ()):
                cluster = self._clusters[cid]
                if cluster.tokens == tokens or (self._covering[cid] and _covers(cluster.tokens, tokens)):
                    literals = n - cluster.tokens.count(WILDCARD)
                    if literals > best_literals:
                        best, best_literals = cluster, literals
        if best is not None:
            return best.id
        if len(self._clusters) >= self.max_clusters:
            return -1
        cluster = Cluster(id=len(self._parent), tokens=tokens, exemplar=message, last_exemplar=message)
        self._clusters[cluster.id] = cluster
        self._parent.append(cluster.id)
        self._index(cluster)
        self._dirty.append(cluster.id)
        return cluster.id

    def _index(self, cluster: Cluster) -> None:
        tokens = cluster.tokens
        self._by_start.setdefault((len(tokens), tokens[0]), []).append(cluster.id)
        holes = self._holes[cluster.id] = _holes(tokens)
        for _, hole in holes:
            self._siblings.setdefault(hole, []).append(cluster.id)
        self._covering[cluster.id] = _enough_context(tokens)

    def _unindex(self, cluster: Cluster) -> None:
        tokens = cluster.tokens
        self._by_start[(len(tokens), tokens[0])].remove(cluster.id)
        del self._covering[cluster.id]
        for _, hole in self._holes.pop(cluster.id):
            ids = self._siblings.get(hole)
            if ids is not None and cluster.id in ids:
                ids.remove(cluster.id)
                if not ids:
                    del self._siblings[hole]

    # ------------------------------------------------------------------ merging siblings

    def _merge_siblings(self, final: bool) -> None:
        """Merge the templates that differ in one position only (or two, both holding names),
        where those positions are variable.

        The final pass, at the end of a batch, applies every rule. An early pass, when a batch
        brings many new templates (a thousand user names), applies those that do not depend on
        counts: early in a batch, an enumeration can look like words seen once."""
        clusters = self._clusters
        if final:
            work, self._dirty = self._dirty, []
            self._early_at = _EARLY_MERGE
        else:
            work = list(self._dirty)
        while work:
            cid = work.pop()
            if cid not in clusters:
                continue
            tokens = clusters[cid].tokens
            siblings = self._siblings
            for positions, hole in self._holes[cid]:
                ids = siblings[hole]
                if len(ids) < 2:
                    continue  # only this template has that shape
                group = [clusters[i] for i in ids if _same_but(clusters[i].tokens, tokens, positions)]
                if len(group) > 1 and _variable(group, positions, final):
                    kept = self._merge(group, positions)
                    work.append(kept)
                    if not final:
                        self._dirty.append(kept)
                    break
        if not final:
            self._dirty = [cid for cid in dict.fromkeys(self._dirty) if cid in clusters]
            self._early_at = max(_EARLY_MERGE, 2 * len(self._dirty))

    def _merge(self, group: list[Cluster], positions: tuple[int, ...]) -> int:
        self._merges += 1
        members = sorted(group, key=lambda c: c.id)
        kept = members[0]
        for cluster in members:
            self._unindex(cluster)
        tokens = list(kept.tokens)
        for position in positions:
            tokens[position] = _generalize([c.tokens[position] for c in members])
        kept.tokens = tokens
        for other in members[1:]:
            self._parent[other.id] = kept.id
            del self._clusters[other.id]
            kept.count += other.count
            first, last = other.first_seen, other.last_seen
            if first is not None and (kept.first_seen is None or first < kept.first_seen):
                kept.first_seen, kept.exemplar = first, other.exemplar
            if last is not None and (kept.last_seen is None or last >= kept.last_seen):
                kept.last_seen, kept.last_exemplar = last, other.last_exemplar
            for source, n in other.sources.items():
                if source in kept.sources or len(kept.sources) < _MAX_SOURCES:
                    kept.sources[source] = kept.sources.get(source, 0) + n
        self._index(kept)
        return kept.id

    def _find(self, cid: int) -> int:
        parent = self._parent
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid


def _follow(memo: dict[Any, int], roots: list[int]) -> None:
    """Point the memo's ids at the templates they were merged into (`roots[-1]` is -1)."""
    for key, cid in memo.items():
        if cid >= 0:
            memo[key] = roots[cid]


def _capped(form: str) -> list[str]:
    """The tokens of a masked form, cut after `_MAX_TEMPLATE` characters."""
    if len(form) <= _MAX_TEMPLATE:
        return form.split() or [""]
    cut = form.rfind(" ", 0, _MAX_TEMPLATE)
    return [*form[: cut if cut > 0 else _MAX_TEMPLATE].split(), _CUT]


def _enough_context(template: list[str]) -> bool:
    """Whether a template keeps enough of its own to stand for other forms than its own: two
    tokens with a letter (`(command`, `mask=<*>`; not `<*>)`) and a third of its tokens other than
    `<*>` (`<*>` alone would swallow every one-word message, `<*> (command <*>)` every command)."""
    worded = len(template) - list(map(_LETTER.search, template)).count(None)  # `<*>` has none
    return worded >= 2 and 3 * (len(template) - template.count(WILDCARD)) >= len(template)


_LETTER = re.compile(r"[^\W\d_]")


def _covers(template: list[str], tokens: list[str]) -> bool:
    for a, b in zip(template, tokens, strict=True):
        if a != b and a != WILDCARD and not (_keyed(a) and b.startswith(a[:-3])):
            return False
    return True


def _keyed(token: str) -> bool:
    """`key=<*>` / `key:<*>`: a key whose value varies."""
    return token.endswith(WILDCARD) and token[-4:-3] in ("=", ":")


_KEY = re.compile(r"[^=:]+[=:]")


def _generalize(values: list[str]) -> str:
    """The token standing for `values` at a merged position: `key=<*>` when they all share that
    key (`rhost=` in `rhost=10.0.0.1` and `rhost=db.example.org`), else `<*>`."""
    key = _KEY.match(values[0])
    if key and all(v.startswith(key.group()) for v in values):
        return key.group() + WILDCARD
    return WILDCARD


def _holes(tokens: list[str]) -> list[tuple[tuple[int, ...], int]]:
    """Per position, the hash of the template with that position left out; and per pair of
    positions holding names (`tag="AudioMix",` `name=audioserver`), with both left out."""
    t = tuple(tokens)
    holes: list[tuple[tuple[int, ...], int]] = [((i,), hash((i, t[:i], t[i + 1 :]))) for i in range(len(t))]
    names = _names(t)[:_MAX_NAMED_POSITIONS]
    for a, i in enumerate(names):
        for j in names[a + 1 :]:
            holes.append(((i, j), hash((i, j, t[:i], t[i + 1 : j], t[j + 1 :]))))
    return holes


_MAX_NAMED_POSITIONS = 8


def _names(tokens: tuple[str, ...]) -> list[int]:
    """The positions holding a name rather than a word (`db.internal`, `tag="AudioMix",`), or a
    word after a naming noun (`user root`)."""
    identifiers = {
        i
        for i, maybe in enumerate(map(_MAYBE_IDENTIFIER.search, tokens))
        if maybe and WILDCARD not in tokens[i] and _IDENTIFIER.search(_value(tokens[i]))
    }
    named = {i + 1 for i, naming in enumerate(map(_NAMING_FORMS.__contains__, tokens[:-1])) if naming}
    return sorted(identifiers | {i for i in named if WILDCARD not in tokens[i]})


def _value(token: str) -> str:
    """The value of a `key=value` token, without the quotes and brackets around it."""
    key = _KEY.match(token)
    return (token[key.end() :] if key else token).strip(_EDGES)


def _same_but(a: list[str], b: list[str], positions: tuple[int, ...]) -> bool:
    if len(a) != len(b):
        return False
    start = 0
    for position in positions:
        if a[start:position] != b[start:position]:
            return False
        start = position + 1
    return a[start:] == b[start:]


def _variable(group: list[Cluster], positions: tuple[int, ...], final: bool = True) -> bool:
    """Whether the words the sibling templates hold at `positions` look like values of variables.

    Only when enough of the template stays (see `_enough_context`: a one- or two-word message is
    all constant, `normal` / `warning` / `running`)."""
    tokens = list(group[0].tokens)
    for position in positions:
        tokens[position] = WILDCARD
    if not _enough_context(tokens):
        return False
    return all(_variable_at(group, tokens, position, final) for position in positions)


def _variable_at(group: list[Cluster], tokens: list[str], position: int, final: bool) -> bool:
    counts = Counter[str]()
    for cluster in group:
        counts[cluster.tokens[position]] += cluster.count
    if any(WILDCARD in value for value in counts):
        return True  # one of them is a number, an id...: the others are values too
    if len(counts) >= _MANY_VALUES:
        return True
    if position > 0 and tokens[position - 1] in _NAMING_FORMS:
        return True  # `user alice`, `for host db`: a word named by the one before it
    if all(_IDENTIFIER.search(_value(value)) for value in counts):
        return True  # `db.internal`, `/api/cart`, `PaymentGateway`: names, not words
    if not final:
        return False
    once = sum(1 for n in counts.values() if n <= 1)
    return len(counts) >= _FEW_VALUES and 2 * once >= len(counts)


# Nouns that name what the next word is (`user root`, `table orders`): that word is a value.
_NAMING = frozenset(
    {
        *("user", "username", "login", "account", "group", "role", "host", "hostname", "node"),
        *("server", "instance", "table", "database", "db", "bucket", "queue", "topic", "file"),
        *("filename", "path", "dir", "directory", "device", "interface", "service", "pod"),
        *("container", "namespace", "cluster", "domain", "key", "cache", "job", "worker", "task"),
        *("thread", "class", "method", "module", "handler", "region", "zone", "index", "stream"),
        *("partition", "endpoint", "channel"),
    }
)
_NAMING_FORMS = frozenset(
    form
    for noun in _NAMING
    for word in (noun, noun.capitalize(), noun.upper())
    for form in (word, f"{word}:", f"{word}=")
)
# A name rather than a word: dotted, a path (`/healthz`), joined with `_` / `-`, or PascalCase.
_IDENTIFIER = re.compile(r"\w[./_\-@\\]\w|^[/\\~]\w|^[A-Z][a-z]+[A-Z]")
_MAYBE_IDENTIFIER = re.compile(r"\w[./_\-@\\]\w|[/\\~]\w|[A-Z][a-z]+[A-Z]")  # anywhere in `key=value`
_EDGES = "\"'()[]{}<>,;.:!?"
