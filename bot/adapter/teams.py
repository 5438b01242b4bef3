"""The bot as the SDK sees it: translates activities into turns, and outcomes into Teams replies."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import Bot, BotAdapter, CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.adapter import inbound, replies
from bot.adapter.connector import profile_email
from bot.adapter.meeting_cues import meeting_ref
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
WINDOW_BODY_LIMIT = 8_000  # characters of an invoke answer kept in memory; a larger one is not
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


def activity_key(activity: Activity) -> str:
    """A short unique key for an activity: Teams retries it with the same id in the same chat."""
    raw = f"{activity.channel_id}|{activity.conversation.id}|{activity.id}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _card_verb(raw: Any) -> str:
    """The verb, if it is one of ours in form; anything else is logged by its shape, never its
    content (a forged verb may carry a person's text)."""
    verb = inbound.verb(raw)
    if not verb and raw:
        log.info("card verb refused", extra={"verb_shape": inbound.describe(raw)})
    return verb


def _kind_verb_data(activity: Activity) -> tuple[Kind, str, dict[str, Any]]:
    if activity.type == ActivityTypes.invoke and activity.name == CARD_ACTION:
        action = inbound.obj(inbound.obj(activity.value).get("action"))
        data = action.get("data")
        if data is not None and not isinstance(data, dict):
            # Not a card of ours: the verb is dropped, and the router answers that the button
            # no longer works (a clear answer, not a failure).
            log.info("card data refused", extra={"data_shape": inbound.describe(data)})
            return Kind.ACTION, "", {}
        return Kind.ACTION, _card_verb(action.get("verb")), dict(data or {})
    if activity.type == ActivityTypes.message:
        value = inbound.obj(activity.value)
        if value.get("verb") and not inbound.text(activity.text).strip():
            # An Action.Submit fallback: the card put its verb into the data it sends.
            data = {k: v for k, v in value.items() if k != "verb"}
            return Kind.ACTION, _card_verb(value["verb"]), data
        return Kind.MESSAGE, "", {}
    if activity.type == ActivityTypes.conversation_update:
        added = activity.members_added or []
        recipient = activity.recipient.id if activity.recipient else None
        if recipient and any(m.id == recipient for m in added):
            return Kind.ADDED, "", {}
    if activity.type == ActivityTypes.event and activity.name in MEETING_EVENTS:
        return Kind.EVENT, MEETING_EVENTS[activity.name], dict(inbound.obj(activity.value))
    return Kind.OTHER, "", {}


def _mentions_bot(activity: Activity) -> bool:
    recipient = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = inbound.obj(entity.additional_properties)
        mentioned = inbound.obj(props.get("mentioned"))
        if entity.type == "mention" and recipient and mentioned.get("id") == recipient:
            return True
    return False


def to_turn(activity: Activity, now: datetime) -> Turn:
    kind, verb, data = _kind_verb_data(activity)
    conversation = activity.conversation
    channel_data = inbound.obj(activity.channel_data)
    tenant = inbound.ident(inbound.obj(channel_data.get("tenant")).get("id")) or conversation.tenant_id or ""
    sender = activity.from_property
    text = ""
    if kind is Kind.MESSAGE:
        try:
            text = (TurnContext.remove_recipient_mention(activity) or "").strip()
        except Exception:  # a mention entity not in the schema's shape: read the text as it is
            text = inbound.text(activity.text).strip()
    return Turn(
        kind=kind,
        activity_id=activity.id or "",
        person=Person(
            channel_user_id=sender.id if sender else "",
            aad_object_id=(sender.aad_object_id or None) if sender else None,
            name=(sender.name or "") if sender else "",
        ),
        chat=Chat(
            id=conversation.id,
            scope=SCOPES.get(conversation.conversation_type or "personal", Scope.PERSONAL),
            tenant_id=str(tenant),
            # Teams marks meeting chats in channelData, but not on every activity type.
            is_meeting=bool(inbound.obj(channel_data.get("meeting")).get("id"))
            or conversation.id.startswith("19:meeting_"),
        ),
        now=now,
        text=text,
        verb=verb,
        data=data,
        mentioned=kind is Kind.MESSAGE and _mentions_bot(activity),
    )


_REFERENCES: OrderedDict[tuple[str | None, ...], dict[str, Any]] = OrderedDict()


def conversation_ref(activity: Activity, turn: Turn) -> ConversationRef | None:
    if turn.chat.scope is Scope.PERSONAL:
        if not turn.person.aad_object_id:
            return None
        key = f"user:{turn.person.aad_object_id}"
    else:
        key = f"chat:{turn.chat.id}"
    # The reference says who and where; only its activity id changes from one activity to the
    # next, and a proactive message may answer any earlier activity of the conversation. So it is
    # serialised (msrest, a third of a millisecond) once per conversation and sender.
    sender, bot = activity.from_property, activity.recipient
    seen = (key, activity.service_url, activity.channel_id, turn.chat.id, turn.chat.tenant_id,
            activity.locale, sender.id if sender else None, sender.name if sender else None,
            bot.id if bot else None, bot.name if bot else None)
    reference = _REFERENCES.get(seen)
    if reference is None:
        reference = TurnContext.get_conversation_reference(activity).serialize()
        _REFERENCES[seen] = reference
        if len(_REFERENCES) > 10_000:
            _REFERENCES.popitem(last=False)
    return ConversationRef(
        key=key,
        conversation_id=turn.chat.id,
        service_url=activity.service_url or "",
        channel_id=activity.channel_id or "",
        tenant_id=turn.chat.tenant_id,
        kind=turn.chat.scope.value,
        reference=reference,
        updated_at=turn.now,
    )


def invoke_body(outcome: Outcome) -> dict[str, Any]:
    """The answer to Action.Execute, built here: the SDK's own AdaptiveCardInvokeResponse path
    answers 500 under CloudAdapter (its body is serialised twice)."""
    if outcome.card is not None:
        return {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": outcome.card}
    text = next((r.text for r in outcome.replies if r.text), None) or "Done."
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


class TeamsBot(Bot):
    def __init__(self, services: Services, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.services = services
        self.clock = clock
        self._emails: OrderedDict[str, str | None] = OrderedDict()
        # The activities this instance has seen lately, each with its invoke answer once known.
        self._window: OrderedDict[str, asyncio.Future[dict[str, Any] | None]] = OrderedDict()

    async def _email(self, context: TurnContext, turn: Turn) -> str | None:
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
                email = await profile_email(context, turn.person.channel_user_id)
            except Exception as error:
                log.info("profile lookup failed", extra={"error": type(error).__name__})
                return None
        self._emails[aad] = email
        if len(self._emails) > 10_000:
            self._emails.popitem(last=False)
        return email

    async def on_turn(self, context: TurnContext) -> None:
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
        activity = context.activity
        key = activity_key(activity) if activity.id else None
        if key is not None:
            earlier = self._window.get(key)
            if earlier is not None:
                log.info("repeated activity", extra={"activity_type": activity.type})
                if activity.type == ActivityTypes.invoke:
                    try:
                        same = await asyncio.wait_for(asyncio.shield(earlier), REPEAT_WAIT_SECONDS)
                    except TimeoutError:
                        same = invoke_body(Outcome.say(STILL_WORKING))
                    # None: an answer too large to keep in memory; the store has it if it changed
                    # anything, and otherwise doing nothing again is the truthful answer.
                    same = same or await self._recorded(key) or invoke_body(Outcome.say(DONE_BEFORE))
                    await self._answer_invoke(context, same)
                return
            answer: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
            self._remember(key, answer)
        done = False
        body: dict[str, Any] | None = None
        try:
            body, done = await self._turn(context, activity, key)
        except Exception:
            # A fault outside the product's own handling: still an answer, never a 501 or 500.
            log.exception("activity failed", extra={"activity_type": activity.type})
            if activity.type == ActivityTypes.invoke:
                body = invoke_body(Outcome.say(SORRY))
                await self._answer_invoke(context, body)
        finally:
            if key is not None:
                if not done:
                    # Not done (an outage, a fault): a re-send must try again.
                    self._window.pop(key, None)
                small = body is None or len(json.dumps(body, separators=(",", ":"))) <= WINDOW_BODY_LIMIT
                answer.set_result(body if small else None)

    def _remember(self, key: str, answer: asyncio.Future[dict[str, Any] | None]) -> None:
        self._window[key] = answer
        while len(self._window) > WINDOW_SIZE:
            self._window.popitem(last=False)

    async def _turn(self, context: TurnContext, activity: Activity,
                    key: str | None) -> tuple[dict[str, Any] | None, bool]:
        """Do the turn; returns the invoke answer (None for other activities) and whether the
        activity counts as handled (False: a re-send should do it again)."""
        now = self.clock()
        is_invoke = activity.type == ActivityTypes.invoke
        turn = to_turn(activity, now)
        mark = TurnMark(key, now) if key is not None else None
        done = True
        try:
            if turn.kind not in (Kind.OTHER, Kind.EVENT):
                turn = replace(turn, person=replace(turn.person, email=await self._email(context, turn)))
            ref = conversation_ref(activity, turn)
            if ref is not None:
                await self.services.store.save_conversation(replace(ref, email=turn.person.email))
            meeting = meeting_ref(activity, turn)  # for targeted in-meeting notifications
            if meeting is not None:
                await self.services.store.save_conversation(meeting)
            if is_invoke and activity.name != CARD_ACTION:
                await self._answer_invoke(context, {})
                return {}, True
            token = TURN.set(mark)
            try:
                outcome = await route(self.services, turn)
            finally:
                TURN.reset(token)
        except AlreadyDone:
            log.info("activity done before (re-sent after a restart or to another instance)",
                     extra={"activity_type": activity.type})
            earlier = await self._recorded(key) if is_invoke else None
            if earlier is not None:
                await self._answer_invoke(context, earlier)
                return earlier, True
            outcome = Outcome.say(DONE_BEFORE)
        except Exception as error:
            done = False
            if unreachable(error):
                log.warning("store unreachable: the person is asked to try again",
                            extra={"activity_type": activity.type, "error": type(error).__name__})
                outcome = Outcome.say(TRY_AGAIN)
            else:
                log.exception("turn failed", extra={"activity_type": activity.type, "verb": turn.verb})
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
            await self._send(context, extra, recipient, now)
            await self._answer_invoke(context, body)
            return body, done
        sent = list(outcome.replies)
        if outcome.card is not None:
            sent.insert(0, Reply(card=outcome.card))
        await self._send(context, sent, recipient, now)
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

    async def _send(self, context: TurnContext, outgoing: list[Reply], recipient: str | None,
                    now: datetime) -> None:
        async def one(reply: Reply) -> None:
            if reply.card is not None:
                await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(reply.card)))
            elif reply.text:
                await context.send_activity(MessageFactory.text(reply.text))

        if outgoing:
            await replies.send_all(outgoing, one, store=self.services.store, recipient=recipient,
                                   now=now, kick=self.services.kick)

    @staticmethod
    async def _answer_invoke(context: TurnContext, body: dict[str, Any]) -> None:
        # Put where CloudAdapter looks for it, as its `send_activities` does: `send_activity`
        # would first deep-copy the whole card (a third of a millisecond a turn).
        answer = Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
        context.turn_state[BotAdapter._INVOKE_RESPONSE_KEY] = answer


def _outbox_address(turn: Turn) -> str | None:
    """Where the courier can deliver a reply that could not be sent now (a saved conversation)."""
    if turn.chat.scope is Scope.PERSONAL:
        return f"user:{turn.person.aad_object_id}" if turn.person.aad_object_id else None
    return f"chat:{turn.chat.id}"
