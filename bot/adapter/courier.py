"""Delivers queued notices proactively, after the change they report has been committed.

Every instance runs a courier; the store's lease keeps two couriers from taking the same notice.

A notice for a person goes to their personal chat with the bot. Without one, the courier tries to
start one (for a person of the bot's own tenant: Graph installs the app for them, then the
connector creates the chat). When there is no Teams identity, or Teams refuses (403/404, e.g.
BotNotInConversationRoster or a blocked bot), or keeps failing, the notice goes by e-mail from the
programme's mailbox instead: once, under a claim kept in the store. Each notice records how it went
out; failures are reported to the programme admins once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.adapter.background import Background
from bot.adapter.meeting_cues import MeetingCues
from bot.adapter.proactive import Proactive
from bot.adapter.warm import GRAPH_MODULES, imported
from bot.features import mail_text
from bot.store.base import ConversationRef, Notice, NoticeStatus, Pending, Store

if TYPE_CHECKING:
    from botbuilder.core import TurnContext

log = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 3600.0
# After this many failed attempts at a person's chat (Teams down, throttled), e-mail them instead.
TEAMS_ATTEMPTS = 5
REFUSED = frozenset({403, 404})
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def retry_delay(attempts: int) -> float:
    """Exponential, jittered, capped at an hour: a notice is retried until it is delivered."""
    base: float = min(MAX_RETRY_SECONDS, 15.0 * 2 ** min(attempts, 12))
    return base * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)


class Outreach(Protocol):
    """E-mail and chat-starting through Microsoft Graph (graph.mail.GraphOutreach). Each raises on
    failure; an exception with `status` 0 means the outcome is unknown (the answer was lost)."""

    async def send_mail(self, to: str, subject: str, text: str) -> None: ...

    async def user_id(self, address: str) -> str | None: ...

    async def install(self, user_id: str) -> bool: ...


def refusal(error: BaseException) -> tuple[int, str]:
    """The HTTP status and error code of a failed connector call (0 and the type's name if none)."""
    response = getattr(error, "response", None)
    status = int(getattr(response, "status_code", 0) or 0)
    inner = getattr(getattr(error, "error", None), "error", None)
    code = str(getattr(inner, "code", "") or "")
    if not code and response is not None:
        try:
            code = str(((response.json() or {}).get("error") or {}).get("code") or "")
        except Exception:
            code = ""
    return status, code or type(error).__name__


def admin_recipient(admin: str) -> str:
    return f"user:{admin}" if _GUID.match(admin) else f"email:{admin}"


class Courier(Background):
    name = "courier"

    def __init__(self, proactive: Proactive, store: Store, app_id: str, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 interval: float = 5.0, lease_seconds: float = 60.0, batch: int = 20,
                 outreach: Outreach | None = None, admins: frozenset[str] = frozenset(),
                 tenant_id: str = "") -> None:
        self.proactive = proactive
        self.store = store
        self.app_id = app_id
        self.clock = clock
        self.interval = interval
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.outreach = outreach
        self.admins = admins
        self.tenant_id = tenant_id
        self._wake = asyncio.Event()
        self.cues: MeetingCues | None = None  # set by the meeting page (bot.adapter.live_web)

    @property
    def mail_enabled(self) -> bool:
        return self.outreach is not None

    def kick(self) -> None:
        """Deliver now rather than at the next interval (after a turn queued notices)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while await self.deliver_due() == self.batch:
                    pass
                await self.report_failures()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("courier round failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            except TimeoutError:
                pass
            self._wake.clear()

    async def _resolve(self, recipient: str) -> ConversationRef | None:
        kind, _, value = recipient.partition(":")
        if kind == "email":
            return await self.store.conversation_by_email(value)
        return await self.store.conversation(recipient)

    async def deliver_due(self) -> int:
        """One round: returns how many notices it took."""
        pending = await self.store.claim_due(self.clock(), self.lease_seconds, self.batch)
        claimed = len(pending)
        if self.cues is not None:
            pending = await self.cues.deliver(pending)  # in-meeting cues; the rest as messages
        for notice in pending:
            await self._deliver(notice)
        return claimed

    def _retry_at(self, notice: Pending) -> datetime:
        return self.clock() + timedelta(seconds=retry_delay(notice.attempts))

    async def _deliver(self, notice: Pending) -> None:
        to_person = not notice.recipient.startswith("chat:")
        ref = await self._resolve(notice.recipient)
        if ref is None and to_person:
            ref = await self._open_chat(notice)
        if ref is None:
            if to_person:
                await self._by_email(notice, "no Teams chat with the person")
            else:
                await self.store.not_delivered(notice.id, "no conversation with the chat",
                                               self._retry_at(notice))
            return
        failure = await self._send(ref.reference, notice.body)
        if failure is None:
            await self.store.delivered(notice.id, self.clock(), "teams")
            log.info("notice delivered", extra={"notice": notice.id, "channel": "teams"})
            return
        status, code = failure
        log.warning("notice not delivered", extra={"notice": notice.id, "status": status, "error": code})
        if to_person and (status in REFUSED or notice.attempts >= TEAMS_ATTEMPTS):
            why = f"Teams refused ({status} {code})" if status else f"Teams failed ({code})"
            await self._by_email(notice, why)
        else:
            await self.store.not_delivered(notice.id, f"{status} {code}".strip(), self._retry_at(notice))

    async def _send(self, reference: dict[str, Any], body: dict[str, Any]) -> tuple[int, str] | None:
        adapter = await self.proactive.adapter()  # imports the SDK, which the next lines use
        from botbuilder.core import CardFactory, MessageFactory
        from botbuilder.schema import ConversationReference

        failures: list[BaseException] = []

        async def send(context: TurnContext) -> None:
            # Caught here: the adapter's turn-error handler would otherwise swallow it.
            try:
                if body.get("card") is not None:
                    card = CardFactory.adaptive_card(body["card"])
                    await context.send_activity(MessageFactory.attachment(card))
                else:
                    await context.send_activity(MessageFactory.text(str(body.get("text", ""))))
            except Exception as error:
                failures.append(error)

        try:
            await adapter.continue_conversation(ConversationReference().deserialize(reference), send,
                                                self.app_id)
        except Exception as error:
            failures.append(error)
        return refusal(failures[0]) if failures else None

    async def _open_chat(self, notice: Pending) -> ConversationRef | None:
        """Start a personal chat with someone of the bot's own tenant, if Graph may help."""
        if self.outreach is None:
            return None
        kind, _, value = notice.recipient.partition(":")
        email = await self.store.email_of(notice.recipient)
        await imported(GRAPH_MODULES)  # Graph's SDK, on a thread if the warm-up has not done it
        try:
            aad = value if kind == "user" else (await self.outreach.user_id(value) if value else None)
        except Exception as error:
            log.info("directory look-up failed", extra={"error": type(error).__name__})
            return None
        if not aad:
            return None  # not in this tenant's directory: another council's officer
        service_url = await self.store.any_service_url(self.tenant_id or None)
        if service_url is None or not self.tenant_id:
            return None
        try:
            await self.outreach.install(aad)
        except Exception as error:
            # Without TeamsAppInstallation.ReadWriteSelfForUser.All the chat may still exist.
            log.info("app installation for the person failed", extra={"error": type(error).__name__})
        adapter = await self.proactive.adapter()
        from botbuilder.core import TurnContext
        from botbuilder.schema import ChannelAccount, ConversationParameters

        made: list[dict[str, Any]] = []

        async def keep(context: TurnContext) -> None:
            made.append(TurnContext.get_conversation_reference(context.activity).serialize())

        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=f"28:{self.app_id}"),
            members=[ChannelAccount(id=aad, aad_object_id=aad)], tenant_id=self.tenant_id,
            channel_data={"tenant": {"id": self.tenant_id}})
        try:
            await adapter.create_conversation(self.app_id, keep, parameters, "msteams", service_url, None)
        except Exception as error:
            status, code = refusal(error)
            log.info("personal chat not started", extra={"status": status, "error": code})
            return None
        if not made:
            return None
        reference = made[0]
        conversation_id = str((reference.get("conversation") or {}).get("id") or "")
        ref = ConversationRef(f"user:{aad}", conversation_id, service_url, "msteams", self.tenant_id,
                              "personal", reference, self.clock(), email)
        await self.store.save_conversation(ref)
        return ref

    async def _by_email(self, notice: Pending, why: str) -> None:
        now = self.clock()
        if self.outreach is None:
            # Kept for Teams (the person may open a chat later); the admins are told once.
            await self.store.notice_failed(notice.id, f"{why}; e-mail is off (Graph is not configured)", now,
                                           self._retry_at(notice))
            return
        address = await self.store.email_of(notice.recipient)
        if not address:
            await self.store.notice_failed(notice.id, f"{why}; no e-mail address known", now,
                                           self._retry_at(notice))
            return
        if not await self.store.claim_email(notice.id, now, why):
            # Taken before and not recorded as sent: a crash or a lost answer. Never send twice.
            await self.store.notice_failed(notice.id, "e-mail may not have been sent (interrupted)", now,
                                           None)
            return
        mail = mail_text.render(notice.kind, notice.body, await self.store.notice_context(notice))
        await imported(GRAPH_MODULES)
        try:
            await self.outreach.send_mail(address, mail.subject, mail.text)
        except Exception as error:
            status = int(getattr(error, "status", 0) or 0)
            code = str(getattr(error, "code", "") or type(error).__name__)
            log.warning("notice e-mail failed", extra={"notice": notice.id, "status": status, "error": code})
            if status == 0:
                await self.store.notice_failed(
                    notice.id, f"{why}; e-mail may not have been sent ({code})", now, None)
            else:
                await self.store.release_email(notice.id)
                await self.store.notice_failed(
                    notice.id, f"{why}; e-mail refused ({status} {code})", now, self._retry_at(notice))
            return
        await self.store.delivered(notice.id, self.clock(), "email")
        log.info("notice delivered", extra={"notice": notice.id, "channel": "email"})

    async def report_failures(self) -> int:
        """Tell the programme admins, once, which notices could not be delivered."""
        if not self.admins:
            return 0
        mail_on = self.mail_enabled

        def build(failed: list[NoticeStatus]) -> list[Notice]:
            lines = [f"- {f.person}: {f.kind}{f' ({f.set_key})' if f.set_key else ''}: "
                     f"{f.reason or 'failed'}" for f in failed]
            head = ("These notices could not be delivered in Teams, and e-mail is off because Microsoft "
                    "Graph is not configured (see the README):" if not mail_on else
                    "These notices could not be delivered in Teams or by e-mail:")
            tail = "`als notices` lists every notice that did not go by Teams."
            text = "\n".join([head, *lines, "", tail])
            body = {"text": text, "kind": "undelivered"}
            return [Notice(admin_recipient(a), body) for a in sorted(self.admins)]

        return await self.store.report_failures(self.clock(), build)
