"""The Markdown table every benchmark prints (and docs/performance.md records)."""

from __future__ import annotations

from collections.abc import Sequence


def markdown_table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    """A table with columns padded to their widest cell."""
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([row(header), rule, *(row(line) for line in lines)])
