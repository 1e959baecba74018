"""Pictures computed at build time: the relationship map and contact-history strips, as static SVG.

No JavaScript and no request anywhere: each picture is an ``<svg>`` written
into a page's generated HTML (see :func:`~convo_notes.site.inert.html_block`),
its names escaped, its links the final URLs of the site's own pages.

- :class:`Graph` holds who is connected with whom in the public notes
  (people and orgs as nodes; edges for sharing a conversation, belonging to an
  org and recommending or being recommended), built once per site.
- :func:`graph_svg` draws a set of nodes clustered by org on a circle of
  clusters (the global map, bounded to :data:`GLOBAL_NODES` nodes, the most
  connected ones) and :func:`local_svg` one node's neighbourhood (at most
  :data:`LOCAL_NODES` neighbours).
- :func:`history_svg` draws conversations per month with the keep-in-touch
  window shaded.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

from markupsafe import Markup, escape

GLOBAL_NODES = 120  # the global map shows the most connected nodes, at most this many
LOCAL_NODES = 12  # a person's or org's neighbourhood, at most this many neighbours
MAX_GROUP = 8  # a conversation with more people adds no pairwise edges between them
HISTORY_MONTHS = 24  # the contact-history strip's span
EDGE_KINDS = ("talks", "member", "recommended", "introduced")


@dataclass
class Graph:
    """An undirected weighted graph of people and orgs (by slug), with the kinds of each edge."""

    kind: dict[str, str] = field(default_factory=dict)  # slug -> "person" | "org"
    name: dict[str, str] = field(default_factory=dict)
    cluster: dict[str, str] = field(default_factory=dict)  # slug -> org slug (or itself)
    weight: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    kinds: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    neighbours: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    hubs: set[str] = field(default_factory=set)  # the notebook's owner: in every neighbourhood, so shown in none

    def add_node(self, slug: str, kind: str, name: str, cluster: str | None = None) -> None:
        self.kind[slug] = kind
        self.name[slug] = name
        self.cluster[slug] = cluster or slug

    def connect(self, a: str | None, b: str | None, kind: str) -> None:
        """Add one to the edge between two known nodes (unknown or equal ones are ignored)."""
        if not a or not b or a == b or a not in self.kind or b not in self.kind:
            return
        key = (a, b) if a < b else (b, a)
        self.weight[key] += 1
        self.kinds[key].add(kind)
        self.neighbours[a][b] = self.weight[key]
        self.neighbours[b][a] = self.weight[key]

    def degree(self, slug: str) -> int:
        return sum(self.neighbours.get(slug, {}).values())

    def top(self, limit: int) -> list[str]:
        """The ``limit`` most connected nodes (ties by name)."""
        ranked = sorted((s for s in self.kind if s in self.neighbours),
                        key=lambda s: (-self.degree(s), self.name[s].casefold(), s))
        return ranked[:limit]

    def local(self, slug: str, limit: int = LOCAL_NODES) -> list[str]:
        """A node's strongest neighbours, at most ``limit``."""
        around = self.neighbours.get(slug, {})
        return sorted((s for s in around if s not in self.hubs),
                      key=lambda s: (-around[s], self.name[s].casefold(), s))[:limit]

    def touched_by(self, slugs: Iterable[str]) -> set[str]:
        """The nodes whose neighbourhood picture can change when edges at ``slugs`` change:
        the nodes themselves and their neighbours (a hub's neighbours are everyone: only the hub)."""
        out: set[str] = set()
        for slug in slugs:
            if slug not in self.kind:
                continue
            out.add(slug)
            if slug not in self.hubs:
                out.update(self.neighbours.get(slug, {}))
        return out

    def edges_among(self, nodes: Iterable[str]) -> list[tuple[str, str, int, set[str]]]:
        wanted = set(nodes)
        return [(a, b, w, self.kinds[(a, b)]) for (a, b), w in sorted(self.weight.items())
                if a in wanted and b in wanted]


Url = Callable[[str], str]


