"""The running order: rotated from session to session so that nobody always goes first or last."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def stride(teams: int, sessions: int) -> int:
    """How far the order shifts each session, chosen so that over `sessions` sessions positions
    repeat as little as possible and the teams that go first differ from those that go last."""
    if teams <= 1:
        return 0
    best, best_score = 1, (-1, -1, -1, -1)
    for step in range(1, teams):
        shifts = [(k * step) % teams for k in range(max(1, sessions))]
        firsts = set(shifts)
        lasts = {(s - 1) % teams for s in shifts}
        score = (len(firsts), len(lasts), len(firsts | lasts), -step)
        if score > best_score:
            best, best_score = step, score
    return best


def rotate(teams: Sequence[str], session_index: int, *, sessions: int = 3) -> list[str]:
    """The whole set's order for a session (0 for the first), before apologies and late joiners."""
    if len(set(teams)) != len(teams):
        raise ValueError("a team appears twice")
    if session_index < 0:
        raise ValueError("sessions are counted from 0")
    if not teams:
        return []
    shift = (session_index * stride(len(teams), sessions)) % len(teams)
    return [*teams[shift:], *teams[:shift]]


def running_order(
    teams: Sequence[str],
    session_index: int,
    *,
    sessions: int = 3,
    apologies: Collection[str] = (),
    not_joined: Collection[str] = (),
) -> list[str]:
    """Today's running order.

    `teams` is the set's teams in a stable order (the same for every session, e.g. booking order);
    `session_index` counts from 0. Teams with apologies are left out; teams that have not joined
    yet go to the end, keeping their rotated order among themselves.
    """
    order = [t for t in rotate(teams, session_index, sessions=sessions) if t not in apologies]
    here = [t for t in order if t not in not_joined]
    return here + [t for t in order if t in not_joined]


def presenters_for_session(
    teams: Sequence[str],
    per_session: int,
    history: Sequence[Collection[str]],
    *,
    apologies: Collection[str] = (),
) -> list[str]:
    """Who presents this session in the "a few each session" format, in the order to present.

    `history` holds who presented in each earlier session. Teams that have presented least go
    first, then those who presented longest ago, then the set's order: so every team presents once
    before any team presents twice, apologies permitting.
    """
    if per_session <= 0:
        raise ValueError("at least one presenter per session")
    if len(set(teams)) != len(teams):
        raise ValueError("a team appears twice")
    count = dict.fromkeys(teams, 0)
    last = dict.fromkeys(teams, -1)
    for number, presented in enumerate(history):
        for team in presented:
            if team in count:
                count[team] += 1
                last[team] = number
    available = [t for t in teams if t not in apologies]
    position = {t: n for n, t in enumerate(teams)}
    available.sort(key=lambda t: (count[t], last[t], position[t]))
    return available[:per_session]


def updating_at_opening(
    teams: Sequence[str], presenters: Collection[str], *, apologies: Collection[str] = ()
) -> list[str]:
    """The teams that give a short update at the opening because they do not present today."""
    return [t for t in teams if t not in presenters and t not in apologies]
