"""A fast log template miner: mask the variable parts of each message, then merge look-alikes.

Two stages, both cheap:

1. One regex pass replaces every token that holds a digit (numbers, durations, IPs, ports, UUIDs,
   hashes, pod-name suffixes, versions, timestamps) and every UUID / long hex id by `<*>`. Most
   repeated messages become byte-identical here, and a dict lookup maps them to their cluster.
2. Only a masked form never seen before goes through a Drain-like merge: among the clusters with
   the same token count and the same first literal token, the most similar one (share of equal
   positions >= `similarity`) absorbs it, with the differing positions widened to `<*>`. This
   catches variables without digits (user names, table names, quoted object names).

The miner keeps per cluster a count, first/last time and one exemplar, nothing per line, so
memory stays bounded by the number of distinct masked forms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice

WILDCARD = "<*>"

# A token is a run of [\w.:-] holding a digit, masked whole: `10.0.3.17:5432`, `30012ms`, `v2.3.0`,
# `checkout-7d9f8c6b5-x2k4p`, a UUID, a sha. The lookbehind starts matches only at a token's first
# character and the possessive, digit-free prefix cannot backtrack, so the scan stays linear even
# on long words without digits. Punctuation such as `=`, `(`, `/` ends a token: `total=8` keeps
# its key (`total=<*>`).
_MASK = re.compile(r"(?<![\w.:\-])[A-Za-z_.:\-]*+\d[\w.:\-]*+")
_SPACES = re.compile(r"\s+")
_MAX_MESSAGE = 2_000  # longer messages are clipped before mining: the head carries the template


def mask(message: str) -> str:
    """The masked form of one message (whitespace collapsed, variable tokens as `<*>`)."""
    return _SPACES.sub(" ", _MASK.sub(WILDCARD, message[:_MAX_MESSAGE])).strip()


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
_MAX_CACHED_FORMS = 100_000  # bounds the memo of masked forms when every line is unique


class TemplateMiner:
    """Clusters messages into templates. Feed with `observe` / `assign`, read with `clusters()`."""

    def __init__(self, similarity: float = 0.6, max_clusters: int = 5_000) -> None:
        self.similarity = similarity
        self.max_clusters = max_clusters
        self._by_masked: dict[str, int] = {}
        self._buckets: dict[tuple[int, str], list[Cluster]] = {}
        self._clusters: list[Cluster] = []
        self.overflow = 0  # messages not clustered because max_clusters was reached

    def assign(self, messages: Iterable[str]) -> list[int]:
        """Cluster `messages`; returns each one's cluster id (-1 when dropped). Counts and the
        first exemplar are kept; times and sources are not (see `observe`).

        The per-line work is C-level (regex sub, dict lookups, counting over a chunk): Python code
        runs only for a masked form not seen before."""
        ids: list[int] = []
        cache = self._by_masked
        masker = partial(_MASK.sub, WILDCARD)
        iterator = iter(messages)
        while chunk := list(islice(iterator, _CHUNK)):
            masked = list(map(masker, map(_clip, chunk)))
            if len(cache) + len(chunk) > _MAX_CACHED_FORMS:
                cache.clear()  # a memo only: the clusters stay, a form seen again is re-placed
            for form in dict.fromkeys(masked):
                if form not in cache:
                    cluster = self._place(form, chunk[masked.index(form)])
                    cache[form] = -1 if cluster is None else cluster.id
            chunk_ids = list(map(cache.__getitem__, masked))
            for cid, n in Counter(chunk_ids).items():
                if cid == -1:
                    self.overflow += n
                else:
                    self._clusters[cid].count += n
            ids.extend(chunk_ids)
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
        cid = self._by_masked.get(_MASK.sub(WILDCARD, _clip(message)), -1)
        return self._clusters[cid] if cid >= 0 else None

    def clusters(self) -> list[Cluster]:
        """Every cluster, the largest first (ties by first appearance)."""
        return sorted(self._clusters, key=lambda c: (-c.count, c.id))

    def _place(self, masked: str, message: str) -> Cluster | None:
        # Whitespace is normalised only here, for a form not seen before: the hot path keys the
        # cache on the raw masked text, and a spacing variant simply lands on the same cluster.
        tokens = masked.split() or [""]
        key = (len(tokens), next((t for t in tokens if t != WILDCARD), ""))
        bucket = self._buckets.setdefault(key, [])
        best: Cluster | None = None
        best_score = self.similarity
        for candidate in bucket:
            score = _similarity(candidate.tokens, tokens)
            if score >= best_score:
                best, best_score = candidate, score
        if best is not None:
            best.tokens = [a if a == b else WILDCARD for a, b in zip(best.tokens, tokens, strict=True)]
            return best
        if len(self._clusters) >= self.max_clusters:
            return None
        cluster = Cluster(id=len(self._clusters), tokens=tokens, exemplar=message, last_exemplar=message)
        self._clusters.append(cluster)
        bucket.append(cluster)
        return cluster


def _clip(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[:_MAX_MESSAGE]


def _similarity(template: list[str], tokens: list[str]) -> float:
    """Share of the new message's literal tokens that the template holds at the same position.

    Wildcards on either side count for nothing: masked positions say nothing about whether two
    messages share a template, and counting them lets short messages with few literals merge."""
    literals = same = 0
    for a, b in zip(template, tokens, strict=True):
        if b != WILDCARD:
            literals += 1
            if a == b:
                same += 1
    return same / literals if literals else 1.0
