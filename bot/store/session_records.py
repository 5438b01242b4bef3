"""Moved to `bot.rules.records` (domain types live in the rules); kept so that imports not yet
moved keep working."""

from bot.rules.records import (
    MAX_ACTIONS,
    REVIEW_STATUSES,
    ActionItem,
    ActionReview,
    Reflection,
    ReflectionKind,
    ReviewStatus,
    SessionRun,
)

__all__ = ["MAX_ACTIONS", "REVIEW_STATUSES", "ActionItem", "ActionReview", "Reflection",
           "ReflectionKind", "ReviewStatus", "SessionRun"]
