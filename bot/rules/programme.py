"""A programme's series and sets, read from an admin's YAML or TOML text into checked dataclasses."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from bot.rules.reminders import LeadError, parse_lead

LONDON = ZoneInfo("Europe/London")
MAX_SESSION = timedelta(minutes=90)
DEFAULT_CAPACITY = 6
MAX_CAPACITY = 6

Policy = Literal["up_to_two", "role_pair"]
Format = Literal["everyone", "few"]
BookingState = Literal["draft", "open", "closed"]
Syntax = Literal["yaml", "toml"]

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SESSION_TEXT = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$"
)
_NONE = {"", "~", "null", "none", "off"}


class ProgrammeError(ValueError):
    """The file is not a valid programme; `problems` names each bad field by its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    theme: str
    policy: Policy
    one_team_per_series: bool = True
    format: Format = "everyone"
    presenters_per_session: int | None = None  # only for the "few" format
    reminders: tuple[int, ...] | None = None  # minutes before each session; None: the default


@dataclass(frozen=True)
class SessionSlot:
    start_utc: datetime
    end_utc: datetime

    @property
    def minutes(self) -> int:
        return int((self.end_utc - self.start_utc).total_seconds() // 60)


@dataclass(frozen=True)
class DeadlineRule:
    """When a team's officers must all have committed; the earlier applicable limit wins."""

    commit_within_hours: int | None = 48
    commit_days_before_first_session: int | None = None
    remind_hours_before: int = 24

    def deadline(self, placed_at: datetime, first_session_start: datetime) -> datetime | None:
        """The deadline for a team that got its place at `placed_at`; None means no deadline."""
        candidates: list[datetime] = []
        if self.commit_within_hours is not None:
            candidates.append(placed_at + timedelta(hours=self.commit_within_hours))
        if self.commit_days_before_first_session is not None:
            candidates.append(
                first_session_start - timedelta(days=self.commit_days_before_first_session)
            )
        if not candidates:
            return None
        later = [c for c in candidates if c > placed_at]
        # A team placed after a limit has passed (a late promotion) still gets the reminder window.
        chosen = min(later) if later else placed_at + timedelta(hours=self.remind_hours_before)
        return min(chosen, first_session_start)

    def remind_at(self, deadline: datetime) -> datetime:
        return deadline - timedelta(hours=self.remind_hours_before)


@dataclass(frozen=True)
class SetDef:
    key: str
    series_key: str
    name: str
    sessions: tuple[SessionSlot, ...]
    facilitators: tuple[str, ...] = ()  # lower-case e-mail addresses or Entra object ids
    capacity: int = DEFAULT_CAPACITY
    booking: BookingState = "draft"
    deadline: DeadlineRule = field(default_factory=DeadlineRule)
    reminders: tuple[int, ...] | None = None  # minutes before each session; None: the series'

    @property
    def first_session_start(self) -> datetime:
        return self.sessions[0].start_utc


@dataclass(frozen=True)
class Programme:
    series: tuple[Series, ...]
    sets: tuple[SetDef, ...]
    allowed_domains: tuple[str, ...] = ()

    def series_by_key(self, key: str) -> Series | None:
        return next((s for s in self.series if s.key == key), None)

    def set_by_key(self, key: str) -> SetDef | None:
        return next((s for s in self.sets if s.key == key), None)

    def sets_of(self, series_key: str) -> tuple[SetDef, ...]:
        return tuple(s for s in self.sets if s.series_key == series_key)


def email_domain_allowed(email: str, allowed_domains: tuple[str, ...] | list[str]) -> bool:
    """An empty allow-list allows any domain; otherwise the domain or a subdomain of one listed."""
    if not allowed_domains:
        return True
    domain = email.rpartition("@")[2].strip().lower()
    return any(domain == d or domain.endswith("." + d) for d in allowed_domains)


def to_utc(day: date, clock: time) -> datetime:
    """A Europe/London wall-clock time as UTC; raises ValueError in the hour the clocks skip or repeat."""
    local = datetime.combine(day, clock, tzinfo=LONDON)
    if local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError("does not exist in Europe/London (the clocks go forward)")
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        raise ValueError("happens twice in Europe/London (the clocks go back)")
    return local.astimezone(UTC)


def syntax_for(filename: str) -> Syntax:
    return "toml" if filename.lower().endswith(".toml") else "yaml"


def parse_programme(text: str, syntax: Syntax = "yaml") -> Programme:
    """Parse and check a programme file's text; raises ProgrammeError listing every problem."""
    # Imported here: only `als programme load` reads a file, and the bot should not pay for
    # PyYAML at start-up.
    import tomllib

    import yaml

    try:
        data: object = (
            tomllib.loads(text)
            if syntax == "toml"
            # BaseLoader keeps every scalar a string, so 10:30 is not read as sexagesimal 630.
            else yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506
        )
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise ProgrammeError([f"the file is not valid {syntax.upper()}: {error}"]) from None
    reader = _Reader()
    programme = reader.programme(data)
    if reader.problems or programme is None:
        raise ProgrammeError(reader.problems or ["the file is empty"])
    return programme


T = TypeVar("T")


class _Fail(Exception):
    pass


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> _Fail:
        self.problems.append(f"{path}: {message}")
        return _Fail()

    def mapping(self, value: object, path: str, allowed: set[str]) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self.fail(path, "must be a mapping of names to values")
        for name in value:
            if name not in allowed:
                self.problems.append(
                    f"{_join(path, str(name))}: unknown field (expected one of "
                    f"{', '.join(sorted(allowed))})"
                )
        return value

    def listing(self, value: object, path: str) -> list[object]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list")
        return value

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "is required and must be text")
        return value.strip()

    def key(self, value: object, path: str) -> str:
        result = self.text(value, path)
        if not _KEY.match(result):
            raise self.fail(path, "must be lower-case letters, digits and hyphens, e.g. proc-tue")
        return result

    def integer(self, value: object, path: str, low: int, high: int | None = None) -> int:
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, "must be a whole number")
        if value < low or (high is not None and value > high):
            rule = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise self.fail(path, f"must be {rule}")
        return value

    def optional_integer(self, value: object, path: str, low: int) -> int | None:
        if isinstance(value, str) and value.strip().lower() in _NONE:
            return None
        return self.integer(value, path, low)

    def boolean(self, value: object, path: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "yes", "on"}:
            return True
        if isinstance(value, str) and value.strip().lower() in {"false", "no", "off"}:
            return False
        raise self.fail(path, "must be true or false")

    def choice(self, value: object, path: str, choices: Mapping[str, T]) -> T:
        raw = self.text(value, path).lower()
        if raw not in choices:
            raise self.fail(path, f"must be one of {', '.join(sorted(set(choices)))}")
        return choices[raw]

    def day(self, value: object, path: str) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(self.text(value, path))
        except ValueError:
            raise self.fail(path, "must be a date like 2027-03-02") from None

    def clock(self, value: object, path: str) -> time:
        if isinstance(value, time):
            return value
        raw = self.text(value, path)
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::00)?", raw)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise self.fail(path, "must be a time like 10:30 (24-hour clock, Europe/London)")
        return time(int(match[1]), int(match[2]))

    def attempt(self, read: Callable[..., T], *args: object) -> T | None:
        """Read one field, noting a problem and going on, so that one run reports every field."""
        try:
            return read(*args)
        except _Fail:
            return None

    def each(self, items: list[object], path: str, read: Callable[[object, str], T]) -> list[T]:
        results: list[T] = []
        for index, item in enumerate(items):
            try:
                results.append(read(item, f"{path}[{index}]"))
            except _Fail:
                pass
        return results

    def programme(self, data: object) -> Programme | None:
        if data is None or data == "":
            return None
        try:
            top = self.mapping(data, "(top level)", {"allowed_domains", "series", "sets"})
        except _Fail:
            return None
        domains: list[str] = []
        if "allowed_domains" in top:
            try:
                domains = self.each(
                    self.listing(top["allowed_domains"], "allowed_domains"),
                    "allowed_domains",
                    self.domain,
                )
            except _Fail:
                pass
        series = self.each(self.listing_or_empty(top, "series"), "series", self.series)
        sets = self.each(self.listing_or_empty(top, "sets"), "sets", self.set_def)
        if not series and "series" not in top:
            self.problems.append("series: at least one series is required")
        self.unique([s.key for s in series], "series", "key")
        self.unique([s.key for s in sets], "sets", "key")
        known = {s.key for s in series}
        raw_sets = top.get("sets")
        for index, one in enumerate(sets):
            if one.series_key not in known:
                # Report with the set's own index even when an earlier set had other problems.
                position = _index_of(raw_sets, one.key, index)
                self.problems.append(
                    f"sets[{position}].series: no series has the key {one.series_key!r}"
                )
        return Programme(series=tuple(series), sets=tuple(sets), allowed_domains=tuple(domains))

    def listing_or_empty(self, top: Mapping[str, object], name: str) -> list[object]:
        if name not in top:
            return []
        try:
            return self.listing(top[name], name)
        except _Fail:
            return []

    def unique(self, keys: list[str], path: str, name: str) -> None:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                self.problems.append(f"{path}: the {name} {key!r} is used more than once")
            seen.add(key)

    def domain(self, value: object, path: str) -> str:
        result = self.text(value, path).lower().lstrip("@")
        if not _DOMAIN.match(result):
            raise self.fail(path, f"{result!r} is not a domain name like leeds.gov.uk")
        return result

    def series(self, value: object, path: str) -> Series:
        fields = {
            "key", "title", "theme", "policy", "one_team_per_series", "format",
            "presenters_per_session", "reminders",
        }
        raw = self.mapping(value, path, fields)
        before = len(self.problems)
        policies: dict[str, Policy] = {
            "up_to_two": "up_to_two", "up-to-two": "up_to_two",
            "role_pair": "role_pair", "role-pair": "role_pair",
        }
        formats: dict[str, Format] = {"everyone": "everyone", "few": "few"}
        key = self.attempt(self.key, raw.get("key"), f"{path}.key")
        title = self.attempt(self.text, raw.get("title"), f"{path}.title")
        theme = self.attempt(self.text, raw.get("theme"), f"{path}.theme")
        policy = self.attempt(self.choice, raw.get("policy"), f"{path}.policy", policies)
        one: bool | None = True
        if "one_team_per_series" in raw:
            one = self.attempt(
                self.boolean, raw["one_team_per_series"], f"{path}.one_team_per_series"
            )
        fmt: Format | None = "everyone"
        if "format" in raw:
            fmt = self.attempt(self.choice, raw["format"], f"{path}.format", formats)
        presenters: int | None = None
        if fmt == "few":
            presenters = self.attempt(
                self.integer,
                raw.get("presenters_per_session"),
                f"{path}.presenters_per_session",
                1,
                MAX_CAPACITY,
            )
        elif "presenters_per_session" in raw:
            self.problems.append(f"{path}.presenters_per_session: only applies to the format few")
        reminders = self.attempt(self.reminders, raw.get("reminders"), f"{path}.reminders")
        if len(self.problems) > before:
            raise _Fail()
        assert key and title and theme and policy and one is not None and fmt
        return Series(key, title, theme, policy, one, fmt, presenters, reminders)

    def set_def(self, value: object, path: str) -> SetDef:
        fields = {
            "key", "series", "name", "capacity", "sessions", "facilitators", "booking", "deadline",
            "reminders",
        }
        raw = self.mapping(value, path, fields)
        before = len(self.problems)
        key = self.attempt(self.key, raw.get("key"), f"{path}.key")
        series_key = self.attempt(self.key, raw.get("series"), f"{path}.series")
        name = self.attempt(self.text, raw.get("name"), f"{path}.name")
        capacity: int | None = DEFAULT_CAPACITY
        if "capacity" in raw:
            capacity = self.attempt(
                self.integer, raw["capacity"], f"{path}.capacity", 1, MAX_CAPACITY
            )
        states: dict[str, BookingState] = {"draft": "draft", "open": "open", "closed": "closed"}
        booking: BookingState | None = "draft"
        if "booking" in raw:
            booking = self.attempt(self.choice, raw["booking"], f"{path}.booking", states)
        facilitators: list[str] = []
        if "facilitators" in raw:
            listed = self.attempt(self.listing, raw["facilitators"], f"{path}.facilitators")
            facilitators = self.each(listed or [], f"{path}.facilitators", self.facilitator)
        deadline: DeadlineRule | None = DeadlineRule()
        if "deadline" in raw:
            deadline = self.attempt(self.deadline, raw["deadline"], f"{path}.deadline")
        sessions = self.attempt(self.sessions, raw.get("sessions"), f"{path}.sessions")
        reminders = self.attempt(self.reminders, raw.get("reminders"), f"{path}.reminders")
        if len(self.problems) > before:
            raise _Fail()
        assert key and series_key and name and capacity and booking and deadline and sessions
        return SetDef(
            key=key,
            series_key=series_key,
            name=name,
            sessions=sessions,
            facilitators=tuple(facilitators),
            capacity=capacity,
            booking=booking,
            deadline=deadline,
            reminders=reminders,
        )

    def reminders(self, value: object, path: str) -> tuple[int, ...] | None:
        """Lead times such as ["3 days", "1 hour"]; absent means the default, [] means none."""
        if value is None:
            return None
        before = len(self.problems)
        leads: list[int] = []
        for index, item in enumerate(self.listing(value, path)):
            try:
                leads.append(parse_lead(item))
            except LeadError as wrong:
                self.problems.append(f"{path}[{index}]: {wrong}")
        if len(self.problems) > before:
            raise _Fail()
        return tuple(sorted(set(leads), reverse=True))

    def sessions(self, value: object, path: str) -> tuple[SessionSlot, ...]:
        items = self.listing(value, path)
        if not items:
            raise self.fail(path, "at least one session is required")
        before = len(self.problems)
        sessions = self.each(items, path, self.session)
        if len(self.problems) > before:
            raise _Fail()
        for index in range(1, len(sessions)):
            if sessions[index].start_utc < sessions[index - 1].end_utc:
                raise self.fail(f"{path}[{index}]", "must start after the previous session ends")
        return tuple(sessions)

    def facilitator(self, value: object, path: str) -> str:
        result = self.text(value, path).lower()
        if not (_EMAIL.match(result) or _GUID.match(result)):
            raise self.fail(path, "must be an e-mail address or an Entra object id")
        return result

    def deadline(self, value: object, path: str) -> DeadlineRule:
        raw = self.mapping(
            value,
            path,
            {"commit_within_hours", "commit_days_before_first_session", "remind_hours_before"},
        )
        defaults = DeadlineRule()
        within = defaults.commit_within_hours
        if "commit_within_hours" in raw:
            within = self.optional_integer(
                raw["commit_within_hours"], f"{path}.commit_within_hours", 1
            )
        before = defaults.commit_days_before_first_session
        if "commit_days_before_first_session" in raw:
            before = self.optional_integer(
                raw["commit_days_before_first_session"],
                f"{path}.commit_days_before_first_session",
                0,
            )
        remind = defaults.remind_hours_before
        if "remind_hours_before" in raw:
            remind = self.integer(raw["remind_hours_before"], f"{path}.remind_hours_before", 1)
        if within is not None and remind >= within:
            raise self.fail(
                f"{path}.remind_hours_before", "must be less than commit_within_hours"
            )
        return DeadlineRule(within, before, remind)

    def session(self, value: object, path: str) -> SessionSlot:
        if isinstance(value, str):
            match = _SESSION_TEXT.match(value)
            if not match:
                raise self.fail(path, "must look like 2027-03-02 10:30-12:00 (Europe/London)")
            raw: Mapping[str, object] = {"date": match[1], "start": match[2], "end": match[3]}
        else:
            raw = self.mapping(value, path, {"date", "start", "end"})
        day = self.day(raw.get("date"), f"{path}.date")
        start_clock = self.clock(raw.get("start"), f"{path}.start")
        end_clock = self.clock(raw.get("end"), f"{path}.end")
        try:
            start = to_utc(day, start_clock)
        except ValueError as error:
            raise self.fail(f"{path}.start", str(error)) from None
        try:
            end = to_utc(day, end_clock)
        except ValueError as error:
            raise self.fail(f"{path}.end", str(error)) from None
        if end <= start:
            raise self.fail(f"{path}.end", "must be after start")
        if end - start > MAX_SESSION:
            raise self.fail(f"{path}.end", "a session lasts at most 90 minutes")
        return SessionSlot(start, end)


def _join(path: str, name: str) -> str:
    return name if path == "(top level)" else f"{path}.{name}"


def _index_of(raw_sets: object, key: str, fallback: int) -> int:
    if isinstance(raw_sets, list):
        for index, item in enumerate(raw_sets):
            if isinstance(item, Mapping) and str(item.get("key", "")).strip() == key:
                return index
    return fallback
