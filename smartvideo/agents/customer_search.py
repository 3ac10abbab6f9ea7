"""Find a customer for the agent page: by id, or by a part of the name.

Searches the data files the stories name (the records the renders use). A hit carries only what
an agent needs to pick the right person: id, name and whether an email or phone is on file,
never bill data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartvideo.data_sources import FileCustomerSource
from smartvideo.errors import DataSourceError
from smartvideo.invitations.errors import MissingContact
from smartvideo.invitations.messages import contact_for
from smartvideo.render.scene_loader import Library


@dataclass(frozen=True, slots=True)
class CustomerHit:
    id: str
    name: str
    has_email: bool
    has_phone: bool
    stories: tuple[str, ...]  # the stories whose data file holds this customer


def _fold(text: str) -> str:
    """Case- and accent-blind: 'Łukasz' and 'lukasz' match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def display_name(record: Mapping[str, Any]) -> str:
    customer = record.get("customer") if isinstance(record.get("customer"), Mapping) else record
    parts = [str(customer.get(k)) for k in ("first_name", "last_name") if customer.get(k)]  # type: ignore[union-attr]
    return " ".join(parts) or str(customer.get("name") or "")  # type: ignore[union-attr]


def _has(record: Mapping[str, Any], channel: str) -> bool:
    try:
        contact_for(record, channel)
        return True
    except MissingContact:
        return False


class CustomerDirectory:
    """The customers of every story's data file, read once."""

    def __init__(self, library: Library):
        by_file: dict[Path, list[str]] = {}
        for story in library.stories.values():
            data = story.data or (story.sample.data if story.sample else None)
            if data:
                by_file.setdefault(library.path(data), []).append(story.id)
        self._hits: dict[str, CustomerHit] = {}
        self._records: dict[str, Mapping[str, Any]] = {}
        for path, stories in by_file.items():
            try:
                source = FileCustomerSource(path)
            except DataSourceError:
                continue  # `smartvideo validate` reports a broken file; search the readable ones
            for customer_id in source.ids():
                record = source.get(customer_id)
                known = self._hits.get(customer_id)
                self._records.setdefault(customer_id, record)
                self._hits[customer_id] = CustomerHit(
                    id=customer_id,
                    name=display_name(record),
                    has_email=_has(record, "email"),
                    has_phone=_has(record, "sms"),
                    stories=tuple(sorted({*stories, *(known.stories if known else ())})),
                )

    def search(self, query: str, limit: int = 20) -> list[CustomerHit]:
        """Exact id first, then ids starting with the query, then names containing every word."""
        words = _fold(query).split()
        if not words:
            return []
        exact = [h for h in self._hits.values() if _fold(h.id) == _fold(query.strip())]
        prefix = [
            h for h in self._hits.values() if _fold(h.id).startswith(words[0]) and h not in exact
        ]
        named = [
            h
            for h in self._hits.values()
            if h not in exact and h not in prefix and all(w in _fold(h.name) for w in words)
        ]
        return (exact + prefix + sorted(named, key=lambda h: h.name))[:limit]

    def get(self, customer_id: str) -> CustomerHit | None:
        return self._hits.get(customer_id)

    def record(self, customer_id: str) -> Mapping[str, Any] | None:
        return self._records.get(customer_id)
