"""Targeted in-meeting notifications: the presenter's cues ("you are next", "2 minutes left") shown
on the meeting stage to those officers alone, through Teams' `POST {serviceUrl}/v1/meetings/{id}/
notification` (type `targetedMeetingNotification`, at most 50 recipients a call, RSC permission
`OnlineMeetingNotification.Send.Chat`). The notification opens the meeting page as a task.

The courier hands over the notices whose body carries `meeting_cue` (see bot.features.cues); those
this module cannot deliver (meeting id unknown, recipient's Teams id unknown, Teams refuses) go back
to the courier, which sends their text as a personal message. The SDK's own
`TeamsInfo.send_meeting_notification` awaits a synchronous call and fails, so the request is made
here with the bot's cached token.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.adapter import inbound
from bot.adapter.auth import BotToken
from bot.adapter.wire import Incoming
from bot.net import client_session
from bot.store.base import ConversationRef, Pending, Store
from bot.turns import Turn

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 50  # Teams' limit per call
MEETING_KEY = "meeting:"  # conversation references of meetings: "meeting:<chat id>" -> the meeting id


def meeting_key(chat_id: str) -> str:
    return MEETING_KEY + chat_id


_recorded: OrderedDict[str, str] = OrderedDict()


def meeting_ref(incoming: Incoming, turn: Turn) -> ConversationRef | None:
    """The meeting a chat's activity comes from (Teams puts its id in channelData.meeting), to keep
    beside the chat's own reference; None if the activity names none, or the same as last time."""
    # Typed at the edge (bot.adapter.inbound): channelData is the sender's to shape.
    meeting_id = inbound.ident(inbound.obj(incoming.channel_data.get("meeting")).get("id"), 290)
    if not meeting_id or not turn.chat.is_meeting or _recorded.get(turn.chat.id) == meeting_id:
        return None
    _recorded[turn.chat.id] = meeting_id
    if len(_recorded) > 10_000:
        _recorded.popitem(last=False)
    return ConversationRef(key=meeting_key(turn.chat.id), conversation_id=meeting_id,
                           service_url=incoming.service_url, channel_id=incoming.channel_id,
                           tenant_id=turn.chat.tenant_id, kind="meeting", reference={"meetingId": meeting_id},
                           updated_at=turn.now)


class MeetingCues:
    def __init__(self, store: Store, token: BotToken | None, page_url: str,
                 clock: Callable[[], datetime],
                 session: Callable[[], aiohttp.ClientSession] | None = None) -> None:
        self.store = store
        self.token = token
        self.page_url = page_url
        self.clock = clock
        self._own: aiohttp.ClientSession | None = None
        self._session = session or self._default_session

    def _default_session(self) -> aiohttp.ClientSession:
        if self._own is None or self._own.closed:
            self._own = client_session(timeout=aiohttp.ClientTimeout(total=15))
        return self._own

    async def close(self) -> None:
        if self._own is not None:
            await self._own.close()

    async def deliver(self, pending: list[Pending]) -> list[Pending]:
        """Send the cues among `pending` as meeting notifications; returns what is left for the
        courier (everything else, and the cues that could not go this way)."""
        left: list[Pending] = []
        groups: dict[tuple[str, str, str], list[Pending]] = {}
        for notice in pending:
            cue = notice.body.get("meeting_cue")
            if not isinstance(cue, dict) or not cue.get("chat"):
                left.append(notice)
                continue
            title = str(cue.get("title") or "Action Learning Sets")
            key = (str(cue["chat"]), str(cue.get("kind", "")), title)
            groups.setdefault(key, []).append(notice)
        for (chat_id, kind, title), group in groups.items():
            left += await self._send(chat_id, kind, title, group)
        return left

    async def _user_id(self, recipient: str) -> str | None:
        """The person's Teams user id (29:...), from their personal chat with the bot."""
        if not recipient.startswith("user:"):
            return None
        ref = await self.store.conversation(recipient)
        user = ref.reference.get("user") if ref is not None else None
        found = user.get("id") if isinstance(user, dict) else None
        return str(found) if found else None

    async def _send(self, chat_id: str, kind: str, title: str, group: list[Pending]) -> list[Pending]:
        meeting = await self.store.conversation(meeting_key(chat_id))
        if meeting is None or self.token is None:
            log.info("meeting cue sent as a personal message", extra={"reason": "meeting unknown"})
            return group
        targets: list[tuple[Pending, str]] = []
        fallback: list[Pending] = []
        for notice in group:
            user_id = await self._user_id(notice.recipient)
            if user_id is None:
                fallback.append(notice)
            else:
                targets.append((notice, user_id))
        for start in range(0, len(targets), MAX_RECIPIENTS):
            chunk = targets[start:start + MAX_RECIPIENTS]
            failed = await self._post(meeting, [u for _, u in chunk], kind, title)
            for notice, user_id in chunk:
                if failed is None or user_id in failed:
                    fallback.append(notice)
                else:
                    await self.store.delivered(notice.id, self.clock())
        if fallback:
            log.info("meeting cue sent as a personal message", extra={"count": len(fallback)})
        return fallback

    def _body(self, recipients: list[str], kind: str, title: str) -> dict[str, Any]:
        return {
            "type": "targetedMeetingNotification",
            "value": {
                "recipients": recipients,
                "surfaces": [{
                    "surface": "meetingStage",
                    "contentType": "task",
                    "content": {"value": {"height": "320", "width": "420", "title": title,
                                          "url": f"{self.page_url}?cue={quote(kind)}"}},
                }],
            },
        }

    async def _post(self, meeting: ConversationRef, recipients: list[str], kind: str,
                    title: str) -> set[str] | None:
        """The recipients Teams could not notify, or None if it refused the whole call."""
        assert self.token is not None
        url = (f"{meeting.service_url.rstrip('/')}/v1/meetings/"
               f"{quote(meeting.conversation_id, safe='')}/notification")
        try:
            token = await self.token.fresh()
            async with self._session().post(url, json=self._body(recipients, kind, title),
                                            headers={"Authorization": f"Bearer {token}"}) as response:
                status = response.status
                body: Any = await response.json(content_type=None) if status == 207 else None
        except Exception as error:  # any failure (network, the bot's own token) means the fallback
            log.warning("meeting cue not sent", extra={"error": type(error).__name__})
            return None
        if status in (200, 201, 202):
            log.info("meeting cue sent", extra={"recipients": len(recipients)})
            return set()
        if status == 207 and isinstance(body, dict):
            failures = body.get("recipientsFailureInfo") or []
            failed = {str(f.get("recipientMri")) for f in failures if isinstance(f, dict)}
            log.info("meeting cue sent in part", extra={"failed": len(failed)})
            return failed
        log.warning("meeting cue refused", extra={"status": status})
        return None
