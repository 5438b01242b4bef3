"""The deep-dive topics card: a set's topics with their votes, a box to propose one, vote buttons."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store.base import Topic
from cards.elements import Json, card, execute, heading, text
from cards.format import plain
from cards.inputs import action_set, container, error_text, text_input
from cards.payloads_between import TOPIC_ID, TopicProposal, TopicVote
from cards.verbs import Verb

__all__ = ["TOPIC_ID"]

TOPIC_MAX = 200


def topics_card(*, set_key: str, set_title: str, topics: Sequence[Topic], member: bool, ranked: bool,
                done: str = "", error: str = "", value: str = "") -> Json:
    """`member`: may propose and vote; `ranked`: the facilitator's and admins' ranked list."""
    body: list[Json] = [heading("Deep-dive topics"), text(f"**{plain(set_title)}**"),
                        text("Topics the members would like a deep dive on (a webinar or a session of its "
                             "own). Only this set sees them.", subtle=True)]
    if done:
        body.append(container([text(done)], style="good"))
    if not topics:
        body.append(text("No topics yet." + (" Be the first to propose one." if member else ""), subtle=True))
    for rank, topic in enumerate(topics, 1):
        votes = f"{topic.votes} vote{'' if topic.votes == 1 else 's'}"
        line = f"{rank}. {plain(topic.title)} ({votes})" if ranked else f"{plain(topic.title)} ({votes})"
        items = [text(line, weight="Bolder" if topic.mine else None)]
        if member:
            vote = "Take back my vote" if topic.mine else "Vote for this"
            choice = TopicVote(topic.id, not topic.mine).data()
            items.append(action_set([execute(vote, Verb.TOPICS_VOTE, choice)]))
        body.append(container(items, separator=True))
    actions: list[Json] = []
    if member:
        body.append(text_input(TOPIC_ID, "Propose a topic", value, max_length=TOPIC_MAX,
                               placeholder="e.g. Retrofitting council housing"))
        if error:
            body.append(error_text(TOPIC_ID, error))
        actions.append(execute("Propose it", Verb.TOPICS_PROPOSE, TopicProposal(set_key).data(),
                               style="positive"))
    return card(body, actions)


def ranked_text(set_title: str, topics: Sequence[Topic]) -> list[str]:
    """The ranked list as lines of text (the command line's `als topics`)."""
    lines = [set_title]
    lines += [f"  {rank}. {t.title} ({t.votes} vote{'' if t.votes == 1 else 's'})"
              for rank, t in enumerate(topics, 1)] or ["  no topics yet"]
    return lines
