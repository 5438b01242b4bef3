"""A local Microsoft Graph stand-in (aiohttp on 127.0.0.1) for events, meetings, chats, attendance,
e-mail (`sendMail`), the directory (`GET /users/{id}`) and apps installed for a user.

It checks request bodies the way the real API does where our code depends on it, keeps state in
memory, pages attendance records with `@odata.nextLink`, issues tokens (optionally over TLS, so
azure-identity's real `ClientSecretCredential` can be pointed at it), counts requests per route,
and injects faults: throttling with `Retry-After`, 502/503, slow answers, dropped connections,
and forced errors for a path.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import random
import secrets
import ssl
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

STATIC_TOKEN = "standin-static-token"
ORGANISER = "als-admin@lga.example"
ORGANISER_OBJECT_ID = "5d1c6a0e-7f1a-4b0e-9c55-0a1b2c3d4e5f"
HOME_TENANT = "8a2f1d3c-0000-4000-8000-00000000a1a1"
TEAMS_APP_ID = "e2f0b7c4-1111-4222-8333-444455556666"
CLIENT_ID = "0f0e0d0c-aaaa-4bbb-8ccc-dddddddddddd"
CLIENT_SECRET = "standin-secret-value"
EXTERNAL_TENANTS = (
    "1b1b1b1b-0000-4000-8000-00000000b2b2",
    "2c2c2c2c-0000-4000-8000-00000000c3c3",
    "3d3d3d3d-0000-4000-8000-00000000d4d4",
)
FAULT_KINDS = ("throttle", "unavailable", "bad_gateway", "drop", "slow")


def graph_time(moment: dt.datetime) -> str:
    """Graph's own format: seven fractional digits and a Z."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def error(status: int, code: str, message: str, **headers: str) -> web.Response:
    body = {"error": {"code": code, "message": message, "innerError": {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
    }}}
    return web.json_response(body, status=status, headers=headers)


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Faults:
    """Random faults (seeded) applied before a request is handled; `drop` applies after it."""

    seed: int = 0
    throttle_rate: float = 0.0
    retry_after: tuple[int, int] = (0, 1)
    unavailable_rate: float = 0.0
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.5


@dataclass
class Planned:
    kind: str
    route: str | None
    retry_after: int = 0
    seconds: float = 0.5


@dataclass
class StoredEvent:
    id: str
    organiser: str
    transaction_id: str | None
    body: dict[str, Any]
    ical_uid: str
    meeting_id: str
    patches: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StoredReport:
    id: str
    start: dt.datetime
    end: dt.datetime
    records: list[dict[str, Any]]
    available_at: float


@dataclass
class StoredMeeting:
    id: str
    organiser: str
    join_url: str
    thread_id: str
    subject: str
    reports: list[StoredReport] = field(default_factory=list)


@dataclass
class SentMail:
    """One e-mail the app sent through `POST /users/{id}/sendMail`."""

    mailbox: str
    to: list[str]
    subject: str
    content_type: str
    content: str
    save_to_sent_items: bool


@dataclass
class Installation:
    id: str
    app_id: str
    permissions: list[dict[str, Any]]


def tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost: (ca, cert, key) PEMs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Graph stand-in test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (directory / name for name in ("ca.pem", "cert.pem", "key.pem"))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return ca_path, cert_path, key_path


