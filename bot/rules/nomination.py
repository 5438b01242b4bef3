"""The sign-up form: its fields, their checks (a message beside each field), and the booking event."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.rules.booking import ROLE_PROCUREMENT, ROLE_SUSTAINABILITY, Nominate, Officer, Who
from bot.rules.challenge import QUESTIONS, TEXT_MAX, TITLE_MAX
from bot.rules.programme import Series, email_domain_allowed

ROLES: dict[str, str] = {
    ROLE_SUSTAINABILITY: "Sustainability or climate",
    ROLE_PROCUREMENT: "Procurement",
    "other": "Another role",
}
NAME_MAX = 100
COUNCIL_MAX = 120
EMAIL_MAX = 254

# The card's input ids; a FieldError names one of these.
COUNCIL = "council"
OFFICER_NAME, OFFICER_EMAIL, OFFICER_ROLE = "officer_name", "officer_email", "officer_role"
PARTNER_NAME, PARTNER_EMAIL, PARTNER_ROLE = "partner_name", "partner_email", "partner_role"
CHALLENGE_TITLE, CHALLENGE_TEXT = "challenge_title", "challenge_text"
SUITABILITY = tuple(f"suitability_{q.number}" for q in QUESTIONS)
COMMIT, GROUND_RULES = "commit", "ground_rules"
SET_KEY, SUBMISSION_ID = "set_key", "submission_id"

_EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_PREFIXES = ("the ", "london borough of ", "royal borough of ", "city of ", "borough of ")
_SUFFIXES = (
    " metropolitan borough council",
    " metropolitan district council",
    " borough council",
    " district council",
    " county council",
    " city council",
    " council",
)


@dataclass(frozen=True)
class OfficerEntry:
    name: str = ""
    email: str = ""
    role: str = ""  # a key of ROLES

    @property
    def blank(self) -> bool:
        return not (self.name.strip() or self.email.strip() or self.role.strip())


@dataclass(frozen=True)
class SignUpForm:
    set_key: str
    council: str = ""
    officer: OfficerEntry = field(default_factory=OfficerEntry)
    partner: OfficerEntry = field(default_factory=OfficerEntry)
    challenge_title: str = field(default="", repr=False)  # confidential: kept out of logs
    challenge_text: str = field(default="", repr=False)
    answers: tuple[bool | None, ...] = (None,) * len(QUESTIONS)  # None: not answered
    commits: bool = False
    agrees_ground_rules: bool = False
    submission_id: str = ""  # set when the card is drawn, so that a resubmission is recognised


@dataclass(frozen=True)
class FieldError:
    field: str  # the card input id
    message: str  # British English, shown beside the field


def normal_email(value: str) -> str:
    return value.strip().lower()


def council_key(name: str) -> str:
    """A council name reduced so that "Leeds City Council" and "leeds" are the same council."""
    key = re.sub(r"[^a-z0-9 ]+", " ", name.casefold().replace("&", " and "))
    key = " ".join(key.split())
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
            break
    return key


def validate(
    form: SignUpForm,
    series: Series,
    allowed_domains: Sequence[str],
    signed_email: str | None = None,
) -> list[FieldError]:
    """Every problem with the form, in the card's order; an empty list means it can be submitted.

    `signed_email` is the sender's address as Teams gives it: the officer signs up as themself.
    A "no" to a suitability question is never an error (see challenge.assess).
    """
    errors: list[FieldError] = []
    domains = tuple(allowed_domains)
    council = form.council.strip()
    if not council_key(council):
        errors.append(FieldError(COUNCIL, "Enter your council's name."))
    elif len(council) > COUNCIL_MAX:
        errors.append(FieldError(COUNCIL, f"Keep the council's name to {COUNCIL_MAX} characters."))

    errors += _officer(form.officer, "officer", "your", domains)
    if signed_email and not any(e.field == OFFICER_EMAIL for e in errors):
        if normal_email(form.officer.email) != normal_email(signed_email):
            errors.append(
                FieldError(
                    OFFICER_EMAIL,
                    f"Use the e-mail address you sign in to Teams with ({normal_email(signed_email)}).",
                )
            )

    partner_needed = series.policy == "role_pair"
    if partner_needed or not form.partner.blank:
        errors += _officer(form.partner, "partner", "your partner's", domains)
    if not any(e.field in (OFFICER_EMAIL, PARTNER_EMAIL) for e in errors) and not (
        form.partner.blank
    ):
        if normal_email(form.officer.email) == normal_email(form.partner.email):
            errors.append(
                FieldError(PARTNER_EMAIL, "Your partner needs a different e-mail address from yours.")
            )
    if partner_needed and not any(e.field in (OFFICER_ROLE, PARTNER_ROLE) for e in errors):
        if {form.officer.role, form.partner.role} != {ROLE_SUSTAINABILITY, ROLE_PROCUREMENT}:
            errors.append(
                FieldError(
                    PARTNER_ROLE,
                    "This series needs one sustainability or climate officer and one procurement "
                    "officer from your council.",
                )
            )

    title, text = form.challenge_title.strip(), form.challenge_text.strip()
    if not title:
        errors.append(FieldError(CHALLENGE_TITLE, "Give your challenge a short title."))
    elif len(title) > TITLE_MAX:
        errors.append(
            FieldError(
                CHALLENGE_TITLE,
                f"Keep the title to {TITLE_MAX} characters or fewer (it has {len(title)}).",
            )
        )
    if not text:
        errors.append(FieldError(CHALLENGE_TEXT, "Describe your challenge in a few lines."))
    elif len(text) > TEXT_MAX:
        errors.append(
            FieldError(
                CHALLENGE_TEXT,
                f"Keep the description to {TEXT_MAX} characters or fewer (it has {len(text)}).",
            )
        )
    answers = tuple(form.answers) + (None,) * len(QUESTIONS)
    for field_id, answer in zip(SUITABILITY, answers, strict=False):
        if answer is None:
            errors.append(FieldError(field_id, "Answer yes or no."))
    if not form.commits:
        errors.append(FieldError(COMMIT, "Tick to confirm that you will attend every session."))
    if not form.agrees_ground_rules:
        errors.append(FieldError(GROUND_RULES, "Tick to agree to the ground rules."))
    return errors


def _officer(
    entry: OfficerEntry, prefix: str, whose: str, domains: tuple[str, ...]
) -> list[FieldError]:
    errors: list[FieldError] = []
    name, email = entry.name.strip(), normal_email(entry.email)
    if not name:
        errors.append(FieldError(f"{prefix}_name", f"Enter {whose} name."))
    elif len(name) > NAME_MAX:
        errors.append(FieldError(f"{prefix}_name", f"Keep the name to {NAME_MAX} characters."))
    if not email:
        errors.append(FieldError(f"{prefix}_email", f"Enter {whose} work e-mail address."))
    elif len(email) > EMAIL_MAX or not _EMAIL.match(email):
        errors.append(
            FieldError(
                f"{prefix}_email",
                "Enter an e-mail address in the correct format, like name@council.gov.uk.",
            )
        )
    elif not email_domain_allowed(email, domains):
        errors.append(
            FieldError(
                f"{prefix}_email",
                f"{email.rpartition('@')[2]} is not one of the councils' e-mail domains for this "
                "programme. Use a council e-mail address.",
            )
        )
    if entry.role not in ROLES:
        errors.append(FieldError(f"{prefix}_role", f"Choose {whose} role."))
    return errors


def from_card_data(data: Mapping[str, object]) -> SignUpForm:
    """Read the card's submitted inputs (all strings in Teams) into a form; nothing is checked."""

    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    def ticked(name: str) -> bool:
        value = data.get(name)
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")

    def answer(name: str) -> bool | None:
        value = text(name).strip().lower()
        return True if value == "yes" else False if value == "no" else None

    return SignUpForm(
        set_key=text(SET_KEY).strip(),
        council=text(COUNCIL),
        officer=OfficerEntry(text(OFFICER_NAME), text(OFFICER_EMAIL), text(OFFICER_ROLE)),
        partner=OfficerEntry(text(PARTNER_NAME), text(PARTNER_EMAIL), text(PARTNER_ROLE)),
        challenge_title=text(CHALLENGE_TITLE),
        challenge_text=text(CHALLENGE_TEXT),
        answers=tuple(answer(name) for name in SUITABILITY),
        commits=ticked(COMMIT),
        agrees_ground_rules=ticked(GROUND_RULES),
        submission_id=text(SUBMISSION_ID).strip(),
    )


