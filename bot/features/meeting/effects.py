"""Carrying out a session's decisions: the private messages they call for (queued with the save),
the session card drawn and kept up to date in the chat (after it), and `change_session`, the one
path from a command or the clock to a saved state: load, decide, save if unchanged, act."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.features import cues
from bot.features.base import Services
from bot.features.change import Decided, Lost, change
from bot.features.meeting.context import SetContext
from bot.features.people import facilitator_key, officer_key
from bot.rules import session as s
from bot.rules.airtime import AirtimePhase
from bot.rules.booking import Team
from bot.rules.records import ActionItem, SessionRun
from bot.store.base import Notice
from cards import session as cards

log = logging.getLogger(__name__)

LOST = "Others changed the session at the same moment: please try again."

# One lock per session card while it is being drawn; weakly held, so that a lock goes once no
# drawing holds or awaits it, and the table stays as small as the sessions running now.
_card_locks: weakref.WeakValueDictionary[tuple[str, int], asyncio.Lock] = weakref.WeakValueDictionary()


def _card_lock(set_key: str, number: int) -> asyncio.Lock:
    lock = _card_locks.get((set_key, number))
    if lock is None:
        lock = asyncio.Lock()
        _card_locks[(set_key, number)] = lock
    return lock


# What the card and the review need from the store --------------------------------------------------

async def last_airtime(services: Services, set_key: str, team_id: str, number: int) -> int | None:
    """The latest session before `number` in which the team had airtime (in "a few each session"
    a team may skip sessions), or None if it has not presented yet."""
    runs = await services.store.session_runs_of(set_key)
    had = [r.number for r in runs if r.number < number and team_id in {t.team for t in r.state.turns}]
    return max(had, default=None)


async def last_actions(services: Services, set_key: str, team_id: str,
                       number: int) -> tuple[int, list[ActionItem]] | None:
    """The session of the team's last airtime and the actions it set there, if any."""
    last = await last_airtime(services, set_key, team_id, number)
    if last is None:
        return None
    items = await services.store.actions_of(set_key, team_id, last)
    return (last, items) if items else None


async def challenge_title(services: Services, set_key: str, team: Team) -> str | None:
    """The team's current challenge title: the latest version an officer saved, its title or else
    its first line. Confidential to the set: shown only in the set's own chat."""
    for officer in team.officers:
        found = await services.store.latest_challenge(set_key, officer.email)
        if found is not None:
            title = found.title.strip() or next(iter(found.text.strip().splitlines()), "")
            if title:
                return title
    return None


async def render(services: Services, ctx: SetContext, run: SessionRun, now: datetime) -> dict[str, Any]:
    view = s.view(run.state, now, ctx.names)
    last: tuple[str, ...] = ()
    saved_review = None
    if view.phase is AirtimePhase.REVIEW and view.presenter_id:
        found = await last_actions(services, run.set_key, view.presenter_id, run.number)
        if found is not None:
            last = tuple(i.text for i in found[1])
            saved_review = await services.store.review_of(run.set_key, view.presenter_id, found[0])
    challenges: dict[str, str] = {}
    updates: list[tuple[str, tuple[str, ...]]] = []
    if run.state.stage is not s.Stage.ENDED:
        for row in view.rows:
            team = ctx.team(row.team_id)
            title = await challenge_title(services, run.set_key, team) if team else None
            if title:
                challenges[row.team_id] = title
    if run.state.stage is s.Stage.OPENING:
        for team_id in run.state.updates:
            found = await last_actions(services, run.set_key, team_id, run.number)
            open_items = tuple(i.text for i in found[1] if i.status != "done") if found else ()
            updates.append((ctx.names.get(team_id, team_id), open_items))
    return cards.session_card(cards.SessionCardView(
        ctx.title, view, len(ctx.set_def.sessions), s.stage_ends_at(run.state), last,
        challenges=challenges, review=saved_review, updates=tuple(updates)))


async def refresh_card(services: Services, ctx: SetContext, set_key: str, number: int) -> None:
    """Bring the chat's one session card up to date: drawn from the latest saved state (so that two
    changes racing each other leave the newer on show), posted once, then updated in place."""
    async with _card_lock(set_key, number):
        run = await services.store.session_run(set_key, number)
        if run is None:
            return
        card = await render(services, ctx, run, services.clock())
        key = f"chat:{run.chat_id}"
        if run.card_activity_id:
            if not await services.chats.update(key, run.card_activity_id, card):
                log.warning("session card not updated", extra={"set": set_key, "session": number})
            return
        activity_id = await services.chats.post(key, card)
        if activity_id:
            await services.store.set_session_card(set_key, number, activity_id)
        else:
            log.warning("session card not posted", extra={"set": set_key, "session": number})


# Private messages, queued with the save ------------------------------------------------------------

def _next_session_start(ctx: SetContext, number: int) -> datetime | None:
    return ctx.set_def.sessions[number].start_utc if number < len(ctx.set_def.sessions) else None


async def _ask_for_actions(services: Services, ctx: SetContext, after: SessionRun,
                           team_id: str) -> list[Notice]:
    set_key, number = after.set_key, after.number
    team = ctx.team(team_id)
    existing = [i.text for i in await services.store.actions_of(set_key, team_id, number)]
    card = cards.actions_card(
        set_key=set_key, set_name=ctx.title, number=number, team_id=team_id,
        team_name=team.council_name if team else team_id, existing=existing,
        next_session=_next_session_start(ctx, number))
    return [Notice(officer_key(o), {"card": card}, f"actions:{set_key}:{number}:{team_id}:{o.email}")
            for o in (team.officers if team else ())]


