"""The reactive turn: an incoming activity into a `Turn`, its `Outcome` into Teams replies, exactly once."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson

from bot.adapter import inbound, replies, wire
from bot.adapter.connector import FastConnector, member_email
from bot.adapter.meeting_cues import meeting_ref
from bot.adapter.wire import Incoming
from bot.commands import Scope
from bot.features.base import Services
from bot.router import route
from bot.store.base import ConversationRef
from bot.store.once import TURN, AlreadyDone, TurnMark
from bot.store.outage import unreachable
from bot.turns import Chat, Kind, Outcome, Person, Reply, Turn

log = logging.getLogger(__name__)

# Teams re-sends within seconds to minutes. The window holds the latest activities with their
# invoke answers (a few KB each: 2,000 of them cost about 8 MB, measured by tests/test_soak.py); a
# re-send that has fallen out of it is caught by the store's marker instead, or, if its turn
# changed nothing, simply done again.
WINDOW_SIZE = 2_000
WINDOW_BODY_LIMIT = 8_000  # bytes of an invoke answer kept in memory; a larger one is not
REPEAT_WAIT_SECONDS = 10.0
STILL_WORKING = "I am still working on that; it will not be done twice."
DONE_BEFORE = "That was done already (Teams sent it twice)."
TRY_AGAIN = ("I cannot reach my records just now, so nothing has been changed. "
             "Please try again in a minute.")
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."

CARD_ACTION = "adaptiveCard/action"
SCOPES = {"personal": Scope.PERSONAL, "groupChat": Scope.GROUP_CHAT, "channel": Scope.TEAM}
# Teams' meeting participant events (they need the OnlineMeetingParticipant.Read.Chat permission).
MEETING_EVENTS = {
    "application/vnd.microsoft.meetingParticipantJoin": "meeting.join",
    "application/vnd.microsoft.meetingParticipantLeave": "meeting.leave",
}


def activity_key(incoming: Incoming) -> str:
    """A short unique key for an activity: Teams retries it with the same id in the same chat."""
    raw = f"{incoming.channel_id}|{incoming.conversation_id}|{incoming.id}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _card_verb(raw: Any) -> str:
    """The verb, if it is one of ours in form; anything else is logged by its shape, never its
    content (a forged verb may carry a person's text)."""
    verb = inbound.verb(raw)
    if not verb and raw:
        log.info("card verb refused", extra={"verb_shape": inbound.describe(raw)})
    return verb


def _kind_verb_data(incoming: Incoming) -> tuple[Kind, str, dict[str, Any]]:
    kind = incoming.type
    if kind == wire.INVOKE and incoming.name == CARD_ACTION:
        action = inbound.obj(inbound.obj(incoming.value).get("action"))
        data = action.get("data")
        if data is not None and not isinstance(data, dict):
            # Not a card of ours: the verb is dropped, and the router answers that the button
            # no longer works (a clear answer, not a failure).
            log.info("card data refused", extra={"data_shape": inbound.describe(data)})
            return Kind.ACTION, "", {}
        return Kind.ACTION, _card_verb(action.get("verb")), dict(data or {})
    if kind == wire.MESSAGE:
        value = inbound.obj(incoming.value)
        if value.get("verb") and not incoming.text.strip():
            # An Action.Submit fallback: the card put its verb into the data it sends.
            data = {k: v for k, v in value.items() if k != "verb"}
            return Kind.ACTION, _card_verb(value["verb"]), data
        return Kind.MESSAGE, "", {}
    if kind == wire.CONVERSATION_UPDATE:
        recipient = incoming.recipient.get("id")
        if recipient and any(inbound.obj(m).get("id") == recipient for m in incoming.members_added):
            return Kind.ADDED, "", {}
    if kind == wire.EVENT and incoming.name in MEETING_EVENTS:
        return Kind.EVENT, MEETING_EVENTS[incoming.name], dict(inbound.obj(incoming.value))
    return Kind.OTHER, "", {}


def to_turn(incoming: Incoming, now: datetime) -> Turn:
    kind, verb, data = _kind_verb_data(incoming)
    conversation = incoming.conversation
    channel_data = incoming.channel_data
    tenant = (inbound.ident(inbound.obj(channel_data.get("tenant")).get("id"))
              or inbound.text(conversation.get("tenantId")))
    sender = incoming.sender
    bot_id = inbound.text(incoming.recipient.get("id"))
    text = incoming.text_without_mention().strip() if kind is Kind.MESSAGE else ""
    return Turn(
        kind=kind,
        activity_id=incoming.id,
        person=Person(
            channel_user_id=inbound.text(sender.get("id")),
            aad_object_id=inbound.text(sender.get("aadObjectId")) or None,
            name=inbound.text(sender.get("name")),
        ),
        chat=Chat(
            id=incoming.conversation_id,
            scope=SCOPES.get(inbound.text(conversation.get("conversationType")) or "personal",
                             Scope.PERSONAL),
            tenant_id=tenant,
            # Teams marks meeting chats in channelData, but not on every activity type.
            is_meeting=bool(inbound.obj(channel_data.get("meeting")).get("id"))
            or incoming.conversation_id.startswith("19:meeting_"),
        ),
        now=now,
        text=text,
        verb=verb,
        data=data,
        mentioned=kind is Kind.MESSAGE and bool(bot_id) and bool(incoming.mentions_of(bot_id)),
    )


def conversation_ref(incoming: Incoming, turn: Turn) -> ConversationRef | None:
    if turn.chat.scope is Scope.PERSONAL:
        if not turn.person.aad_object_id:
            return None
        key = f"user:{turn.person.aad_object_id}"
    else:
        key = f"chat:{turn.chat.id}"
    return ConversationRef(
        key=key,
        conversation_id=turn.chat.id,
        service_url=incoming.service_url,
        channel_id=incoming.channel_id,
        tenant_id=turn.chat.tenant_id,
        kind=turn.chat.scope.value,
        reference=incoming.reference(),
        updated_at=turn.now,
    )


def invoke_body(outcome: Outcome) -> dict[str, Any]:
    """The answer to Action.Execute, built here: the SDK's own AdaptiveCardInvokeResponse path
    answers 500 under CloudAdapter (its body is serialised twice)."""
    if outcome.card is not None:
        return {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": outcome.card}
    text = next((r.text for r in outcome.replies if r.text), None) or "Done."
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


@dataclass
class Exchange:
    """One reactive turn on the wire: the activity, the connector its replies go to, and the
    answer to an invoke (what the HTTP response carries)."""

    incoming: Incoming
    connector: FastConnector
    answer: dict[str, Any] | None = None
    _encoded: tuple[dict[str, Any], bytes] | None = None

    def encoded(self) -> bytes:
        """The answer as the response's JSON, encoded once (the window measures it too)."""
        answer = self.answer if self.answer is not None else {}
        if self._encoded is None or self._encoded[0] is not answer:
            self._encoded = (answer, orjson.dumps(answer))
        return self._encoded[1]

    async def send(self, body: dict[str, Any]) -> None:
        conversation = quote(self.incoming.conversation_id, safe="")
        reply_to = body.get("replyToId")
        path = (f"v3/conversations/{conversation}/activities/{quote(reply_to, safe='')}" if reply_to
                else f"v3/conversations/{conversation}/activities")
        await self.connector.call("POST", path, body, "reply")


class TeamsBot:
    """Answers reactive turns from the wire (bot.adapter.wire says why not through the SDK)."""

    def __init__(self, services: Services, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.services = services
        self.clock = clock
        self._emails: OrderedDict[str, str | None] = OrderedDict()
        # The activities this instance has seen lately, each with its invoke answer once known.
        self._window: OrderedDict[str, asyncio.Future[dict[str, Any] | None]] = OrderedDict()

    async def _email(self, exchange: Exchange, turn: Turn) -> str | None:
        """The sender's e-mail address from their Teams profile, looked up once per person."""
        aad = turn.person.aad_object_id
        if not aad:
            return None
        if aad in self._emails:
            return self._emails[aad]
        email: str | None = None
        if turn.chat.scope is Scope.PERSONAL:
            known = await self.services.store.conversation(f"user:{aad}")
            email = known.email if known else None
        if email is None:
            try:
                email = await member_email(exchange.connector, exchange.incoming,
                                           turn.person.channel_user_id)
            except Exception as error:
                log.info("profile lookup failed", extra={"error": type(error).__name__})
                return None
        self._emails[aad] = email
        if len(self._emails) > 10_000:
            self._emails.popitem(last=False)
        return email

    async def on_turn(self, exchange: Exchange) -> None:
        """One activity, answered exactly once (bot.store.once explains the design):

        - a re-send that reaches this instance while the first is in flight, or after it, is
          answered from the in-memory window: the same invoke answer, no second reply, and no
          database round trip;
        - one that reaches another instance, or this one after a restart, is done again, unless
          its work was committed: then the store's marker refuses the work (AlreadyDone) and the
          answer recorded with it is given;
        - nothing is marked done unless it committed, so a crash, a failure or a database outage
          leaves the activity to be done by Teams' re-send.
        """
        incoming = exchange.incoming
        is_invoke = incoming.type == wire.INVOKE
        key = activity_key(incoming) if incoming.id else None
        if key is not None:
            earlier = self._window.get(key)
            if earlier is not None:
                log.info("repeated activity", extra={"activity_type": incoming.type})
                if is_invoke:
                    try:
                        same = await asyncio.wait_for(asyncio.shield(earlier), REPEAT_WAIT_SECONDS)
                    except TimeoutError:
                        same = invoke_body(Outcome.say(STILL_WORKING))
                    # None: an answer too large to keep in memory; the store has it if it changed
                    # anything, and otherwise doing nothing again is the truthful answer.
                    exchange.answer = (same or await self._recorded(key)
                                       or invoke_body(Outcome.say(DONE_BEFORE)))
                return
            answer: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
            self._remember(key, answer)
        done = False
        body: dict[str, Any] | None = None
        try:
            body, done = await self._turn(exchange, key)
        except Exception:
            # A fault outside the product's own handling: still an answer, never a 501 or 500.
            log.exception("activity failed", extra={"activity_type": incoming.type})
            if is_invoke:
                body = exchange.answer = invoke_body(Outcome.say(SORRY))
        finally:
            if key is not None:
                if not done:
                    # Not done (an outage, a fault): a re-send must try again.
                    self._window.pop(key, None)
                # `body` is the exchange's answer (None for an activity that is not an invoke).
                small = body is None or len(exchange.encoded()) <= WINDOW_BODY_LIMIT
                answer.set_result(body if small else None)

    def _remember(self, key: str, answer: asyncio.Future[dict[str, Any] | None]) -> None:
        self._window[key] = answer
        while len(self._window) > WINDOW_SIZE:
            self._window.popitem(last=False)

    async def _turn(self, exchange: Exchange, key: str | None) -> tuple[dict[str, Any] | None, bool]:
        """Do the turn; returns the invoke answer (None for other activities) and whether the
        activity counts as handled (False: a re-send should do it again)."""
        incoming = exchange.incoming
        now = self.clock()
        is_invoke = incoming.type == wire.INVOKE
        turn = to_turn(incoming, now)
        mark = TurnMark(key, now) if key is not None else None
        done = True
        try:
            if turn.kind not in (Kind.OTHER, Kind.EVENT):
                turn = replace(turn, person=replace(turn.person, email=await self._email(exchange, turn)))
            ref = conversation_ref(incoming, turn)
            if ref is not None:
                await self.services.store.save_conversation(replace(ref, email=turn.person.email))
            meeting = meeting_ref(incoming, turn)  # for targeted in-meeting notifications
            if meeting is not None:
                await self.services.store.save_conversation(meeting)
            if is_invoke and incoming.name != CARD_ACTION:
                exchange.answer = {}
                return exchange.answer, True
            token = TURN.set(mark)
            try:
                outcome = await route(self.services, turn)
            finally:
                TURN.reset(token)
        except AlreadyDone:
            log.info("activity done before (re-sent after a restart or to another instance)",
                     extra={"activity_type": incoming.type})
            earlier = await self._recorded(key) if is_invoke else None
            if earlier is not None:
                exchange.answer = earlier
                return earlier, True
            outcome = Outcome.say(DONE_BEFORE)
        except Exception as error:
            done = False
            if unreachable(error):
                log.warning("store unreachable: the person is asked to try again",
                            extra={"activity_type": incoming.type, "error": type(error).__name__})
                outcome = Outcome.say(TRY_AGAIN)
            else:
                log.exception("turn failed", extra={"activity_type": incoming.type, "verb": turn.verb})
                outcome = Outcome.say(SORRY)
        if turn.kind in (Kind.OTHER, Kind.EVENT) and not is_invoke and not outcome.replies \
                and outcome.card is None:
            return None, done
        recipient = _outbox_address(turn)
        if is_invoke:
            body = invoke_body(outcome)  # within Teams' size: the router saw to it (cards.budget)
            if mark is not None and mark.claimed and key is not None:
                await self._record(key, body)
            extra = outcome.replies if outcome.card is not None else outcome.replies[1:]
            await self._send(exchange, extra, recipient, now)
            exchange.answer = body
            return body, done
        sent = list(outcome.replies)
        if outcome.card is not None:
            sent.insert(0, Reply(card=outcome.card))
        await self._send(exchange, sent, recipient, now)
        return None, done

    async def _recorded(self, key: str | None) -> dict[str, Any] | None:
        if key is None:
            return None
        try:
            return await self.services.store.response_for(key)
        except Exception as error:
            log.warning("recorded answer unavailable", extra={"error": type(error).__name__})
            return None

    async def _record(self, key: str, body: dict[str, Any]) -> None:
        try:
            await self.services.store.record_response(key, body)
        except Exception as error:
            # The work is committed; a re-send elsewhere gets DONE_BEFORE instead of this answer.
            log.warning("invoke answer not recorded", extra={"error": type(error).__name__})

    async def _send(self, exchange: Exchange, outgoing: list[Reply], recipient: str | None,
                    now: datetime) -> None:
        incoming = exchange.incoming

        async def one(reply: Reply) -> None:
            if reply.card is not None:
                await exchange.send(wire.card_reply(incoming, reply.card))
            elif reply.text:
                await exchange.send(wire.text_reply(incoming, reply.text))

        if outgoing:
            await replies.send_all(outgoing, one, store=self.services.store, recipient=recipient,
                                   now=now, kick=self.services.kick)


def _outbox_address(turn: Turn) -> str | None:
    """Where the courier can deliver a reply that could not be sent now (a saved conversation)."""
    if turn.chat.scope is Scope.PERSONAL:
        return f"user:{turn.person.aad_object_id}" if turn.person.aad_object_id else None
    return f"chat:{turn.chat.id}"