def to_card_data(form: SignUpForm) -> dict[str, str]:
    """The form as input values, so that a card drawn again keeps the officer's entries."""
    values = {
        SET_KEY: form.set_key,
        COUNCIL: form.council,
        OFFICER_NAME: form.officer.name,
        OFFICER_EMAIL: form.officer.email,
        OFFICER_ROLE: form.officer.role,
        PARTNER_NAME: form.partner.name,
        PARTNER_EMAIL: form.partner.email,
        PARTNER_ROLE: form.partner.role,
        CHALLENGE_TITLE: form.challenge_title,
        CHALLENGE_TEXT: form.challenge_text,
        COMMIT: "true" if form.commits else "false",
        GROUND_RULES: "true" if form.agrees_ground_rules else "false",
        SUBMISSION_ID: form.submission_id,
    }
    for name, answer in zip(SUITABILITY, form.answers, strict=False):
        values[name] = "" if answer is None else "yes" if answer else "no"
    return values


def idempotency_key(form: SignUpForm, who: Who) -> str:
    """Stable for one officer's resubmission of one card; never shared by two people's cards."""
    person = who.aad_object_id or normal_email(who.email or form.officer.email)
    detail = form.submission_id or "|".join(
        (council_key(form.council), normal_email(form.officer.email), normal_email(form.partner.email))
    )
    return f"{form.set_key}|{person}|{detail}"


def to_nominate(form: SignUpForm, who: Who, at: datetime, team_id: str) -> Nominate:
    """The booking event for a validated form; the submitter commits now, the partner later."""
    officer = Officer(
        email=normal_email(form.officer.email),
        name=form.officer.name.strip(),
        role=form.officer.role,
        aad_object_id=who.aad_object_id,
        committed_at=at if form.commits else None,
    )
    officers = [officer]
    if not form.partner.blank:
        officers.append(
            Officer(
                email=normal_email(form.partner.email),
                name=form.partner.name.strip(),
                role=form.partner.role,
            )
        )
    return Nominate(
        set_key=form.set_key,
        team_id=team_id,
        council=council_key(form.council),
        council_name=form.council.strip(),
        officers=tuple(officers),
        idempotency_key=idempotency_key(form, who),
        by=who,
        at=at,
    )
