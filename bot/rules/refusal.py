"""A refusal as a value: what a use case, a rule or a card action's parser answers instead of a result.

A function that may refuse returns `Result | Refusal`; callers test `isinstance(x, Refusal)` rather
than comparing display text or telling a string from a result.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """Why something was not done, worded for the person who asked."""

    message: str
