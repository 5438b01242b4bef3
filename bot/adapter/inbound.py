"""The edge: an incoming body is checked and converted before the SDK or the store sees it.

Anything can arrive at `/api/messages`, before authentication and from a signed channel alike: a
`value` that is a list, a conversation id holding NUL (which PostgreSQL refuses to store) or a lone
surrogate (which no encoder accepts), an object where a string belongs, JSON nested deeper than
the interpreter's stack. Each such fault used to surface deep inside a turn as a 500 or 501 with
an empty body. Here the body is walked once, iteratively (no recursion to exhaust):

- free text (messages, card entries, names) is repaired: NUL removed, lone surrogates replaced by
  U+FFFD, so that what a person typed is kept and can be stored;
- the fields the bot relies on (ids, the service URL, the conversation) must have their types and
  be clean, or the request is refused with a clear 400 that names the field;
- typed converters (`obj`, `text`, `verb`) read the rest without trusting its shape.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 32  # a real activity nests about six deep; an Adaptive Card's data a few more
# The longest of each id that the store keeps (bot.store.tables): Teams' own are far shorter.
MAX_ID = {"id": 200, "serviceUrl": 500, "channelId": 50, "conversation.id": 290, "tenantId": 100,
          "from.id": 290, "from.aadObjectId": 100, "recipient.id": 290, "recipient.aadObjectId": 100}
# Card verbs are dotted lower-case words (cards.verbs.Verb); anything else is not a verb of ours.
VERB = re.compile(r"[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)*")
MAX_VERB = 64
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Refused(ValueError):
    """The body is not an activity that the bot can read; the message says why (HTTP 400)."""


def _repair(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "")
    if _LONE_SURROGATE.search(value):
        value = _LONE_SURROGATE.sub("\ufffd", value)
    return value


def clean(body: Any) -> Any:
    """A copy of a parsed JSON body with every string repaired; Refused if nested too deeply."""
    root: list[Any] = [body]
    stack: list[tuple[Any, Any, Any, int]] = [(root, 0, body, 0)]
    while stack:
        parent, slot, value, depth = stack.pop()
        if isinstance(value, str):
            parent[slot] = _repair(value)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise Refused("the activity is nested too deeply")
            if isinstance(value, dict):
                copy: Any = {}
                for k, v in value.items():
                    copy[_repair(k)] = v
                    stack.append((copy, _repair(k), v, depth + 1))
            else:
                copy = list(value)
                stack.extend((copy, i, v, depth + 1) for i, v in enumerate(value))
            parent[slot] = copy
    return root[0]


def _ident(value: Any, name: str, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise Refused(f"{name} must be a non-empty string")
    if len(value) > MAX_ID.get(name, 290) or not value.isprintable():
        raise Refused(f"{name} is not a valid id")


def plain(body: bytes) -> bool:
    """Whether a JSON text can hold nothing to repair and cannot nest too deeply, so that its
    parsed form need not be walked: NUL and lone surrogates arrive only as `\\u` escapes or, for
    surrogates, as UTF-8-encoded surrogates (which start with the byte 0xED; json decodes with
    "surrogatepass"), and nesting needs brackets."""
    return b"\\u" not in body and b"\xed" not in body and body.count(b"{") + body.count(b"[") < MAX_DEPTH


def check(raw: dict[str, Any], *, walk: bool = True) -> dict[str, Any]:
    """The activity, repaired; Refused (with the field's name) where a field the bot needs is
    missing or of the wrong kind. `raw` is a parsed JSON object with a string `type`; `walk`
    False: its text is `plain`, so it is returned as it is once its fields are checked."""
    for name in ("id", "serviceUrl", "channelId"):
        # Checked before repair: an id with NUL in it is not a near miss to be corrected.
        _ident(raw.get(name), name, required=name != "id")
    service_url = raw["serviceUrl"]
    if not service_url.startswith(("https://", "http://")):
        raise Refused("serviceUrl must be an http(s) URL")
    conversation = raw.get("conversation")
    if not isinstance(conversation, dict):
        raise Refused("conversation must be an object")
    _ident(conversation.get("id"), "conversation.id", required=True)
    _ident(conversation.get("tenantId"), "tenantId", required=False)
    for name in ("conversationType", "name"):
        if conversation.get(name) is not None and not isinstance(conversation.get(name), str):
            raise Refused(f"conversation.{name} must be a string")
    for party in ("from", "recipient"):
        who = raw.get(party)
        if who is None:
            continue
        if not isinstance(who, dict):
            raise Refused(f"{party} must be an object")
        _ident(who.get("id"), f"{party}.id", required=False)
        _ident(who.get("aadObjectId"), f"{party}.aadObjectId", required=False)
        if who.get("name") is not None and not isinstance(who.get("name"), str):
            raise Refused(f"{party}.name must be a string")
    for name in ("text", "name", "locale", "textFormat"):
        if raw.get(name) is not None and not isinstance(raw.get(name), str):
            raise Refused(f"{name} must be a string")
    for name in ("entities", "membersAdded", "membersRemoved", "attachments"):
        items = raw.get(name)
        if items is not None and not (isinstance(items, list) and all(isinstance(i, dict) for i in items)):
            raise Refused(f"{name} must be a list of objects")
    if raw.get("channelData") is not None and not isinstance(raw.get("channelData"), dict):
        raise Refused("channelData must be an object")
    if not walk:
        return raw
    repaired: dict[str, Any] = clean(raw)
    return repaired


# Typed converters for the parts whose shape is the sender's business (card data, channel data).


def obj(value: Any) -> dict[str, Any]:
    """An object, or an empty one where something else was sent."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def ident(value: Any, longest: int = 100) -> str:
    """An id from a part the channel does not type for us (channelData): "" unless it is one."""
    ok = isinstance(value, str) and 0 < len(value) <= longest and value.isprintable()
    return value if ok else ""


def verb(value: Any) -> str:
    """A card verb if it looks like one of ours, else ""; never the sender's text."""
    return value if isinstance(value, str) and len(value) <= MAX_VERB and VERB.fullmatch(value) else ""


def describe(value: Any) -> str:
    """What a refused value was, for the log: its type and length, never its content."""
    size = len(value) if isinstance(value, str | list | dict) else 0
    return f"{type(value).__name__}[{size}]"
