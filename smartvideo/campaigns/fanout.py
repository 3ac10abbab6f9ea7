"""A campaign fanned out as Celery tasks over the workers (scaled mode).

The run (`smartvideo campaign` with SMARTVIDEO_BROKER_URL set) holds the campaign's lock, makes
pending every customer it is going to send, and sends one task per chunk of customer ids. The
broker sees no personal data: a task carries the campaign's name, the run (its lock owner) and
customer ids. A worker re-reads the campaign, the data file (checked against the stored
fingerprint) and the customers' states from the store, and claims each customer before doing
anything for it (`store.claim`): one statement that also checks the run still holds the lock. So a
customer is sent once however many workers, redeliveries or duplicate tasks there are, and a run
that lost its lock (Ctrl-C, the lease lapsed, a newer run) sends nothing more. The run follows the
progress in the store, as `campaign status` does.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartvideo.campaigns import store
from smartvideo.campaigns.run import CampaignOptions, CampaignSender, Entry, data_fingerprint, entries_of
from smartvideo.errors import SmartVideoError

log = logging.getLogger(__name__)

TASK = "smartvideo.campaign_chunk"
CHUNK = 100  # customers per task: a second or two of a worker's time (SMARTVIDEO_CAMPAIGN_CHUNK)


@dataclass(frozen=True, slots=True)
class ChunkTask:
    """One task's message: ids only."""

    campaign: str
    owner: str  # the run's lock owner: the task works only while that run holds the lock
    customers: tuple[str, ...]
    resend: tuple[str, ...] = ()  # of customers, those sent again on purpose (--resend)

    def as_message(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "owner": self.owner,
            "customers": list(self.customers),
            "resend": list(self.resend),
        }

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> ChunkTask:
        try:
            return cls(
                campaign=str(message["campaign"]),
                owner=str(message["owner"]),
                customers=tuple(str(c) for c in message["customers"]),
                resend=tuple(str(c) for c in message.get("resend") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise SmartVideoError(f"not a campaign task message ({exc})") from None


def chunk_tasks(
    name: str, owner: str, customer_ids: Iterable[str], resend: Iterable[str], size: int | None = None
) -> list[ChunkTask]:
    size = size or int(os.environ.get("SMARTVIDEO_CAMPAIGN_CHUNK") or CHUNK)
    ids, again = list(customer_ids), set(resend)
    return [
        ChunkTask(name, owner, tuple(part), tuple(c for c in part if c in again))
        for part in (ids[n : n + size] for n in range(0, len(ids), size))
    ]


# ---- the worker's side ---------------------------------------------------------------------------

_files: dict[tuple[str, int, int], tuple[str, dict[str, Entry]]] = {}
_senders: dict[tuple[str, str], CampaignSender] = {}
_lock = threading.Lock()


def _entries(path: Path) -> tuple[str, dict[str, Entry]]:
    """The data file's fingerprint and its customers by id, read once per version of the file."""
    from smartvideo.data_sources import read_records

    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key not in _files:
            entries = entries_of(read_records(path))
            _files.clear()  # one campaign file at a time is what a worker holds
            _files[key] = (data_fingerprint(path), {e.customer_id: e for e in entries if e.record is not None})
        return _files[key]


def options_of(campaign: store.Campaign) -> CampaignOptions:
    """The campaign's stored choices, as the run that started it gave them."""
    decision = campaign.target_kind == "decision"
    return CampaignOptions(
        name=campaign.name,
        story="" if decision else campaign.target_id,
        decision=campaign.target_id if decision else None,
        channel=campaign.channel,
        data=Path(campaign.data_path or ""),
        prerender=bool(campaign.options.get("prerender")),
        variant=campaign.options.get("variant"),
        device=campaign.options.get("device"),
        concurrency=int(os.environ.get("SMARTVIDEO_CAMPAIGN_CONCURRENCY") or 8),
        quiet=True,
    )


def _sender_for(config: Any, renders: Any, campaign: store.Campaign, owner: str) -> CampaignSender:
    """One sender per run in a worker process: its SMTP connections stay open from task to task."""
    key = (campaign.name, owner)
    with _lock:
        sender = _senders.get(key)
        if sender is None:
            for old in _senders.values():
                old.close()
            _senders.clear()
            sender = _senders[key] = CampaignSender(
                config,
                options_of(campaign),
                campaign.created_by or "campaign",
                threading.Event(),
                renders,
                claim_for=owner,
            )
        sender.stop.clear()
        return sender


def send_chunk(config: Any, renders: Any, task: ChunkTask) -> Counter[str]:
    """Invite the task's customers that this run may still claim; the outcomes counted.

    An exception raised into it (the task's soft time limit) stops taking customers, lets those
    begun finish, and leaves the rest pending for `leftovers`.
    """
    engine = renders.engine
    counts: Counter[str] = Counter()
    try:
        campaign = store.get_campaign(engine, task.campaign)
    except store.UnknownCampaign:
        log.warning("campaign task for unknown campaign %s dropped", task.campaign)
        return counts
    if campaign.lock_owner != task.owner:
        counts["stale"] = len(task.customers)  # a run that ended or lost its lock
        return counts
    path = Path(campaign.data_path or "")
    try:
        fingerprint, entries = _entries(path)
    except (OSError, SmartVideoError) as exc:
        return _fail_all(engine, task, f"the worker cannot read the data file {path}: {exc}")
    if fingerprint != campaign.data_fingerprint:
        return _fail_all(engine, task, f"the data file {path} changed after the run started; run it again")
    sender = _sender_for(config, renders, campaign, task.owner)
    states = store.states_of(engine, task.campaign, task.customers)
    todo = [entries[c] for c in task.customers if c in entries and c in states]
    for outcome in sender.outcomes(todo, states, set(task.resend)):
        counts[outcome.state] += 1
    return counts


def _fail_all(engine: Any, task: ChunkTask, reason: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for customer_id in task.customers:
        if store.claim(engine, task.campaign, customer_id, task.owner):
            store.set_state(engine, task.campaign, customer_id, "failed", reason=reason)
            counts["failed"] += 1
    return counts


def leftovers(engine: Any, task: ChunkTask) -> ChunkTask | None:
    """The task's customers still pending while its run holds the lock: a task for them."""
    if store.lock_holder(engine, task.campaign) != task.owner:
        return None
    states = store.states_of(engine, task.campaign, task.customers)
    left = tuple(c for c in task.customers if c in states and states[c].state == "pending")
    if not left:
        return None
    return ChunkTask(task.campaign, task.owner, left, tuple(c for c in task.resend if c in left))


def close_senders() -> None:
    with _lock:
        for sender in _senders.values():
            sender.close()
        _senders.clear()
