"""Refine a challenge between sessions (personal chat): the current version with the six suitability
questions again; saving adds a version (every earlier one is kept) and shows the officer what they
saved. The set sees the current version at its next session (the session card's running order)."""

from __future__ import annotations

import logging
from typing import Any

from bot.features.base import Action, Handler, Services
from bot.features.between import chosen, reply
from bot.rules.challenge import QUESTIONS, TEXT_MAX, TITLE_MAX, assess
from bot.store.base import ChallengeRecord
from bot.turns import Outcome, Turn
from cards import between as cards
from cards.payloads_between import ChallengeForm, SetOfMine
from cards.verbs import Verb

log = logging.getLogger(__name__)
WORDS = {True: "yes", False: "no"}


def _answer(value: object) -> bool | None:
    word = str(value or "").strip().lower()
    return True if word == "yes" else False if word == "no" else None


async def show(services: Services, turn: Turn, args: str) -> Outcome:
    return await open_card(services, turn, SetOfMine())


async def open_card(services: Services, turn: Turn, choice: SetOfMine) -> Outcome:
    found = await chosen(services, turn, Verb.CHALLENGE_SHOW, "Refine your challenge", choice.set_key)
    if isinstance(found, Outcome):
        return found
    current = await services.store.latest_challenge(found.set_def.key, found.officer.email)
    values: dict[str, str] = {}
    if current is not None:
        values = {cards.TITLE_ID: current.title, cards.TEXT_ID: current.text}
        values |= {fid: WORDS.get(a, "") if a is not None else ""
                   for fid, a in zip(cards.ANSWER_IDS, current.answers, strict=False)}
    version = await services.store.challenge_versions(found.set_def.key, found.officer.email)
    return reply(turn, cards.challenge_card(set_key=found.set_def.key, set_title=found.title,
                                            theme=found.theme, values=values, version=version))


async def save(services: Services, turn: Turn, form: ChallengeForm) -> Outcome:
    found = await chosen(services, turn, Verb.CHALLENGE_SHOW, "Refine your challenge", form.set_key)
    if isinstance(found, Outcome):
        return found
    values = form.values
    title, text = values[cards.TITLE_ID].strip(), values[cards.TEXT_ID].strip()
    answers = tuple(_answer(values[fid]) for fid in cards.ANSWER_IDS)
    errors: dict[str, str] = {}
    if not title:
        errors[cards.TITLE_ID] = "Please give your challenge a short title."
    elif len(title) > TITLE_MAX:
        errors[cards.TITLE_ID] = f"Please keep the title to {TITLE_MAX} characters."
    if len(text) > TEXT_MAX:
        errors[cards.TEXT_ID] = f"Please keep the challenge to {TEXT_MAX} characters."
    for question, fid, answer in zip(QUESTIONS, cards.ANSWER_IDS, answers, strict=True):
        if answer is None:
            errors[fid] = f"Please answer question {question.number}."
    guidance = assess(answers)
    version = await services.store.challenge_versions(found.set_def.key, found.officer.email)
    if errors or (guidance and not form.accept_as_is):
        return reply(turn, cards.challenge_card(set_key=found.set_def.key, set_title=found.title,
                                                theme=found.theme, values=values, errors=errors,
                                                guidance=guidance, version=version))
    record = ChallengeRecord(found.set_def.key, found.officer.email, title, text, answers)
    now_version = await services.store.save_challenge(record, turn.now)
    log.info("challenge saved", extra={"set": found.set_def.key, "version": now_version})
    return reply(turn, cards.challenge_saved_card(
        set_key=found.set_def.key, set_title=found.title, title=title, text_value=text, answers=answers,
        version=now_version, changed=now_version != version))


COMMANDS: dict[str, Handler] = {"challenge": show}
VERBS: dict[Verb, Action[Any]] = {
    Verb.CHALLENGE_SHOW: Action(SetOfMine, open_card),
    Verb.CHALLENGE_SAVE: Action(ChallengeForm, save),
}
