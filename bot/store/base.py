"""The store's interface: use-case methods only, so that the rules never see SQL."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ConversationRef:
    """Where the bot can reach someone or some chat later (proactive messages)."""

    key: str  # "user:<aadObjectId>" for a personal chat, "chat:<conversationId>" otherwise
    conversation_id: str
    service_url: str
    channel_id: str
    tenant_id: str
    kind: str
    reference: dict[str, Any]
    updated_at: datetime


class Store(ABC):
    @abstractmethod
    async def ping(self) -> None:
        """Raise if the store cannot be reached."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def first_sighting(self, activity_id: str, now: datetime) -> bool:
        """Record an incoming activity id; False if it was seen before (a channel retry)."""

    @abstractmethod
    async def record_response(self, activity_id: str, response: dict[str, Any]) -> None:
        """Keep the answer given to an invoke, so that a retry gets the same answer."""

    @abstractmethod
    async def response_for(self, activity_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    async def save_conversation(self, ref: ConversationRef) -> None: ...

    @abstractmethod
    async def conversation(self, key: str) -> ConversationRef | None: ...
