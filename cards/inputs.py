"""Builders for the input and layout elements that forms need, beside those in `cards.elements`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cards.elements import Json, text

YES_NO: tuple[tuple[str, str], ...] = (("Yes", "yes"), ("No", "no"))


def text_input(input_id: str, label: str, value: str = "", *, multiline: bool = False,
               max_length: int | None = None, placeholder: str | None = None,
               style: str | None = None) -> Json:
    element: Json = {"type": "Input.Text", "id": input_id, "label": label, "value": value}
    if multiline:
        element["isMultiline"] = True
    if max_length is not None:
        element["maxLength"] = max_length
    if placeholder:
        element["placeholder"] = placeholder
    if style:
        element["style"] = style
    return element


def choice_set(input_id: str, label: str, choices: Sequence[tuple[str, str]], value: str = "", *,
               expanded: bool = False, placeholder: str | None = None) -> Json:
    """`choices` are (title, value) pairs; a `value` that is not among them selects nothing."""
    known = {v for _, v in choices}
    element: Json = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "choices": [{"title": t, "value": v} for t, v in choices],
        "value": value if value in known else "",
        "style": "expanded" if expanded else "compact",
        "wrap": True,
    }
    if placeholder:
        element["placeholder"] = placeholder
    return element


def toggle(input_id: str, title: str, value: str = "false", *, label: str | None = None) -> Json:
    """A tick box that submits "true" or "false", whatever the client's own default would be."""
    element: Json = {
        "type": "Input.Toggle",
        "id": input_id,
        "title": title,
        "value": "true" if value.strip().lower() == "true" else "false",
        "valueOn": "true",
        "valueOff": "false",
        "wrap": True,
    }
    if label:
        element["label"] = label
    return element


def error_text(field_id: str, message: str) -> Json:
    """A field's error, drawn straight beneath its input in the attention colour."""
    block = text(message, colour="Attention", size="Small", element_id=f"{field_id}__error")
    block["spacing"] = "None"
    return block


def container(items: Iterable[Json], *, style: str | None = None, separator: bool = False,
              element_id: str | None = None) -> Json:
    element: Json = {"type": "Container", "items": list(items)}
    if style:
        element["style"] = style
    if separator:
        element["separator"] = True
        element["spacing"] = "Large"
    if element_id:
        element["id"] = element_id
    return element


def action_set(actions: Iterable[Json]) -> Json:
    return {"type": "ActionSet", "actions": list(actions)}
