"""Running a stored campaign: every customer of the data file invited exactly once.

The run takes the campaign's lock, adds new customers of the file as pending, and does every
customer not yet sent, on a pool of sending threads (each with its own SMTP connection) that
deliver through the one retry policy. A thread does its customers a group (GROUP) at a time: the
group's links and `sending` states are stored in one transaction before its first invitation
goes out, and its outcomes in one after its last (campaigns/writes.py), so the store is the truth
at every group's end; the links CSV is written from it (complete, in the file's order) at the end
of every run, interrupted or not.

Ctrl-C stops taking new customers, lets the invitations in flight finish and be recorded (the
rest of their groups go back to pending), writes the CSV and exits 130: the next run resumes. A
second Ctrl-C stops at once; a customer caught mid-group is then `sending`. Each accepted
invitation is also appended at once to the sent journal (campaigns/sent_journal.py), which the
next run settles first, so the only way a customer can get two invitations without --resend is a
hard kill between the server's "accepted" and that append.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smartvideo.campaigns import store
from smartvideo.campaigns.sent_journal import SentJournal, journal_path, settle
from smartvideo.campaigns.writes import GroupWrites
from smartvideo.errors import SmartVideoError

EXIT_SOME_SKIPPED = 3  # the run finished, but some records were skipped or not delivered
EXIT_INTERRUPTED = 130
CSV_FIELDS = (
    "row",
    "customer_id",
    "status",
    "url",
    "link_id",
    "channel",
    "delivered_to",
    "render",
    "reason",
    "sends",
)
# This many final transient failures in a row means the server is down, not the customers bad:
# stop, rather than mark thousands failed one retry schedule at a time.
FAILURES_IN_A_ROW_TO_STOP = 25
# Customers a sending thread does as one group: their state writes share a transaction before and
# one after the invitations (a hard kill can leave up to this many `sending` per thread).
GROUP = 10
# A fanned-out run with no customer done for this long stops (its state kept): no worker is taking
# its tasks. Longer than a chunk takes, shorter than a user waits for nothing.
FAN_OUT_STALL_SECONDS = int(os.environ.get("SMARTVIDEO_CAMPAIGN_STALL_SECONDS") or 120)


@dataclass(frozen=True, slots=True)
class CampaignOptions:
    name: str
    story: str
    channel: str
    data: Path
    out: Path | None = None
    prerender: bool = False
    variant: str | None = None
    device: str | None = None
    resend: tuple[str, ...] = ()  # customer ids, or ("all",)
    decision: str | None = None  # instead of a story: the decision picks each customer's story
    yes: bool = False  # --resend without asking (the plan is still printed)
    concurrency: int = 8  # invitations sent at once: threads, shared out over the sending processes
    processes: int | None = None  # sending processes; None: all cores for 1,000 or more
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One record of the data file: a customer to invite, or a row skipped before any check."""

    row: int
    customer_id: str
    record: Mapping[str, Any] | None
    skip_reason: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    customer_id: str
    state: str  # sent | created | failed | skipped | untouched (stopped before it began)
    reason: str = ""
    transient: bool = False


@dataclass(frozen=True, slots=True)
class _Ready:
    """A customer checked and linked, the invitation still to go."""

    customer_id: str
    request: Any  # PushRequest
    record: Mapping[str, Any]
    link: Any  # Link
    resend: bool
    render: str | None  # the render state before (a prerender replaces it)


@dataclass
class RunReport:
    counts: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False
    stop_reason: str = ""


def data_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entries_of(records: list[Any]) -> list[Entry]:
    """Number the records and set aside those that cannot be a customer (no id, duplicates)."""
    seen: set[str] = set()
    entries = []
    for n, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            entries.append(Entry(n, "", None, "not a record (expected an object with an id)"))
            continue
        customer_id = str(record.get("id") or "").strip()
        if not customer_id:
            entries.append(Entry(n, "", None, "the record has no id"))
        elif customer_id in seen:
            entries.append(Entry(n, customer_id, None, "duplicate id: this customer already got a link"))
        else:
            seen.add(customer_id)
            entries.append(Entry(n, customer_id, record))
    return entries


