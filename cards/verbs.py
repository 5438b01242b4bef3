"""Every card action's verb: one enumeration that the cards emit and the router's tables route."""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    HELP = "help"
    REFRESH = "refresh"
    # Sign-up and booking (personal chat)
    SIGNUP_START = "signup.start"
    SIGNUP_CHOOSE = "signup.choose"
    SIGNUP_SUBMIT = "signup.submit"
    SIGNUP_REFINE = "signup.refine"
    SIGNUP_COMMIT = "signup.commit"
    MY_SETS = "mysets"
    WITHDRAW_ASK = "withdraw.ask"
    WITHDRAW_CONFIRM = "withdraw.confirm"
    BOOKING_OPEN = "booking.open"
    BOOKING_CLOSE = "booking.close"
    MEETINGS_CREATE = "meetings.create"
    # Apologies and the register
    APOLOGIES_START = "apologies.start"
    APOLOGIES_SEND = "apologies.send"
    APOLOGIES_WITHDRAW = "apologies.withdraw"
    REGISTER_SHOW = "register.show"
    # The session in the meeting chat
    MEETING_START = "meeting.start"
    MEETING_NEXT = "meeting.next"
    MEETING_BACK = "meeting.back"
    MEETING_PASS = "meeting.pass"  # noqa: S105 (a verb, not a password)
    MEETING_EXTEND = "meeting.extend"
    MEETING_PAUSE = "meeting.pause"
    MEETING_RESUME = "meeting.resume"
    MEETING_REFLECT = "meeting.reflect"
    MEETING_END = "meeting.end"
    MEETING_SKIP = "meeting.skip"
    MEETING_HERE = "meeting.here"
    MEETING_AWAY = "meeting.away"
    MEETING_ORDER = "meeting.order"
    MEETING_REORDER = "meeting.reorder"
    MEETING_REFLECTIONS = "meeting.reflections"
    MEETING_ACTIONS = "meeting.actions"
    MEETING_REVIEW = "meeting.review"
    MEETING_REFLECTION = "meeting.reflection"
    # The facilitator's time check (session controls)
    MEETING_TIMECHECK = "meeting.timecheck"
    # Facilitator-only forms in the meeting chat: Teams asks for them by refresh (session controls)
    MEETING_FORM = "meeting.form"
    # Between sessions (issue 12): refine a challenge, update actions, deep-dive topics
    CHALLENGE_SHOW = "challenge.show"
    CHALLENGE_SAVE = "challenge.save"
    ACTIONS_SHOW = "actions.show"
    ACTIONS_SAVE = "actions.save"
    TOPICS_SHOW = "topics.show"
    TOPICS_PROPOSE = "topics.propose"
    TOPICS_VOTE = "topics.vote"
    # Evaluation, the pulse and the facilitators' report (bot.features.evaluation)
    EVALUATION_OPEN = "evaluation.open"
    EVALUATION_SUBMIT = "evaluation.submit"
    PULSE_SUBMIT = "pulse.submit"
    REPORT_SHOW = "report.show"
