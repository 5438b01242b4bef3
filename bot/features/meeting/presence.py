"""Who is in the meeting: Teams' participant joined and left events, kept per chat and, while a
session runs, applied to its running order. They are hints (events go missing); the facilitator's
"Has joined" and "Has left" buttons correct them."""

from __future__ import annotations

from bot.features.base import Services
from bot.features.meeting.context import load_context, officer_keys
from bot.features.meeting.effects import apply_command
from bot.rules import session as s
from bot.turns import Outcome, Turn

JOIN = "meeting.join"
LEAVE = "meeting.leave"


def _members(turn: Turn) -> list[str]:
    found = []
    for member in turn.data.get("members") or []:
        user = member.get("user") if isinstance(member, dict) else None
        aad = user.get("aadObjectId") if isinstance(user, dict) else None
        if aad:
            found.append(str(aad).lower())
    return found


async def participants(services: Services, turn: Turn, args: str) -> Outcome:
    joined = turn.verb == JOIN
    members = _members(turn)
    for member in members:
        await services.store.set_presence(turn.chat.id, member, joined, turn.now)
    set_key = await services.store.set_of_chat(turn.chat.id)
    run = await services.store.session_run_in_chat(turn.chat.id)
    ctx = await load_context(services, set_key) if set_key else None
    if ctx is None or run is None or run.set_key != ctx.set_def.key or run.state.stage not in s.RUNNING:
        return Outcome()
    here = {m for m, inside in (await services.store.presence(turn.chat.id)).items() if inside}
    for team in ctx.teams:
        keys = [k for o in team.officers for k in officer_keys(o)]
        if not any(m in keys for m in members):
            continue
        if joined:
            command: s.Command = s.Joined(team.team_id)
        elif not any(k in here for k in keys):
            command = s.Left(team.team_id)
        else:
            continue
        await apply_command(services, ctx, run.set_key, run.number, run.chat_id, command, turn.now)
    return Outcome()


EVENTS = {JOIN: participants, LEAVE: participants}
