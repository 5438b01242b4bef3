"""Activities as the channel sends and takes them: the checked JSON object, read and written as is.

The SDK turns every incoming activity into msrest models and every reply back into JSON: about
half a millisecond a turn, more than everything else the bot does to answer a card action. A
reactive turn needs a dozen fields, so it reads them here from the JSON that `bot.adapter.inbound`
checked, and writes its replies and conversation references in the same camelCase wire form the
SDK's `TurnContext` and `ConversationReference` would produce. Proactive messages (the courier,
the chats) still go through the SDK: they are not on the hot path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.adapter import inbound

MESSAGE = "message"
INVOKE = "invoke"
CONVERSATION_UPDATE = "conversationUpdate"
EVENT = "event"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_AT_TAGS = re.compile(r"</?at>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Incoming:
    """An incoming activity; `body` has passed `inbound.check`, so the ids it names are clean
    strings and the objects it names are objects."""

    body: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.body["type"])

    @property
    def id(self) -> str:
        return inbound.text(self.body.get("id"))

    @property
    def name(self) -> str:
        return inbound.text(self.body.get("name"))

    @property
    def channel_id(self) -> str:
        return str(self.body["channelId"])

    @property
    def service_url(self) -> str:
        return str(self.body["serviceUrl"])

    @property
    def conversation(self) -> dict[str, Any]:
        return inbound.obj(self.body.get("conversation"))

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["id"])

    @property
    def sender(self) -> dict[str, Any]:
        return inbound.obj(self.body.get("from"))

    @property
    def recipient(self) -> dict[str, Any]:
        return inbound.obj(self.body.get("recipient"))

    @property
    def value(self) -> Any:
        return self.body.get("value")

    @property
    def text(self) -> str:
        return inbound.text(self.body.get("text"))

    @property
    def locale(self) -> str | None:
        return self.body.get("locale") or None

    @property
    def channel_data(self) -> dict[str, Any]:
        return inbound.obj(self.body.get("channelData"))

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.body.get("entities") or [])

    @property
    def members_added(self) -> list[dict[str, Any]]:
        return list(self.body.get("membersAdded") or [])

    def mentions_of(self, account_id: str) -> list[dict[str, Any]]:
        """The mention entities that name this account."""
        return [e for e in self.entities if e.get("type") == "mention"
                and inbound.obj(e.get("mentioned")).get("id") == account_id]

    def text_without_mention(self) -> str:
        """The text with the bot's @mention taken out, as the SDK's `remove_recipient_mention`."""
        text = self.text
        bot_id = inbound.text(self.recipient.get("id"))
        for mention in self.mentions_of(bot_id) if bot_id else []:
            said = inbound.text(mention.get("text"))
            if said:
                text = text.replace(said, "")
        return _AT_TAGS.sub("", text) if "<at" in text.lower() else text

    def reference(self) -> dict[str, Any]:
        """The conversation reference, in `ConversationReference.serialize()`'s form."""
        found = {"activityId": self.id or None, "user": self.body.get("from"),
                 "bot": self.body.get("recipient"), "conversation": self.body.get("conversation"),
                 "channelId": self.channel_id, "locale": self.locale, "serviceUrl": self.service_url}
        return {k: v for k, v in found.items() if v is not None}

    def reply(self, **content: Any) -> dict[str, Any]:
        """A reply to this activity, addressed as `TurnContext.send_activity` addresses one."""
        body: dict[str, Any] = {"type": MESSAGE, **content, "channelId": self.channel_id,
                                "serviceUrl": self.service_url, "conversation": self.body.get("conversation")}
        if self.recipient:
            body["from"] = self.recipient
        if self.sender:
            body["recipient"] = self.sender
        if self.locale:
            body["locale"] = self.locale
        if self.id:
            body["replyToId"] = self.id
        return body


def text_reply(incoming: Incoming, text: str) -> dict[str, Any]:
    """As `MessageFactory.text`."""
    return incoming.reply(text=text, inputHint="acceptingInput")


def card_reply(incoming: Incoming, card: dict[str, Any]) -> dict[str, Any]:
    """As `MessageFactory.attachment(CardFactory.adaptive_card(card))`."""
    return incoming.reply(attachmentLayout="list",
                          attachments=[{"contentType": ADAPTIVE_CARD, "content": card}])
