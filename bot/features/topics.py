"""Deep-dive topics (personal chat): members of a set propose topics and vote (one vote per person per
topic, which they can take back); the set's facilitators and the admins see the ranked list. A topic
is visible only inside its set (admins aside); `als topics SERIES` ranks a series' sets' topics."""

from __future__ import annotations

import logging
from typing import Any

from bot.features.base import Action, Handler, Services
from bot.features.between import memberships, personal_only, reply, who
from bot.rules.programme import Programme, SetDef
from bot.turns import Outcome, Turn
from cards import between as between_cards
from cards import topics as cards
from cards.format import set_title
from cards.payloads_between import SetOfMine, TopicProposal, TopicVote
from cards.verbs import Verb

log = logging.getLogger(__name__)
NOT_IN_SET = "Only the members and facilitators of a set can see its topics."


def _title(programme: Programme, set_def: SetDef) -> str:
    series = programme.series_by_key(set_def.series_key)
    return set_title(series.title if series else "", set_def.name)


def _voter(turn: Turn) -> str:
    return (turn.person.aad_object_id or turn.person.email or "").lower()


async def _visible(services: Services, turn: Turn) -> tuple[Programme, dict[str, bool]]:
    """The sets whose topics the sender may see, each with whether they may propose and vote."""
    programme = await services.store.programme()
    sets = {m.set_def.key: True for m in await memberships(services, turn)}
    ids = {i.lower() for i in (turn.person.aad_object_id, turn.person.email) if i}
    for set_def in programme.sets:
        if services.is_admin(turn) or ids & set(set_def.facilitators):
            sets.setdefault(set_def.key, False)
    return programme, sets


async def _show(services: Services, turn: Turn, set_key: str, *, done: str = "", error: str = "",
                value: str = "") -> Outcome:
    if (elsewhere := personal_only(turn)) is not None:
        return elsewhere
    programme, sets = await _visible(services, turn)
    set_def = programme.set_by_key(set_key)
    if set_def is None or set_key not in sets:
        return Outcome.say(NOT_IN_SET)
    topics = await services.store.topics(set_key, _voter(turn))
    member = sets[set_key]
    return reply(turn, cards.topics_card(set_key=set_key, set_title=_title(programme, set_def), topics=topics,
                                         member=member, ranked=not member or services.is_admin(turn),
                                         done=done, error=error, value=value))


async def show(services: Services, turn: Turn, args: str) -> Outcome:
    return await open_card(services, turn, SetOfMine())


async def open_card(services: Services, turn: Turn, choice: SetOfMine) -> Outcome:
    if (elsewhere := personal_only(turn)) is not None:
        return elsewhere
    programme, sets = await _visible(services, turn)
    wanted = choice.set_key
    if wanted:
        return await _show(services, turn, wanted)
    if not sets:
        return Outcome.say("Topics belong to a set: once your council has a place in one (type **sign up**), "
                           "you can propose and vote on topics for a deep dive there.")
    if len(sets) == 1:
        return await _show(services, turn, next(iter(sets)))
    choices = [(key, _title(programme, s)) for key in sorted(sets) if (s := programme.set_by_key(key))]
    return reply(turn, between_cards.choose_set_card("Deep-dive topics", Verb.TOPICS_SHOW, choices,
                                                     "Which set's topics?"))


async def propose(services: Services, turn: Turn, proposal: TopicProposal) -> Outcome:
    if (elsewhere := personal_only(turn)) is not None:
        return elsewhere
    set_key = proposal.set_key
    if set_key not in {m.set_def.key for m in await memberships(services, turn)}:
        return Outcome.say("Only the officers of a confirmed team in that set can propose topics for it.")
    title = " ".join(proposal.topic.split())
    if len(title) < 3:
        return await _show(services, turn, set_key, error="Please write the topic in a few words.",
                           value=title)
    if len(title) > cards.TOPIC_MAX:
        return await _show(services, turn, set_key, error=f"Please keep it to {cards.TOPIC_MAX} characters.",
                           value=title)
    topic_id = await services.store.propose_topic(set_key, title, who(turn).email or _voter(turn), turn.now)
    # Proposing is a vote for it too; a repeat (a double click) changes nothing.
    await services.store.vote_topic(topic_id, _voter(turn), True, turn.now)
    log.info("topic proposed", extra={"set": set_key, "topic": topic_id})
    return await _show(services, turn, set_key, done="Your topic is on the list, with your vote.")


async def vote(services: Services, turn: Turn, ballot: TopicVote) -> Outcome:
    if (elsewhere := personal_only(turn)) is not None:
        return elsewhere
    topic_set = await services.store.topic_set(ballot.topic_id)
    if topic_set is None or topic_set not in {m.set_def.key for m in await memberships(services, turn)}:
        return Outcome.say("Only the officers of a confirmed team in that set can vote on its topics.")
    choice = ballot.vote
    await services.store.vote_topic(ballot.topic_id, _voter(turn), choice, turn.now)
    return await _show(services, turn, topic_set,
                       done="Your vote is counted." if choice else "Your vote is taken back.")


COMMANDS: dict[str, Handler] = {"topics": show}
VERBS: dict[Verb, Action[Any]] = {
    Verb.TOPICS_SHOW: Action(SetOfMine, open_card),
    Verb.TOPICS_PROPOSE: Action(TopicProposal, propose),
    Verb.TOPICS_VOTE: Action(TopicVote, vote),
}