def _ask_for_reflections(ctx: SetContext, after: SessionRun) -> list[Notice]:
    card = cards.reflection_card(set_key=after.set_key, set_name=ctx.title, number=after.number)
    return [Notice(officer_key(o), {"card": card}, f"reflect:{after.set_key}:{after.number}:{o.email}")
            for team in ctx.teams if team.team_id in after.state.order for o in team.officers]


async def _reflections(services: Services, ctx: SetContext, after: SessionRun) -> list[Notice]:
    card = cards.reflections_card(ctx.title, after.number,
                                  await services.store.reflections(after.set_key, after.number))
    key = f"reflections:{after.set_key}:{after.number}"
    return [Notice(facilitator_key(f), {"card": card}, f"{key}:{f}") for f in ctx.set_def.facilitators]


async def _review(services: Services, ctx: SetContext, before: SessionRun | None,
                  after: SessionRun) -> list[Notice]:
    """The review card for a presenter whose airtime opens with one: of the actions set at the
    team's last airtime, whichever session that was."""
    current = after.state.current
    changed = before is None or before.state.current != current
    team = ctx.team(current)
    if not changed or team is None or current not in after.state.reviews:
        return []
    found = await last_actions(services, after.set_key, team.team_id, after.number)
    if found is None:
        return []
    last, items = found
    card = cards.review_card(set_key=after.set_key, number=last, team_id=team.team_id,
                             team_name=team.council_name, actions=items)
    key = f"review:{after.set_key}:{after.number}:{team.team_id}"
    return [Notice(officer_key(o), {"card": card}, f"{key}:{o.email}") for o in team.officers]


async def notices(services: Services, ctx: SetContext, before: SessionRun | None, after: SessionRun,
                  effects: Sequence[s.Effect]) -> list[Notice]:
    found: list[Notice] = []
    for effect in effects:
        match effect:
            case s.NotifyNextPresenter(team=team_id):
                minutes = max(1, after.state.settings.heads_up_seconds // 60)
                found += cues.next_up(ctx.team(team_id), after, ctx.title, minutes, officer_key)
            case s.TimeWarning(kind=s.WarningKind.TWO_MINUTES, team=str() as team_id):
                found += cues.two_minutes_left(ctx.team(team_id), after, ctx.title, officer_key)
            case s.AskForActions(team=team_id):
                found += await _ask_for_actions(services, ctx, after, team_id)
            case s.AskForReflections():
                found += _ask_for_reflections(ctx, after)
            case s.SessionEnded():
                found += await _reflections(services, ctx, after)
            case _:
                pass
    return found + await _review(services, ctx, before, after)


# What the chat sees once a save has won --------------------------------------------------------------

async def act(services: Services, ctx: SetContext, run: SessionRun, effects: Sequence[s.Effect],
              queued: bool) -> None:
    if queued:
        services.kick()
    if any(isinstance(e, s.PostGroundRules) for e in effects):
        await services.chats.post(f"chat:{run.chat_id}", cards.ground_rules_card(ctx.title, run.number))
    if any(isinstance(e, s.UpdateSessionCard | s.TimeWarning) for e in effects):
        await refresh_card(services, ctx, run.set_key, run.number)
    kinds = [type(e).__name__ for e in effects]
    log.info("session changed", extra={"set": run.set_key, "session": run.number, "effects": kinds})


# The one path from a command or the clock to a saved state --------------------------------------------

Rule = Callable[[SessionRun | None], tuple[SessionRun, s.Decision] | str]


async def change_session(services: Services, ctx: SetContext, set_key: str, number: int, rule: Rule,
                         now: datetime) -> s.Decision | str:
    """Load the run, let `rule` decide, save by compare-and-set with the notices the decision calls
    for, retrying when another turn or instance saved first; act once saved. Returns the decision
    (refused, unchanged or saved), or a refusal to show privately."""

    async def load() -> SessionRun | None:
        return await services.store.session_run(set_key, number)

    async def decide(before: SessionRun | None) -> Decided[SessionRun | None, s.Decision | str]:
        decided = rule(before)
        if isinstance(decided, str):
            return Decided(None, decided)
        after, decision = decided
        if decision.refused or after.state == (before.state if before else None):
            return Decided(None, decision)
        return Decided(after, decision, await notices(services, ctx, before, after, decision.effects))

    async def save(before: SessionRun | None, after: SessionRun | None, queued: Sequence[Notice]) -> bool:
        assert after is not None
        expected = None if before is None else before.state.version
        return await services.store.save_session_run(after, expected, list(queued), now)

    async def acted(after: SessionRun | None, result: s.Decision | str, queued: bool) -> None:
        if after is not None and isinstance(result, s.Decision):
            await act(services, ctx, after, result.effects, queued)

    result = await change(load, decide, save, acted, what="session")
    return LOST if isinstance(result, Lost) else result


async def apply_command(services: Services, ctx: SetContext, set_key: str, number: int, chat_id: str,
                        command: s.Command, now: datetime) -> s.Decision | str:
    def rule(before: SessionRun | None) -> tuple[SessionRun, s.Decision]:
        base = before or SessionRun(set_key, number, chat_id, s.SessionState(session_number=number))
        decision = s.apply(base.state, command, now)
        return replace(base, chat_id=chat_id, state=decision.state), decision

    return await change_session(services, ctx, set_key, number, rule, now)
