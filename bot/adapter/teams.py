"""The bot as the SDK sees it: translates activities into turns, and outcomes into Teams replies."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import Bot, BotAdapter, CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.adapter.connector import profile_email
from bot.adapter.meeting_cues import meeting_ref
from bot.commands import Scope
from bot.features.base import Services
from bot.router import route
from bot.store.base import ConversationRef
from bot.turns import Chat, Kind, Outcome, Person, Reply, Turn

log = logging.getLogger(__name__)

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


def _kind_verb_data(activity: Activity) -> tuple[Kind, str, dict[str, Any]]:
    if activity.type == ActivityTypes.invoke and activity.name == CARD_ACTION:
        action = (activity.value or {}).get("action") or {}
        return Kind.ACTION, str(action.get("verb") or ""), dict(action.get("data") or {})
    if activity.type == ActivityTypes.message:
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("verb") and not (activity.text or "").strip():
            # An Action.Submit fallback: the card put its verb into the data it sends.
            data = {k: v for k, v in value.items() if k != "verb"}
            return Kind.ACTION, str(value["verb"]), data
        return Kind.MESSAGE, "", {}
    if activity.type == ActivityTypes.conversation_update:
        added = activity.members_added or []
        if any(m.id == activity.recipient.id for m in added):
            return Kind.ADDED, "", {}
    if activity.type == ActivityTypes.event and activity.name in MEETING_EVENTS:
        value = activity.value if isinstance(activity.value, dict) else {}
        return Kind.EVENT, MEETING_EVENTS[activity.name], dict(value)
    return Kind.OTHER, "", {}


def _mentions_bot(activity: Activity) -> bool:
    recipient = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") or {}
        if entity.type == "mention" and recipient and mentioned.get("id") == recipient:
            return True
    return False


def to_turn(activity: Activity, now: datetime) -> Turn:
    kind, verb, data = _kind_verb_data(activity)
    conversation = activity.conversation
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (channel_data.get("tenant") or {}).get("id") or conversation.tenant_id or ""
    sender = activity.from_property
    text = ""
    if kind is Kind.MESSAGE:
        text = (TurnContext.remove_recipient_mention(activity) or "").strip()
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
            is_meeting=bool((channel_data.get("meeting") or {}).get("id"))
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
        activity = context.activity
        now = self.clock()
        turn = to_turn(activity, now)
        is_invoke = activity.type == ActivityTypes.invoke
        key = activity_key(activity)
        if activity.id and not await self.services.store.first_sighting(key, now):
            log.info("repeated activity ignored", extra={"activity_type": activity.type})
            if is_invoke:
                earlier = await self.services.store.response_for(key)
                await self._answer_invoke(context, earlier or invoke_body(Outcome.say(
                    "I am still working on that; it will not be done twice.")))
            return
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
            return
        try:
            outcome = await route(self.services, turn)
        except Exception:
            log.exception("turn failed", extra={"activity_type": activity.type, "verb": turn.verb[:40]})
            outcome = Outcome.say("Sorry, something went wrong on my side. Please try again in a moment.")
        if is_invoke:
            body = invoke_body(outcome)
            await self.services.store.record_response(key, body)
            replies = outcome.replies if outcome.card is not None else outcome.replies[1:]
            await self._send(context, Outcome(replies=replies))
            await self._answer_invoke(context, body)
        else:
            if outcome.card is not None:
                outcome.replies.insert(0, Reply(card=outcome.card))
            await self._send(context, outcome)

    async def _send(self, context: TurnContext, outcome: Outcome) -> None:
        for reply in outcome.replies:
            if reply.card is not None:
                await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(reply.card)))
            elif reply.text:
                await context.send_activity(MessageFactory.text(reply.text))

    @staticmethod
    async def _answer_invoke(context: TurnContext, body: dict[str, Any]) -> None:
        # Put where CloudAdapter looks for it, as its `send_activities` does: `send_activity`
        # would first deep-copy the whole card (a third of a millisecond a turn).
        answer = Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
        context.turn_state[BotAdapter._INVOKE_RESPONSE_KEY] = answer

