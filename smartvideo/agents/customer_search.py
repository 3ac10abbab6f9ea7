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
from smartvideo.invitations.errors import InvalidContact, MissingContact
from smartvideo.invitations.messages import contact_for
from smartvideo.render.scene_loader import Library


@dataclass(frozen=True, slots=True)
class CustomerHit:
    id: str
    name: str
    has_email: bool
    has_phone: bool
    stories: tuple[str, ...]  # the stories whose data file holds this customer
    email_problem: str = ""  # "" when usable; "none on file", or "invalid: <the value>"
    phone_problem: str = ""
    email_to: str = ""  # the usable address, masked ('a***@example.com'), for the page to name
    phone_to: str = ""


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[CustomerHit]  # the best `limit` matches, best first
    total: int  # how many customers match in all


def _fold(text: str) -> str:
    """Case- and accent-blind: 'Łukasz' and 'lukasz' match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def display_name(record: Mapping[str, Any]) -> str:
    customer = record.get("customer") if isinstance(record.get("customer"), Mapping) else record
    parts = [str(customer.get(k)) for k in ("first_name", "last_name") if customer.get(k)]  # type: ignore[union-attr]
    return " ".join(parts) or str(customer.get("name") or "")  # type: ignore[union-attr]


def _contact(record: Mapping[str, Any], channel: str) -> tuple[str, str]:
    """(the masked contact, "") when usable, else ("", the problem)."""
    from smartvideo.agents.push import mask_contact

    try:
        return mask_contact(contact_for(record, channel)), ""
    except InvalidContact as exc:
        return "", f"invalid: {exc.value}"
    except MissingContact:
        return "", "none on file"


def _rank(hit: CustomerHit, query: str, words: list[str]) -> int | None:
    """Lower is better; None when the customer does not match."""
    cid, name = _fold(hit.id), _fold(hit.name)
    parts = name.split()
    if cid == query:
        return 0
    if name == query:
        return 1
    if not all(w in name for w in words):
        return 2 + 4 if cid.startswith(query) else None
    if all(any(p == w for p in parts) for w in words):
        return 2  # every word is a whole name: "anna", "anna de vries"
    if all(any(p.startswith(w) for p in parts) for w in words):
        return 3  # every word starts a name: "ann", "an de v"
    return 4  # inside a name: "nna"


class CustomerDirectory:
    """The customers of every story's data file, read once."""

    def __init__(self, library: Library):
        by_file: dict[Path, list[str]] = {}
        for story in library.stories.values():
            data = story.customer_data
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
                (email_to, email), (phone_to, phone) = _contact(record, "email"), _contact(record, "sms")
                self._hits[customer_id] = CustomerHit(
                    id=customer_id,
                    name=display_name(record),
                    has_email=not email,
                    has_phone=not phone,
                    stories=tuple(sorted({*stories, *(known.stories if known else ())})),
                    email_problem=email,
                    phone_problem=phone,
                    email_to=email_to,
                    phone_to=phone_to,
                )

    def search(self, query: str, limit: int = 20) -> SearchResult:
        """Every customer whose id or name matches, ranked: exact id, exact name, whole-word
        names, names starting with the words, words inside names, then id prefixes; ties by
        name. `total` counts them all, so the page can say how many more there are."""
        folded = " ".join(_fold(query).split())
        words = folded.split()
        if not words:
            return SearchResult([], 0)
        ranked = []
        for hit in self._hits.values():
            rank = _rank(hit, folded, words)
            if rank is not None:
                ranked.append((rank, _fold(hit.name), hit.id, hit))
        ranked.sort(key=lambda r: r[:3])
        return SearchResult([r[3] for r in ranked[: max(1, limit)]], len(ranked))

    def get(self, customer_id: str) -> CustomerHit | None:
        return self._hits.get(customer_id)

    def record(self, customer_id: str) -> Mapping[str, Any] | None:
        return self._records.get(customer_id)