class GraphStandin:
    """Use as `async with GraphStandin() as graph:`; `graph.base_url` ends in `/v1.0`."""

    def __init__(
        self,
        *,
        tls: bool = False,
        faults: Faults | None = None,
        page_size: int = 100,
        mailboxes: dict[str, str] | None = None,
        catalogue: set[str] | None = None,
        late_join_url: bool = False,
        teams_meetings: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tls = tls
        self.faults = faults or Faults()
        self.rng = random.Random(self.faults.seed)
        self.page_size = page_size
        # Mailboxes are addressed by UPN or object id; both map to the UPN.
        mailboxes = mailboxes or {ORGANISER: ORGANISER_OBJECT_ID}
        self.mailboxes = {k.lower(): k for k in mailboxes} | {
            v.lower(): k for k, v in mailboxes.items()}
        self.catalogue = catalogue if catalogue is not None else {TEAMS_APP_ID}
        self.late_join_url = late_join_url
        # False: the organiser's Teams meeting policy forbids meetings; events get no join link.
        self.teams_meetings = teams_meetings
        self.clock = clock
        self.tokens = {STATIC_TOKEN}
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.counts: Counter[str] = Counter()
        self.faults_served: Counter[str] = Counter()
        self.events: dict[str, StoredEvent] = {}
        self.meetings: dict[str, StoredMeeting] = {}
        self.chats: dict[str, dict[str, Installation]] = {}
        self.planned: list[Planned] = []
        self.mails: list[SentMail] = []
        # The tenant's directory (members and guests), by lower-case address: their object ids.
        self.directory: dict[str, str] = {}
        self.user_apps: dict[str, set[str]] = {}
        self.forced: list[tuple[str, int, str]] = []
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        self.ca_path: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1.0"

    @property
    def authority(self) -> str:
        return self.origin

    def env(self, **extra: str) -> dict[str, str]:
        """Environment variables that point the Graph settings (`bot.config.graph_settings`) at this stand-in."""
        values = {
            "AZURE_TENANT_ID": HOME_TENANT,
            "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_CLIENT_SECRET": CLIENT_SECRET,
            "AZURE_AUTHORITY_HOST": self.authority,
            "GRAPH_BASE_URL": self.base_url,
            "GRAPH_ORGANISER": ORGANISER,
            "GRAPH_TEAMS_APP_ID": TEAMS_APP_ID,
        }
        if self.ca_path:
            values["REQUESTS_CA_BUNDLE"] = str(self.ca_path)
        return values | extra

    async def start(self) -> GraphStandin:
        app = web.Application(middlewares=[self._gate])
        v1 = "/v1.0"
        user = v1 + "/users/{user}"
        meeting = user + "/onlineMeetings/{meeting}"
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_post(user + "/events", self._create_event)
        app.router.add_get(user + "/events/{event}", self._get_event)
        app.router.add_patch(user + "/events/{event}", self._patch_event)
        app.router.add_get(user + "/onlineMeetings", self._find_meetings)
        app.router.add_get(meeting + "/attendanceReports", self._reports)
        app.router.add_get(meeting + "/attendanceReports/{report}/attendanceRecords", self._records)
        app.router.add_post(v1 + "/chats/{chat}/installedApps", self._install)
        app.router.add_post(user + "/sendMail", self._send_mail)
        app.router.add_get(user, self._get_user)
        app.router.add_post(user + "/teamwork/installedApps", self._install_for_user)
        context = None
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="graph-standin-")
            self.ca_path, cert, key = tls_files(Path(self._tmp.name))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> GraphStandin:
        return await self.start()

    async def __aexit__(self, *args: object) -> None:
        await self.stop()

    # -- test controls -----------------------------------------------------------------------

    def fail_next(self, kind: str, times: int = 1, *, route: str | None = None,
                  retry_after: int = 0, seconds: float = 0.5) -> None:
        """Queue `times` faults for the next matching requests (`route` is a substring of
        'METHOD /path')."""
        assert kind in FAULT_KINDS, kind
        self.planned.extend(Planned(kind, route, retry_after, seconds) for _ in range(times))

    def force(self, path_part: str, status: int, code: str) -> None:
        """Answer every request whose path contains `path_part` with this error."""
        self.forced.append((path_part, status, code))

    def count(self, method: str, suffix: str) -> int:
        """Requests served for a route, e.g. count('POST', '/events')."""
        return sum(n for key, n in self.counts.items()
                   if key.startswith(method + " ") and key.endswith(suffix))

    def events_with_transaction(self, transaction_id: str) -> list[StoredEvent]:
        return [e for e in self.events.values() if e.transaction_id == transaction_id]

    def meeting_by_join_url(self, join_url: str) -> StoredMeeting:
        return next(m for m in self.meetings.values() if m.join_url == join_url)

    def add_report(self, meeting_id: str, start: dt.datetime, end: dt.datetime,
                   records: list[dict[str, Any]], ready_after: float = 0.0) -> str:
        report = StoredReport(str(uuid.uuid4()), start, end, records,
                              self.clock() + ready_after)
        self.meetings[meeting_id].reports.append(report)
        return report.id

    def add_meeting(self, organiser: str = ORGANISER, subject: str = "Seeded meeting") -> str:
        """A meeting with no calendar event (for attendance tests and benchmarks)."""
        return self._new_meeting(organiser, subject).id

    # -- the gate: counting, auth, faults ----------------------------------------------------

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = request.match_info.route.resource
        canonical = route.canonical if route is not None else request.path
        key = f"{request.method} {canonical}"
        self.counts[key] += 1
        if canonical.endswith("/oauth2/v2.0/token"):
            token_response: web.StreamResponse = await handler(request)
            return token_response
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            return error(401, "InvalidAuthenticationToken",
                         "Access token is empty." if not header else "Access token is invalid.")
        for part, status, code in self.forced:
            if part in request.path:
                return error(status, code, f"Forced {status} by the stand-in.")
        fault = self._pick_fault(f"{request.method} {request.path}")
        if fault is not None:
            self.faults_served[fault.kind] += 1
            if fault.kind == "throttle":
                return error(429, "TooManyRequests", "Too many requests.",
                             **{"Retry-After": str(fault.retry_after)})
            if fault.kind == "unavailable":
                return error(503, "ServiceNotAvailable", "Service unavailable.",
                             **{"Retry-After": str(fault.retry_after)})
            if fault.kind == "bad_gateway":
                return error(502, "BadGateway", "Bad gateway.")
        mailbox = request.match_info.get("user", "").lower()
        self.in_flight[mailbox] += 1
        self.peak_in_flight[mailbox] = max(self.peak_in_flight[mailbox], self.in_flight[mailbox])
        try:
            # Yield once so that concurrent requests really overlap here.
            await asyncio.sleep(fault.seconds if fault is not None and fault.kind == "slow" else 0)
            response: web.StreamResponse = await handler(request)
        finally:
            self.in_flight[mailbox] -= 1
        if fault is not None and fault.kind == "drop":
            # The work is done but the answer is lost: the worst case for a retried POST.
            assert request.transport is not None
            request.transport.abort()
        return response

    def _pick_fault(self, target: str) -> Planned | None:
        for index, planned in enumerate(self.planned):
            if planned.route is None or planned.route in target:
                return self.planned.pop(index)
        f = self.faults
        roll = self.rng.random()
        if roll < f.throttle_rate:
            return Planned("throttle", None, self.rng.randint(*f.retry_after))
        roll -= f.throttle_rate
        if roll < f.unavailable_rate:
            return Planned("unavailable", None, self.rng.randint(*f.retry_after))
        roll -= f.unavailable_rate
        if roll < f.drop_rate:
            return Planned("drop", None)
        roll -= f.drop_rate
        if roll < f.slow_rate:
            return Planned("slow", None, seconds=f.slow_seconds)
        return None

    def _mailbox(self, request: web.Request) -> str:
        found = self.mailboxes.get(request.match_info["user"].lower())
        if found is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": {"code": "ErrorInvalidUser", "message":
                                 "The requested user is invalid."}}),
                content_type="application/json")
        return found

    # -- token endpoint ----------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        client, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        if form.get("grant_type") != "client_credentials" or not str(
                form.get("scope", "")).endswith("/.default"):
            return web.json_response({"error": "invalid_request"}, status=400)
        if self.clients.get(client) != secret:
            return web.json_response({"error": "invalid_client", "error_description":
                                      "AADSTS7000215: Invalid client secret provided."},
                                     status=401)
        token = "standin-" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599,
                                  "ext_expires_in": 3599, "access_token": token})

    # -- events --------------------------------------------------------------------------------

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise Invalid("The request body is not valid JSON.") from exc
        if not isinstance(body, dict):
            raise Invalid("The request body must be an object.")
        return body

    @staticmethod
    def _check_time(value: Any, name: str) -> dt.datetime:
        if not isinstance(value, dict) or not value.get("dateTime") or not value.get("timeZone"):
            raise Invalid(f"'{name}' needs dateTime and timeZone.")
        try:
            zone = ZoneInfo("UTC" if value["timeZone"] == "UTC" else value["timeZone"])
            moment = dt.datetime.fromisoformat(value["dateTime"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Invalid(f"'{name}' has an invalid dateTime or timeZone.") from exc
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment

    @staticmethod
    def _check_attendees(value: Any) -> None:
        if not isinstance(value, list):
            raise Invalid("'attendees' must be a list.")
        for person in value:
            address = (person.get("emailAddress") or {}).get("address") if isinstance(
                person, dict) else None
            if not address or "@" not in address:
                raise Invalid("Every attendee needs emailAddress.address.")
            if person.get("type", "required") not in {"required", "optional", "resource"}:
                raise Invalid("An attendee's type must be required, optional or resource.")

    def _check_event(self, body: dict[str, Any], *, partial: bool) -> None:
        if not partial or "start" in body or "end" in body:
            start = self._check_time(body.get("start"), "start")
            end = self._check_time(body.get("end"), "end")
            if end <= start:
                raise Invalid("The event must end after it starts.")
        if "attendees" in body or not partial:
            self._check_attendees(body.get("attendees", []))
        if "body" in body:
            content = body["body"]
            if not isinstance(content, dict) or str(content.get("contentType", "")).lower() not in {
                    "html", "text"}:
                raise Invalid("'body' needs contentType html or text.")
        if body.get("isOnlineMeeting") and body.get("onlineMeetingProvider") != "teamsForBusiness":
            raise Invalid("An online meeting needs onlineMeetingProvider teamsForBusiness.")

    def _new_meeting(self, organiser: str, subject: str) -> StoredMeeting:
        token = secrets.token_hex(16)
        thread = f"19:meeting_{token}@thread.v2"
        context = quote(json.dumps({"Tid": HOME_TENANT, "Oid": ORGANISER_OBJECT_ID},
                                   separators=(",", ":")), safe="")
        join_url = (f"https://teams.microsoft.com/l/meetup-join/{quote(thread, safe='')}/0"
                    f"?context={context}")
        meeting_id = base64.b64encode(
            f"1*{ORGANISER_OBJECT_ID}*0**{thread}".encode()).decode()
        meeting = StoredMeeting(meeting_id, organiser, join_url, thread, subject)
        self.meetings[meeting_id] = meeting
        self.chats[thread] = {}
        return meeting

    def _event_json(self, event: StoredEvent, *, with_meeting: bool = True) -> dict[str, Any]:
        meeting = self.meetings[event.meeting_id]
        return event.body | {
            "@odata.context": f"{self.base_url}/$metadata#users('{event.organiser}')/events/$entity",
            "id": event.id,
            "iCalUId": event.ical_uid,
            "transactionId": event.transaction_id,
            "onlineMeeting": {"joinUrl": meeting.join_url}
            if with_meeting and self.teams_meetings else None,
        }

    async def _create_event(self, request: web.Request) -> web.Response:
        organiser = self._mailbox(request)
        try:
            body = await self._json(request)
            self._check_event(body, partial=False)
        except Invalid as exc:
            return error(400, "ErrorInvalidRequest", exc.message)
        transaction = body.get("transactionId")
        if transaction:
            for event in self.events.values():
                if event.transaction_id == transaction and event.organiser == organiser:
                    return web.json_response(self._event_json(event), status=201)
        meeting = self._new_meeting(organiser, str(body.get("subject", "")))
        event = StoredEvent(
            id="AAMk" + secrets.token_urlsafe(30), organiser=organiser,
            transaction_id=transaction, body=body,
            ical_uid="040000008200E00074C5B7101A82E008" + secrets.token_hex(24).upper(),
            meeting_id=meeting.id,
        )
        self.events[event.id] = event
        return web.json_response(
            self._event_json(event, with_meeting=not self.late_join_url), status=201)

    def _event(self, request: web.Request) -> StoredEvent:
        organiser = self._mailbox(request)
        event = self.events.get(request.match_info["event"])
        if event is None or event.organiser != organiser:
            raise web.HTTPNotFound(
                text=json.dumps({"error": {"code": "ErrorItemNotFound",
                                           "message": "The specified object was not found."}}),
                content_type="application/json")
        return event

    async def _get_event(self, request: web.Request) -> web.Response:
        return web.json_response(self._event_json(self._event(request)))

    async def _patch_event(self, request: web.Request) -> web.Response:
        event = self._event(request)
        try:
            body = await self._json(request)
            self._check_event(body, partial=True)
        except Invalid as exc:
            return error(400, "ErrorInvalidRequest", exc.message)
        event.patches.append(body)
        if "body" in body:
            # What Graph does: a new body gives the event a new Teams meeting and join link.
            meeting = self._new_meeting(event.organiser, str(event.body.get("subject", "")))
            event.meeting_id = meeting.id
        event.body = event.body | {k: v for k, v in body.items() if k != "@odata.type"}
        return web.json_response(self._event_json(event))

    # -- online meetings and attendance ------------------------------------------------------

    async def _find_meetings(self, request: web.Request) -> web.Response:
        organiser = self._mailbox(request)
        expression = request.query.get("$filter", "")
        prefix = "JoinWebUrl eq '"
        if not expression.startswith(prefix) or not expression.endswith("'"):
            return error(400, "BadRequest", "Filter expression expected - /onlineMeetings?"
                         "$filter=JoinWebUrl eq 'joinweburl'.")
        url = expression[len(prefix):-1].replace("''", "'")
        found = [
            {"id": m.id, "joinWebUrl": m.join_url, "subject": m.subject,
             "chatInfo": {"threadId": m.thread_id, "messageId": "0"}}
            for m in self.meetings.values() if m.join_url == url and m.organiser == organiser
        ]
        return web.json_response({"@odata.context": "...", "value": found})

    def _meeting(self, request: web.Request) -> StoredMeeting:
        organiser = self._mailbox(request)
        meeting = self.meetings.get(request.match_info["meeting"])
        if meeting is None or meeting.organiser != organiser:
            raise web.HTTPNotFound(
                text=json.dumps({"error": {"code": "NotFound",
                                           "message": "The meeting was not found."}}),
                content_type="application/json")
        return meeting

    async def _reports(self, request: web.Request) -> web.Response:
        meeting = self._meeting(request)
        now = self.clock()
        ready = [r for r in meeting.reports if r.available_at <= now][-50:]
        return web.json_response({"value": [
            {"id": r.id, "totalParticipantCount": len(r.records),
             "meetingStartDateTime": graph_time(r.start),
             "meetingEndDateTime": graph_time(r.end)}
            for r in reversed(ready)
        ]})

    async def _records(self, request: web.Request) -> web.Response:
        meeting = self._meeting(request)
        report = next((r for r in meeting.reports if r.id == request.match_info["report"]
                       and r.available_at <= self.clock()), None)
        if report is None:
            return error(404, "NotFound", "The attendance report was not found.")
        try:
            top = min(int(request.query.get("$top", self.page_size)), 999)
            token = request.query.get("$skiptoken")
            offset = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        except ValueError:
            return error(400, "BadRequest", "Invalid $top or $skiptoken.")
        page = report.records[offset:offset + top]
        body: dict[str, Any] = {"value": page}
        if offset + top < len(report.records):
            next_token = base64.urlsafe_b64encode(str(offset + top).encode()).decode()
            body["@odata.nextLink"] = (
                f"{self.origin}{request.path}?$top={top}&$skiptoken={next_token}")
        return web.json_response(body)

    # -- apps in chats -----------------------------------------------------------------------

    async def _install(self, request: web.Request) -> web.Response:
        chat = self.chats.get(request.match_info["chat"])
        if chat is None:
            return error(404, "NotFound", "The chat was not found.")
        try:
            body = await self._json(request)
        except Invalid as exc:
            return error(400, "BadRequest", exc.message)
        bind = str(body.get("teamsApp@odata.bind", ""))
        marker = "/appCatalogs/teamsApps/"
        if marker not in bind or not bind.startswith(("https://", "http://")):
            return error(400, "BadRequest", "teamsApp@odata.bind must name a catalogue app.")
        app_id = bind.rsplit(marker, 1)[1]
        if app_id not in self.catalogue:
            return error(404, "NotFound", "The app was not found in the catalogue.")
        permissions = (body.get("consentedPermissionSet") or {}).get(
            "resourceSpecificPermissions", [])
        for permission in permissions:
            if not permission.get("permissionValue") or str(
                    permission.get("permissionType", "")).lower() not in {"application",
                                                                          "delegated"}:
                return error(400, "BadRequest", "Each permission needs a value and a type.")
        if app_id in chat:
            return error(409, "Conflict", "The app is already installed in this chat.")
        chat[app_id] = Installation(secrets.token_urlsafe(16), app_id, permissions)
        return web.json_response({"id": chat[app_id].id}, status=201)


    # -- mail and people (issue 12) ----------------------------------------------------------

    async def _send_mail(self, request: web.Request) -> web.Response:
        mailbox = self._mailbox(request)
        try:
            body = await self._json(request)
        except Invalid as exc:
            return error(400, "ErrorInvalidRequest", exc.message)
        # msgraph-sdk names the action's parameters as the API declares them: capitalised.
        message = body.get("Message")
        if not isinstance(message, dict):
            return error(400, "ErrorInvalidRequest", "The 'Message' parameter is required.")
        recipients = message.get("toRecipients")
        if not isinstance(recipients, list) or not recipients:
            return error(400, "ErrorInvalidRecipients", "At least one recipient is required.")
        addresses = [str((r.get("emailAddress") or {}).get("address") or "") for r in recipients
                     if isinstance(r, dict)]
        if not all("@" in a for a in addresses):
            return error(400, "ErrorInvalidRecipients", "Every recipient needs emailAddress.address.")
        content = message.get("body") or {}
        kind = str(content.get("contentType", "")).lower()
        if kind not in {"text", "html"}:
            return error(400, "ErrorInvalidRequest", "'body' needs contentType text or html.")
        self.mails.append(SentMail(mailbox, addresses, str(message.get("subject") or ""), kind,
                                   str(content.get("content") or ""), bool(body.get("SaveToSentItems", True))))
        return web.Response(status=202)

    def _person(self, request: web.Request) -> str | None:
        wanted = request.match_info["user"].lower()
        if wanted in self.directory:
            return self.directory[wanted]
        return wanted if wanted in self.directory.values() else None

    async def _get_user(self, request: web.Request) -> web.Response:
        found = self._person(request)
        if found is None:
            return error(404, "Request_ResourceNotFound",
                         f"Resource '{request.match_info['user']}' does not exist.")
        address = next(a for a, i in self.directory.items() if i == found)
        return web.json_response({"id": found, "userPrincipalName": address, "mail": address})

    async def _install_for_user(self, request: web.Request) -> web.Response:
        found = self._person(request)
        if found is None:
            return error(404, "NotFound", "The user was not found.")
        try:
            body = await self._json(request)
        except Invalid as exc:
            return error(400, "BadRequest", exc.message)
        bind = str(body.get("teamsApp@odata.bind", ""))
        marker = "/appCatalogs/teamsApps/"
        if marker not in bind:
            return error(400, "BadRequest", "teamsApp@odata.bind must name a catalogue app.")
        app_id = bind.rsplit(marker, 1)[1]
        if app_id not in self.catalogue:
            return error(404, "NotFound", "The app was not found in the catalogue.")
        installed = self.user_apps.setdefault(found, set())
        if app_id in installed:
            return error(409, "Conflict", "The app is already installed for this user.")
        installed.add(app_id)
        return web.json_response({"id": secrets.token_urlsafe(16)}, status=201)


def people(count: int, start: dt.datetime, minutes: int = 90, *, seed: int = 1,
           guests: int = 1) -> list[dict[str, Any]]:
    """Attendance records of realistic shape: the organiser, home-tenant and external officers,
    and `guests` anonymous guests with no e-mail address."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        guest = index >= count - guests
        tenant = HOME_TENANT if index % 4 == 0 else EXTERNAL_TENANTS[index % 3]
        join = start + dt.timedelta(seconds=rng.randint(-300, 600))
        leave = start + dt.timedelta(minutes=minutes) - dt.timedelta(seconds=rng.randint(0, 900))
        intervals = [(join, leave)]
        if rng.random() < 0.2:  # dropped out and came back
            gap = join + (leave - join) / 2
            intervals = [(join, gap), (gap + dt.timedelta(seconds=90), leave)]
        seconds = [int((b - a).total_seconds()) for a, b in intervals]
        spans = [{"joinDateTime": graph_time(a), "leaveDateTime": graph_time(b),
                  "durationInSeconds": n} for (a, b), n in zip(intervals, seconds, strict=True)]
        records.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "emailAddress": None if guest else f"officer{index}@council{index % 7}.gov.uk",
            "totalAttendanceInSeconds": sum(seconds),
            "role": "Organizer" if index == 0 else ("Presenter" if index % 5 == 1
                                                    else "Attendee"),
            "identity": {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "displayName": f"Guest {index}" if guest else f"Officer {index}",
                "tenantId": None if guest else tenant,
            },
            "attendanceIntervals": spans,
        })
    return records