@contextmanager
def graceful_interrupt(stop: threading.Event, on_first: Callable[[], None]) -> Iterator[None]:
    """The first Ctrl-C (or SIGTERM) sets stop; a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        on_first()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class CampaignSender:
    """Checks, links and invites customers on a pool of threads, storing each one's state.

    A run uses one; with several sending processes each has its own (`send_shard`).
    """

    def __init__(
        self,
        config: Any,
        options: CampaignOptions,
        actor_name: str,
        stop: Any,
        renders: Any = None,
        claim_for: str | None = None,
    ):
        from smartvideo.agents.push import Actor, pusher_for
        from smartvideo.jobs.lifecycle import RenderJobs

        self.options = options
        self.renders = renders if renders is not None else RenderJobs.from_config(config)
        self.engine = self.renders.engine
        self.pusher = pusher_for(config, self.engine, self.renders.renderer, start_render=self.renders.start)
        self.actor = Actor(name=actor_name, source="campaign")
        self.stop = stop  # a threading.Event, or a multiprocessing one in a sending process
        # A worker of a fanned-out run claims each customer for that run first (campaigns/fanout.py).
        self.claim_for = claim_for
        self._local = threading.local()
        self._senders: list[Any] = []
        self._senders_lock = threading.Lock()
        self.journal = SentJournal(journal_path(config.data_dir, options.name))

    def outcomes(
        self, todo: list[Entry], states: Mapping[str, store.CustomerState], resend: set[str]
    ) -> Iterator[Outcome]:
        """Each customer's outcome as its group is done; after stop is set, only those in flight."""
        with ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="campaign-send") as pool:
            pending: set[Future[list[Outcome]]] = set()
            # Groups small enough that every thread has some (a worker's chunk is a hundred).
            size = min(GROUP, max(1, len(todo) // self.options.concurrency))
            groups = (todo[n : n + size] for n in range(0, len(todo), size))
            window = self.options.concurrency * 2  # a short queue, so Ctrl-C stops quickly
            try:
                while True:
                    while not self.stop.is_set() and len(pending) < window:
                        group = next(groups, None)
                        if group is None:
                            break
                        items = [(e, states[e.customer_id], e.customer_id in resend) for e in group]
                        pending.add(pool.submit(self.group, items))
                    if not pending:
                        break
                    finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in finished:
                        for outcome in future.result():
                            if outcome.state != "untouched":
                                yield outcome
            except BaseException:
                # Interrupted (a second Ctrl-C, a task's time limit): those queued do not begin, so
                # the pool's exit waits only for the invitations in flight.
                self.stop.set()
                raise

    def _senders_for_thread(self) -> tuple[Any, Any]:
        """This thread's email and SMS senders; an SMTP connection stays open for the run."""
        senders = getattr(self._local, "senders", None)
        if senders is None:
            delivery = self.pusher.delivery
            email = delivery.email_sender() if self.options.channel == "email" else None
            if email is not None and hasattr(email, "connection"):
                email = email.connection()
                with self._senders_lock:
                    self._senders.append(email)
            sms = delivery.sms_sender() if self.options.channel == "sms" else None
            senders = self._local.senders = (email, sms)
        return senders

    def close(self) -> None:
        with self._senders_lock:
            for sender in self._senders:
                sender.close()
            self._senders.clear()
        self.journal.close()

    def group(self, items: list[tuple[Entry, store.CustomerState, bool]]) -> list[Outcome]:
        """Check, link and invite a group of customers (entry, state before, resent on purpose);
        a customer's trouble is its outcome, never an exception.

        Their links and `sending` states are stored in one transaction before the first invitation
        goes out, and their outcomes in one after the last (campaigns/writes.py). After stop is
        set, the invitations in flight finish and the group's customers not yet begun go back to
        pending (with their link, which the next run sends).
        """
        writes = GroupWrites(self.options.name)
        outcomes: list[Outcome] = []
        ready: list[_Ready] = []
        for entry, before, resend in items:
            prepared = self._prepare(entry, before, resend, writes)
            if isinstance(prepared, Outcome):
                outcomes.append(prepared)
            else:
                ready.append(prepared)
        writes.commit(self.engine)  # the links exist before anyone can get one
        for item in ready:
            if self.stop.is_set():  # Ctrl-C, failures in a row, a lost lock: those not begun wait
                writes.state(item.customer_id, "pending", link_id=item.link.id)
                outcomes.append(Outcome(item.customer_id, "untouched"))
                continue
            outcomes.append(self._finish(item, writes))
        if self.claim_for is not None:  # fanned out: the run counts failures in a row in the store
            writes.failures([o.transient for o in outcomes if o.state != "untouched"])
        writes.commit(self.engine)
        return outcomes

    def _prepare(
        self, entry: Entry, before: store.CustomerState, resend: bool, writes: GroupWrites
    ) -> Outcome | _Ready:
        """Claim (fanned out), decide, check and link one customer; the writes go to `writes`."""
        from smartvideo.agents.errors import PushRejected
        from smartvideo.agents.push import PushRequest
        from smartvideo.errors import LinkError
        from smartvideo.links import link_by_id

        if self.stop.is_set():
            return Outcome(entry.customer_id, "untouched")
        name, cid = self.options.name, entry.customer_id
        if self.claim_for is not None and not store.claim(self.engine, name, cid, self.claim_for):
            if store.lock_holder(self.engine, name) != self.claim_for:
                self.stop.set()  # the run ended or lost its lock: this sender takes nobody more
            return Outcome(cid, "untouched")  # or another worker has this customer
        try:
            choice = None
            story, variant = self.options.story, self.options.variant
            if self.options.decision and before.link_id:
                story, chosen = self._chosen_before(before.link_id)  # chosen by an earlier run: kept
                variant = chosen or variant
            elif self.options.decision:
                # The invitation shows the chosen story's poster, so the choice is made at sending
                # (as for agents' "best video"), with the decision's contact policy applied.
                try:
                    choice = self.renders.decisions.decide(self.options.decision, cid, log=False,
                                                           channel=self.options.channel)
                except SmartVideoError as exc:  # not eligible now, or the customer is unknown
                    writes.state(cid, "skipped", reason=str(exc))
                    return Outcome(cid, "skipped", str(exc))
                story, variant = choice.story, choice.variant or variant
            request = PushRequest(
                customer_id=cid,
                story=story,
                channel=self.options.channel,
                prerender=self.options.prerender,
                variant=variant,
                device=self.options.device,
                contact_record=entry.record,
                campaign=name,
            )
            try:
                record = self.pusher.check(request)
            except PushRejected as exc:
                writes.audit(self.pusher.audit_entry(self.actor, request, "rejected", detail=exc.reason))
                writes.state(cid, "skipped", reason=exc.reason)
                return Outcome(cid, "skipped", exc.reason)
            link = None
            if before.link_id:
                try:
                    link = link_by_id(self.engine, self.pusher.secret, before.link_id)
                except LinkError:
                    link = None  # expired or removed: a new link
            if link is None and choice is not None:
                from smartvideo.nba.store import log_decision

                link = self.pusher.make_link(self.actor, request)
                log_decision(self.engine, choice, cid, link.id, dt.datetime.now(dt.UTC))
            elif link is None:
                link = self.pusher.new_link(self.actor, request)[0]
                writes.link(link)  # stored with the customer's row that names it
            writes.state(cid, "sending", link_id=link.id)
            return _Ready(cid, request, record, link, resend, before.render)
        except Exception as exc:  # noqa: BLE001 - one broken record must not end a run of thousands
            reason = f"unexpected error ({type(exc).__name__}: {exc})"
            writes.state(cid, "failed", reason=reason)
            return Outcome(cid, "failed", reason)

    def _finish(self, item: _Ready, writes: GroupWrites) -> Outcome:
        """Start the render (prerender) and deliver the invitation of a linked customer."""
        from smartvideo.agents.push import mask_contact
        from smartvideo.invitations.delivery_queue import DeliveryGaveUp
        from smartvideo.invitations.errors import InvitationError

        cid, request, link = item.customer_id, item.request, item.link
        render_state = item.render
        try:
            render = self.pusher.prerender(request, link)
            render_state = str(render.get("status", "queued")) if render else item.render
            if request.channel == "none":
                writes.audit(self.pusher.audit_entry(self.actor, request, "sent", link_id=link.id))
                writes.state(cid, "created", render=render_state, reason=None)
                return Outcome(cid, "created")
            email, sms = self._senders_for_thread()
            try:
                delivered = self.pusher.deliver(request, item.record, link, email_sender=email, sms_sender=sms,
                                                stop=self.stop)
            except InvitationError as exc:
                writes.audit(self.pusher.audit_entry(self.actor, request, "failed", link_id=link.id,
                                                     detail=str(exc)))
                if isinstance(exc, DeliveryGaveUp):
                    writes.state(cid, "failed", attempts_added=exc.attempts, reason=exc.reason, render=render_state)
                    return Outcome(cid, "failed", exc.reason, transient=exc.transient)
                writes.state(cid, "failed", reason=str(exc), render=render_state)
                return Outcome(cid, "failed", str(exc))
            delivered_to = mask_contact(delivered.receipt.to)
            # At once, where the group's outcomes are stored after its last invitation: a hard stop
            # in between leaves this customer `sending`, and the next run settles it from here.
            self.journal.accepted(cid, link.id, to=delivered_to, tries=delivered.attempts, story=request.story,
                                  channel=request.channel, actor=self.actor.name, resend=item.resend)
            writes.state(
                cid,
                "sent",
                attempts_added=delivered.attempts,
                sent=True,
                delivered_to=delivered_to,
                reason="resent" if item.resend else None,
                render=render_state,
            )
            writes.delivered(link.id)
            writes.audit(self.pusher.audit_entry(self.actor, request, "sent", link_id=link.id))
            return Outcome(cid, "sent")
        except Exception as exc:  # noqa: BLE001 - one broken record must not end a run of thousands
            reason = f"unexpected error ({type(exc).__name__}: {exc})"
            writes.state(cid, "failed", reason=reason, render=render_state)
            return Outcome(cid, "failed", reason)

    def _chosen_before(self, link_id: str | None) -> tuple[str, str | None]:
        """The story and variant an earlier run chose for this customer (kept on its link)."""
        from sqlalchemy import select

        from smartvideo.links import links_table

        with self.engine.connect() as conn:
            row = conn.execute(select(links_table.c.story, links_table.c.variant)
                               .where(links_table.c.id == link_id)).first()
        return (row.story, row.variant) if row else ("", None)


def _stop_when_orphaned(parent: int, stop: Any) -> None:
    """A sending process whose run was killed (kill -9) stops as after Ctrl-C: the invitations in
    flight finish and are stored, the rest wait for the next run, which may already hold the lock."""
    while not stop.wait(0.5):
        if os.getppid() != parent:
            stop.set()


def send_shard(
    config: Any,
    options: CampaignOptions,
    actor_name: str,
    todo: list[Entry],
    states: Mapping[str, store.CustomerState],
    resend: set[str],
    stop: Any,
    results: Any,
) -> None:
    """A sending process: its share of the customers, each outcome put on results, then None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the run decides
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(), stop), daemon=True).start()
    sender = CampaignSender(config, options, actor_name, stop)
    try:
        for outcome in sender.outcomes(todo, states, resend):
            results.put(outcome)
    finally:
        sender.close()
        sender.renders.close()
        results.put(None)


class CampaignRun:
    """One run of a campaign; `run()` returns the exit code."""

    def __init__(self, config: Any, options: CampaignOptions, console: Any, actor_name: str):
        from smartvideo.jobs.lifecycle import RenderJobs

        self.config = config
        self.options = options
        self.console = console
        self.renders = RenderJobs.from_config(config)
        self.engine = self.renders.engine
        library = self.renders.renderer.library
        if options.decision:
            self.renders.decisions.decision(options.decision)  # UnknownDecision names the known ones
        elif options.story not in library.stories:
            known = ", ".join(sorted(library.stories))
            raise SmartVideoError(f"unknown story '{options.story}' (known: {known})")
        self.stop = threading.Event()
        self.sender = CampaignSender(config, options, actor_name, self.stop, self.renders)
        self.pusher = self.sender.pusher
        self.actor = self.sender.actor
        self.owner = store.lock_owner()

    # ---- the run ----------------------------------------------------------------------------------

    def run(self) -> int:
        from smartvideo.data_sources import read_records

        options = self.options
        started = time.perf_counter()
        records = read_records(options.data)  # an unreadable file stops here: nothing to skip to
        entries = entries_of(records)
        fingerprint = data_fingerprint(options.data)
        campaign, new = store.open_campaign(
            self.engine,
            name=options.name,
            target_kind="decision" if options.decision else "story",
            target_id=options.decision or options.story,
            channel=options.channel,
            options={
                "variant": options.variant,
                "device": options.device,
                "prerender": options.prerender,
            },
            data_fingerprint=fingerprint,
            data_path=str(options.data.resolve()),
            links_csv=str(self._out_path(None).resolve()),
            created_by=self.actor.name,
        )
        out = self._out_path(campaign)
        store.acquire_lock(self.engine, options.name, self.owner)
        heartbeat = threading.Thread(target=self._keep_lock, daemon=True)
        heartbeat.start()
        try:
            return self._run_locked(campaign, new, entries, fingerprint, out, started)
        finally:
            self.stop.set()  # also ends the heartbeat
            self.sender.close()
            if self.renders.mode != "scaled":  # the senders were this run's: none is still sending
                self._settle_journal()
            store.release_lock(self.engine, options.name, self.owner)
            self.renders.close()

    def _settle_journal(self) -> None:
        """Customers invited just before a hard stop (their group's outcomes never stored) are
        stored as sent from the sent journal, not invited again."""
        settled = settle(self.engine, self.options.name, journal_path(self.config.data_dir, self.options.name))
        if settled:
            self.console.print(f"{settled} customers invited just before a hard stop are stored as sent "
                               "(from the sent journal), not invited again")

    def _out_path(self, campaign: store.Campaign | None) -> Path:
        if self.options.out is not None:
            return self.options.out
        if campaign is not None and campaign.links_csv:
            return Path(campaign.links_csv)
        return Path(f"{self.options.name}-links.csv")

    def _keep_lock(self) -> None:
        while not self.stop.wait(store.LOCK_SECONDS / 4):
            store.renew_lock(self.engine, self.options.name, self.owner)

    def _run_locked(
        self,
        campaign: store.Campaign,
        new: bool,
        entries: list[Entry],
        fingerprint: str,
        out: Path,
        started: float,
    ) -> int:
        options = self.options
        customers = [e for e in entries if e.record is not None]
        added = store.add_customers(self.engine, options.name, ((e.customer_id, e.row) for e in customers))
        store.record_run(
            self.engine,
            options.name,
            data_fingerprint=fingerprint,
            data_path=str(options.data.resolve()),
            links_csv=str(out.resolve()),
        )
        self._settle_journal()
        states = store.customer_states(self.engine, options.name)
        in_file = {e.customer_id for e in customers}
        for cid, state in states.items():
            if cid not in in_file and state.state not in (*store.DONE, "skipped"):
                # Taken out of the file since an earlier run: not invited now, and said so.
                store.set_state(self.engine, options.name, cid, "skipped", reason="no longer in the data file")
        resend = self._resend_set(states, customers)
        todo = [e for e in customers if states[e.customer_id].state not in store.DONE or e.customer_id in resend]
        self._say_what_happens(campaign, new, states, customers, todo, resend, added, fingerprint)
        if resend and not self._confirmed(len(resend)):
            self.console.print("nothing sent: --resend was not confirmed")
            return 1
        scaled = self.renders.mode == "scaled"
        report = self._fan_out(todo, resend) if scaled else self._send_all(todo, states, resend)
        if not report.interrupted and options.prerender:
            self._wait_for_renders(todo)
        self._write_csv(entries, out)
        return self._summary(entries, report, out, started)

    def _resend_set(self, states: Mapping[str, store.CustomerState], customers: list[Entry]) -> set[str]:
        wanted = self.options.resend
        if not wanted:
            return set()
        in_file = {e.customer_id for e in customers}
        if wanted == ("all",):
            return {cid for cid in in_file if states[cid].state in store.DONE}
        unknown = sorted(set(wanted) - in_file)
        if unknown:
            raise SmartVideoError(f"--resend names customers not in {self.options.data.name}: {', '.join(unknown)}")
        return {cid for cid in wanted if states[cid].state in store.DONE}

    def _say_what_happens(
        self,
        campaign: store.Campaign,
        new: bool,
        states: Mapping[str, store.CustomerState],
        customers: list[Entry],
        todo: list[Entry],
        resend: set[str],
        added: int,
        fingerprint: str,
    ) -> None:
        say = self.console.print
        name = self.options.name
        if new:
            say(
                f"campaign {name}: new, {len(customers)} customers, "
                f"story {self.options.story} by {self.options.channel}"
            )
            return
        by_state = Counter(states[e.customer_id].state for e in customers)
        done = by_state["sent"] + by_state["created"]
        parts = [f"{done} already invited"]
        for state, words in (
            ("failed", "failed before"),
            ("sending", "interrupted mid-send"),
            ("skipped", "skipped before"),
            ("pending", "not yet done"),
        ):
            if by_state[state]:
                parts.append(f"{by_state[state]} {words}")
        say(f"campaign {name}: resuming ({', '.join(parts)}); {len(todo) - len(resend)} to do now")
        if fingerprint != campaign.data_fingerprint:
            say(
                f"the data file changed since the last run: {added} new customers are added; "
                "customers already invited are not invited again"
            )
        if resend:
            listed = ", ".join(sorted(resend)[:10]) + (" ..." if len(resend) > 10 else "")
            say(
                f"[bold]--resend[/]: {len(resend)} customers who were already invited get a "
                f"second invitation with the same link: {listed}"
            )

    def _confirmed(self, count: int) -> bool:
        if self.options.yes or not sys.stdin.isatty():
            return True
        answer = input(f"Send {count} invitations again? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    # ---- sending ----------------------------------------------------------------------------------

    def _send_all(self, todo: list[Entry], states: Mapping[str, store.CustomerState], resend: set[str]) -> RunReport:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        report = RunReport()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        failures_in_a_row = 0

        def on_interrupt() -> None:
            report.interrupted = True
            progress.console.print(
                "[yellow]stopping[/]: finishing the invitations in flight (Ctrl-C again to quit now)"
            )

        with (
            Progress(*columns, console=self.console, transient=False, disable=self.options.quiet) as progress,
            graceful_interrupt(self.stop, on_interrupt),
        ):
            task = progress.add_task(f"campaign {self.options.name}", total=len(todo))
            for outcome in self._outcomes(todo, states, resend):
                report.counts[outcome.state] += 1
                progress.advance(task)
                if outcome.state in ("skipped", "failed"):
                    what = "skipped" if outcome.state == "skipped" else "not delivered"
                    entry_row = states[outcome.customer_id].row
                    progress.console.print(
                        f"[yellow]{what}[/] record {entry_row} ({outcome.customer_id}): {_escape(outcome.reason)}"
                    )
                failures_in_a_row = failures_in_a_row + 1 if outcome.transient else 0
                if failures_in_a_row >= FAILURES_IN_A_ROW_TO_STOP and not self.stop.is_set():
                    report.stop_reason = _failing_stop(failures_in_a_row, outcome.reason)
                    self.stop.set()
        return report

    def _fan_out(self, todo: list[Entry], resend: set[str]) -> RunReport:
        """Scaled mode: the customers go out as Celery tasks (campaigns/fanout.py); this run keeps
        the lock and follows the progress in the store until every customer is done."""
        import kombu.exceptions
        from celery import Celery
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from smartvideo.campaigns import fanout

        report = RunReport()
        name = self.options.name
        store.prepare_fan_out(self.engine, name, self.owner, resend)
        broker = Celery("smartvideo", broker=self.config.broker_url, set_as_current=False)
        tasks = fanout.chunk_tasks(name, self.owner, [e.customer_id for e in todo], resend)
        try:
            with broker.connection_for_write() as connection, broker.producer_or_acquire() as producer:
                connection.ensure_connection(max_retries=3)
                for task in tasks:
                    broker.send_task(fanout.TASK, args=[task.as_message()], producer=producer)
        except (OSError, kombu.exceptions.KombuError) as exc:
            # Tasks already sent are harmless: they work only while this run holds the lock.
            raise SmartVideoError(f"cannot reach the broker {self.config.broker_url}: {exc}") from None
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())

        def on_interrupt() -> None:
            report.interrupted = True
            progress.console.print("[yellow]stopping[/]: the workers finish the invitations in flight")

        waiting = stopping = 0.0
        with (
            Progress(*columns, console=self.console, transient=False, disable=self.options.quiet) as progress,
            graceful_interrupt(self.stop, on_interrupt),
        ):
            bar = progress.add_task(f"campaign {name} ({len(tasks)} tasks to the workers)", total=len(todo))
            last = -1
            while True:
                counts = store.state_counts(self.engine, name)
                left = counts.get("pending", 0) + counts.get("sending", 0)
                progress.update(bar, completed=len(todo) - left)
                if left == 0 or (self.stop.is_set() and not counts.get("sending")):
                    break
                failing = store.failures_in_a_row(self.engine, name)
                if failing >= FAILURES_IN_A_ROW_TO_STOP and not self.stop.is_set():
                    # The workers' deliveries fail one after another: the server is down, not the
                    # customers bad. Stop, as an embedded run does; the rest stay pending.
                    report.stop_reason = _failing_stop(failing, store.latest_failure(self.engine, name))
                    self.stop.set()
                if self.stop.is_set():
                    # Releasing the lock stops the workers taking customers; those in flight finish
                    # (a worker killed mid-send leaves its customer `sending`: the next run does it).
                    store.release_lock(self.engine, name, self.owner)
                    stopping += 0.5
                    if stopping > FAN_OUT_STALL_SECONDS / 4:
                        break
                waiting = 0.0 if left != last else waiting + 0.5
                last = left
                if waiting >= FAN_OUT_STALL_SECONDS and not self.stop.is_set():
                    report.stop_reason = (
                        f"no customer was done for {FAN_OUT_STALL_SECONDS} s with {left} to go: are the "
                        "workers running (celery -A worker worker) and is the broker reachable? "
                        "Run the campaign again to resume."
                    )
                    self.stop.set()
                    store.release_lock(self.engine, name, self.owner)
                    continue
                time.sleep(0.5)  # the store is the progress; Ctrl-C is seen on the next turn
        after = store.customer_states(self.engine, name)
        for entry in todo:
            state = after[entry.customer_id]
            if state.state in ("pending", "sending"):
                continue
            report.counts[state.state] += 1
            if state.state in ("skipped", "failed"):
                what = "skipped" if state.state == "skipped" else "not delivered"
                self.console.print(
                    f"[yellow]{what}[/] record {state.row} ({entry.customer_id}): {_escape(state.reason or '?')}"
                )
        return report

    def _outcomes(
        self, todo: list[Entry], states: Mapping[str, store.CustomerState], resend: set[str]
    ) -> Iterator[Outcome]:
        processes = self.options.processes
        if processes is None:  # a large campaign uses every core; a small one is not worth it
            embedded_renders = self.options.prerender and self.renders.mode == "embedded"
            processes = 1 if embedded_renders or len(todo) < 1000 else min(4, os.cpu_count() or 1)
        if processes <= 1:
            return self.sender.outcomes(todo, states, resend)
        return self._sharded_outcomes(todo, states, resend, processes)

    def _sharded_outcomes(
        self,
        todo: list[Entry],
        states: Mapping[str, store.CustomerState],
        resend: set[str],
        processes: int,
    ) -> Iterator[Outcome]:
        """The customers dealt over sending processes (Python runs one thread at a time per
        process: checks, posters and MIME are CPU work). This process keeps the lock, the
        progress and the decision to stop; each customer's state is still stored as it changes."""
        import multiprocessing
        import queue as queues

        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked SQL connections
        # --concurrency is for the whole run: threads in one process take turns on one interpreter
        # lock, and each turn costs CPU, so a process gets its share, not the whole number.
        options = replace(self.options, concurrency=max(1, -(-self.options.concurrency // processes)))
        stop = ctx.Event()
        results: Any = ctx.Queue()
        workers = []
        for n in range(processes):
            shard = todo[n::processes]
            workers.append(
                ctx.Process(
                    target=send_shard,
                    args=(
                        self.config,
                        options,
                        self.actor.name,
                        shard,
                        {e.customer_id: states[e.customer_id] for e in shard},
                        {e.customer_id for e in shard} & resend,
                        stop,
                        results,
                    ),
                    name=f"campaign-send-{n + 1}",
                    daemon=True,
                )
            )
        for worker in workers:
            worker.start()
        done = 0
        try:
            while done < len(workers):
                if self.stop.is_set():
                    stop.set()
                try:
                    item = results.get(timeout=0.5)
                except queues.Empty:
                    if not any(w.is_alive() for w in workers):
                        break  # a worker died without saying so: its customers stay pending
                    continue
                if item is None:
                    done += 1
                else:
                    yield item
            for worker in workers:
                worker.join()
        finally:
            for worker in workers:
                if worker.is_alive():  # a second Ctrl-C: stop now (see the module docstring)
                    worker.terminate()
            for worker in workers:
                worker.join(10)  # gone before the run settles its sent journal

    # ---- after sending ----------------------------------------------------------------------------

    def _wait_for_renders(self, todo: list[Entry]) -> None:
        """Stay until the prerendered videos are made (by this process's embedded runner, or by
        the workers in scaled mode), so the links CSV shows each one's real render state."""
        from smartvideo.links import link_by_id
        from smartvideo.render.devices import device_profile

        states = store.customer_states(self.engine, self.options.name)
        device = device_profile(self.options.device or ("portrait" if self.options.channel == "sms" else "landscape"))
        pending = {
            e.customer_id: link_by_id(self.engine, self.pusher.secret, states[e.customer_id].link_id)  # type: ignore[arg-type]
            for e in todo
            if states[e.customer_id].link_id and states[e.customer_id].state in store.DONE
        }
        if not pending:
            return
        # Renders run two at a time; past this, something is stuck and a click will render it anyway.
        deadline = time.monotonic() + self.config.render_time_limit * max(1, len(pending))
        while pending and time.monotonic() < deadline:
            made: dict[str, str] = {}
            for cid, link in pending.items():
                status = str(self.renders.status(link, device)["status"])
                if status in ("ready", "failed"):
                    made[cid] = status
                    if status == "failed":
                        self.console.print(f"[yellow]render failed[/] for {cid} (link {link.id})")
            store.set_render(self.engine, self.options.name, made)
            for cid in made:
                del pending[cid]
            if pending:
                time.sleep(0.5)
        if pending:
            self.console.print(f"[yellow]{len(pending)} videos not made in time[/]: a click renders them")

    def _write_csv(self, entries: list[Entry], out: Path) -> None:
        """The links CSV from the store: every record of the file, every run's links kept."""
        write_links_csv(
            self.engine,
            self.options.name,
            entries,
            out,
            public_url=self.pusher.public_url,
            secret=self.pusher.secret,
            channel=self.options.channel,
        )

    def _summary(self, entries: list[Entry], report: RunReport, out: Path, started: float) -> int:
        counts = report.counts
        early = [e for e in entries if e.record is None]
        for e in early:
            who = f" ({e.customer_id})" if e.customer_id else ""
            self.console.print(f"[yellow]skipped[/] record {e.row}{who}: {e.skip_reason}")
        counts["skipped"] += len(early)
        this_run = ", ".join(f"{counts[k]} {k}" for k in ("sent", "created", "failed", "skipped") if counts[k])
        total = store.state_counts(self.engine, self.options.name)
        seconds = time.perf_counter() - started
        self.console.print(
            f"campaign {self.options.name}: {len(entries)} records: this run {this_run or 'nothing to do'} "
            f"in {seconds:.1f} s; in all {status_line(total)}"
        )
        self.console.print(f"links: {out}")
        if report.stop_reason:
            self.console.print(f"[red]stopped[/]: {report.stop_reason}")
            return 1
        if report.interrupted:
            self.console.print(
                f"interrupted: the state is saved; run the same command again to resume "
                f"(smartvideo campaign status {self.options.name})"
            )
            return EXIT_INTERRUPTED
        return EXIT_SOME_SKIPPED if counts["skipped"] or counts["failed"] else 0


def status_line(counts: Mapping[str, int]) -> str:
    pending = counts.get("pending", 0) + counts.get("sending", 0)
    parts = [
        f"{counts.get('sent', 0)} sent",
        f"{pending} pending",
        f"{counts.get('failed', 0)} failed",
        f"{counts.get('skipped', 0)} skipped",
    ]
    if counts.get("created"):
        parts.insert(1, f"{counts['created']} links made")
    return ", ".join(parts)


def write_links_csv(
    engine: Any,
    name: str,
    entries: list[Entry],
    out: Path,
    *,
    public_url: str,
    secret: str,
    channel: str,
) -> None:
    from smartvideo.links import link_url, token_for

    states = store.customer_states(engine, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    shown = {"sending": "pending"}
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for e in entries:
            state = states.get(e.customer_id) if e.record is not None else None
            if state is None:
                writer.writerow(
                    {"row": e.row, "customer_id": e.customer_id, "status": "skipped", "reason": e.skip_reason}
                )
                continue
            writer.writerow(
                {
                    "row": e.row,
                    "customer_id": e.customer_id,
                    "status": shown.get(state.state, state.state),
                    "url": link_url(public_url, token_for(secret, state.link_id)) if state.link_id else "",
                    "link_id": state.link_id or "",
                    "channel": channel,
                    "delivered_to": state.delivered_to or "",
                    "render": state.render or "",
                    "reason": state.reason or "",
                    "sends": state.sends,
                }
            )
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(out)


def _failing_stop(count: int, reason: str) -> str:
    """Why a run stopped on deliveries failing in a row (embedded or fanned out)."""
    return (
        f"{count} deliveries in a row failed ({reason}); stopped so the rest stay pending. "
        "Run the campaign again when the server is back."
    )


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def default_name(story: str, data: Path) -> str:
    """The same command names the same campaign, so running it again resumes it."""
    return f"{story}-{data.stem}"


def campaign_started(campaign: store.Campaign) -> str:
    return campaign.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