def _label(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _edge_class(kinds: set[str]) -> str:
    for kind in ("recommended", "introduced", "member", "talks"):
        if kind in kinds:
            return f"convo-edge convo-edge--{kind}"
    return "convo-edge"  # pragma: no cover - every edge has a kind


def _node(graph: Graph, slug: str, x: float, y: float, url: Url, r: float, center: bool = False) -> str:
    kind = graph.kind[slug]
    cls = f"convo-node convo-node--{kind}" + (" convo-node--center" if center else "")
    name = graph.name[slug]
    return (f'<a href="{escape(url(slug))}" class="{cls}" data-slug="{escape(slug)}">'
            f"<title>{escape(name)}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
            f'<text x="{x:.1f}" y="{y + r + 11:.1f}" text-anchor="middle">{escape(_label(name))}</text></a>')


def _svg(width: int, height: int, label: str, parts: list[str], cls: str) -> Markup:
    return Markup(f'<svg class="{cls}" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(label)}" '
                  f'xmlns="http://www.w3.org/2000/svg">' + "".join(parts) + "</svg>")


def _edges(graph: Graph, nodes: Iterable[str], spot: dict[str, tuple[float, float]]) -> list[str]:
    """A line for every edge among ``nodes``, placed at ``spot``, thicker the more it carries."""
    return [f'<line class="{_edge_class(kinds)}" x1="{spot[a][0]:.1f}" y1="{spot[a][1]:.1f}" '
            f'x2="{spot[b][0]:.1f}" y2="{spot[b][1]:.1f}" stroke-width="{min(6.0, 0.8 + math.log2(w + 1)):.1f}"/>'
            for a, b, w, kinds in graph.edges_among(nodes)]


def graph_svg(graph: Graph, nodes: list[str], url: Url, label: str) -> Markup:
    """The map of ``nodes``: one small circle of members per org cluster, clusters on a large circle."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for slug in nodes:
        clusters[graph.cluster[slug]].append(slug)
    order = sorted(clusters, key=lambda c: (-len(clusters[c]), (graph.name.get(c) or c).casefold(), c))
    size = 960
    mid = size / 2
    ring = 0.0 if len(order) == 1 else size * 0.36
    spot: dict[str, tuple[float, float]] = {}
    for i, key in enumerate(order):
        angle = 2 * math.pi * i / max(1, len(order)) - math.pi / 2
        cx, cy = mid + ring * math.cos(angle), mid + ring * math.sin(angle)
        members = sorted(clusters[key], key=lambda s: (graph.kind[s] != "org", graph.name[s].casefold(), s))
        radius = 0.0 if len(members) == 1 else min(size * 0.12, 14 + 9 * len(members))
        for j, slug in enumerate(members):
            a = 2 * math.pi * j / len(members) - math.pi / 2
            spot[slug] = (cx + radius * math.cos(a), cy + radius * math.sin(a))
    parts = _edges(graph, nodes, spot)
    for slug in nodes:
        x, y = spot[slug]
        parts.append(_node(graph, slug, x, y, url, 5 + min(9.0, math.sqrt(graph.degree(slug)))))
    return _svg(size, size, label, parts, "convo-graph")


def local_svg(graph: Graph, slug: str, url: Url, label: str) -> Markup:
    """A node and its strongest neighbours on a circle around it, with the edges between them."""
    around = graph.local(slug)
    if not around:
        return Markup("")
    size = 360
    mid = size / 2
    spot = {slug: (mid, mid)}
    for i, other in enumerate(around):
        angle = 2 * math.pi * i / len(around) - math.pi / 2
        spot[other] = (mid + 130 * math.cos(angle), mid + 130 * math.sin(angle))
    parts = _edges(graph, spot, spot)
    for other in around:
        parts.append(_node(graph, other, *spot[other], url, 7))
    parts.append(_node(graph, slug, mid, mid, url, 11, center=True))
    return _svg(size, size, label, parts, "convo-graph convo-graph--local")


def _month(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def history_svg(dates: list[dt.date], today: dt.date, window: tuple[dt.date, dt.date] | None,
                label: str) -> Markup:
    """Conversations per month over the last :data:`HISTORY_MONTHS` months; ``window`` (last contact,
    next contact due) is shaded, red when the due date has passed."""
    last = _month(today)
    first = last - HISTORY_MONTHS + 1
    counts: dict[int, int] = defaultdict(int)
    for d in dates:
        m = _month(d)
        if first <= m <= last:
            counts[m] += 1
    top = max(counts.values(), default=0) or 1
    bar, gap, height = 14, 3, 48
    width = HISTORY_MONTHS * (bar + gap)
    parts = []
    if window is not None:
        start, due = window
        x1 = max(0, _month(start) - first) * (bar + gap)
        x2 = (min(last, max(first, _month(due))) - first + 1) * (bar + gap)
        late = due < today
        cls = "convo-window convo-window--late" if late else "convo-window"
        what = f"keep in touch: next contact due {due.isoformat()}" + (" (overdue)" if late else "")
        parts.append(f'<rect class="{cls}" x="{x1}" y="0" width="{max(0, x2 - x1)}" height="{height}">'
                     f"<title>{escape(what)}</title></rect>")
    for m in range(first, last + 1):
        n = counts.get(m, 0)
        x = (m - first) * (bar + gap)
        month = f"{m // 12:04d}-{m % 12 + 1:02d}"
        h = 2 if n == 0 else max(4, round((height - 4) * n / top))
        cls = "convo-bar" if n else "convo-bar convo-bar--none"
        parts.append(f'<rect class="{cls}" x="{x}" y="{height - h}" width="{bar}" height="{h}">'
                     f"<title>{month}: {n} conversation{'s' if n != 1 else ''}</title></rect>")
    return Markup(f'<svg class="convo-history" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
                  f'xmlns="http://www.w3.org/2000/svg">' + "".join(parts) + "</svg>")
