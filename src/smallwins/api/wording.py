"""Templates: the words of each kind of moment, in several variants, filled with numbers."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("smallwins.wording")


@dataclass(frozen=True, slots=True)
class Variant:
    title: str
    body: str


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


class Templates:
    """Variants per kind. Later registrations of a kind replace earlier ones, so config
    templates (registered last) win over plugins' and plugins' over the built-in ones."""

    def __init__(self) -> None:
        self._variants: dict[str, list[Variant]] = {}
        # What a kind had before it was replaced: used when none of the new variants can be
        # filled (a typo in a config template), so the moment is still told.
        self._earlier: dict[str, list[Variant]] = {}

    def register(self, kind: str, variants: Iterable[Mapping[str, str] | Sequence[str]]) -> None:
        parsed = []
        for item in variants:
            if isinstance(item, Mapping):
                parsed.append(Variant(str(item["title"]), str(item["body"])))
            else:
                title, body = item
                parsed.append(Variant(str(title), str(body)))
        if not parsed:
            raise ValueError(f"templates for {kind!r} need at least one variant")
        if kind in self._variants:
            self._earlier[kind] = self._variants[kind]
        self._variants[kind] = parsed

    def copy(self) -> Templates:
        other = Templates()
        other._variants = {kind: list(v) for kind, v in self._variants.items()}
        other._earlier = {kind: list(v) for kind, v in self._earlier.items()}
        return other

    def kinds(self) -> list[str]:
        return sorted(self._variants)

    def variants(self, kind: str) -> list[Variant]:
        return list(self._variants.get(kind, []))

    def render(
        self, kind: str, key: str, values: Mapping[str, Any], *, avoid: tuple[str, str] | None
    ) -> tuple[str, str] | None:
        """Fill a variant of ``kind``, never the one that reads exactly like ``avoid``.

        The variant is picked from the key, so a replay of the same history says the same
        thing. None when there is no template (or none can be filled).
        """
        for variants in (self._variants.get(kind), self._earlier.get(kind)):
            if variants:
                text = self._fill(kind, variants, key, values, avoid)
                if text is not None:
                    return text
        return None

    def _fill(
        self,
        kind: str,
        variants: list[Variant],
        key: str,
        values: Mapping[str, Any],
        avoid: tuple[str, str] | None,
    ) -> tuple[str, str] | None:
        start = zlib.crc32(key.encode()) % len(variants)
        fallback = None
        for offset in range(len(variants)):
            variant = variants[(start + offset) % len(variants)]
            try:
                text = (
                    variant.title.format_map(_Blank(values)),
                    variant.body.format_map(_Blank(values)),
                )
            except (KeyError, IndexError, ValueError, AttributeError) as exc:
                log.warning("template for %s cannot be filled (%r); trying another", kind, exc)
                continue
            if text != avoid:
                return text
            fallback = text
        return fallback
