"""The sent journal: a line for each invitation the moment the server accepts it.

A sending thread stores its group's outcomes in one transaction after the group's last invitation
(campaigns/writes.py). A hard stop in between (a second Ctrl-C, kill -9, the OOM killer) would
leave every customer of the group `sending`, and the next run would invite them all again. So
each accepted invitation is also appended here at once: one JSON line (customer, link, masked
address, tries, story, channel), one O_APPEND write from any thread or sending process, no fsync
(it must outlive the process, which is what a hard stop kills, and costs microseconds). The next
run, holding the campaign's lock, first settles it: a `sending` customer whose line names the
same link is stored as sent, with its audit row, instead of being invited again. Only the moment
between the server's "accepted" and this write is left, where it was a whole group.

The journal lives in the data folder, so in scaled mode it covers workers that share that folder
with the run (one host, or a shared volume).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from smartvideo.agents.audit import AuditEntry
from smartvideo.campaigns import store
from smartvideo.campaigns.writes import GroupWrites

SETTLED_REASON = "sent before a hard stop (recorded from the sent journal)"


def journal_path(data_dir: Path, campaign: str) -> Path:
    """The campaign's journal file: a readable part of its name and a hash of all of it."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", campaign)[:40]
    digest = hashlib.sha256(campaign.encode()).hexdigest()[:12]
    return data_dir / "campaigns" / f"{readable}-{digest}.sent"


class SentJournal:
    """Appends accepted invitations; opened lazily, once per process."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def accepted(self, customer_id: str, link_id: str, *, to: str, tries: int, story: str, channel: str,
                 actor: str, resend: bool) -> None:
        line = json.dumps({"customer": customer_id, "link": link_id, "to": to, "tries": tries, "story": story,
                           "channel": channel, "actor": actor, "resend": resend,
                           "at": dt.datetime.now(dt.UTC).isoformat()}, separators=(",", ":")) + "\n"
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(self._fd, line.encode())  # one write: lines of concurrent writers never mix

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lines(path: Path) -> dict[str, dict[str, Any]]:
    """The journal's entries by customer (the last line wins); a torn last line is ignored."""
    entries: dict[str, dict[str, Any]] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return entries
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            entries[str(entry["customer"])] = entry
        except (ValueError, KeyError, TypeError):
            continue  # a write cut short by the stop itself: that customer is not known as sent
    return entries


def settle(engine: Engine, campaign: str, path: Path) -> int:
    """Store the journal's `sending` customers (same link) as sent, then empty it. Call with the
    campaign's lock held, before deciding who to invite. Returns how many were settled."""
    settled = 0
    # Only a `sending` customer can be settled: after a clean run there is none, and the journal
    # (a line per invitation of the run) is not read at all.
    sending = {s.customer_id: s for s in store.customers_in(engine, campaign, ("sending",), limit=2**31)}
    entries = _lines(path) if sending and path.exists() else {}
    if entries:
        writes = GroupWrites(campaign)
        for cid, entry in entries.items():
            state = sending.get(cid)
            if state is None or state.link_id != entry.get("link"):
                continue  # its group's outcome was stored, or a later run took it over
            writes.state(cid, "sent", attempts_added=int(entry.get("tries") or 1), sent=True,
                         delivered_to=entry.get("to"), reason="resent" if entry.get("resend") else SETTLED_REASON)
            writes.delivered(entry["link"])
            writes.audit(AuditEntry(at=dt.datetime.fromisoformat(entry["at"]), actor=str(entry.get("actor")),
                                    key_id=None, source="campaign", customer_id=cid, story=entry.get("story"),
                                    channel=entry.get("channel"), link_id=entry["link"], outcome="sent",
                                    detail=SETTLED_REASON))
            settled += 1
        writes.commit(engine)
    if path.exists():
        path.unlink()
    return settled
