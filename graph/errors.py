"""Graph failures turned into one exception whose message tells an administrator what to fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

PERMISSIONS = {
    "events": "Calendars.ReadWrite",
    "meetings": "OnlineMeetings.ReadWrite.All",
    "attendance": "OnlineMeetingArtifact.Read.All",
    "apps": "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All",
    # Between sessions (issue 12): e-mail, and starting personal chats.
    "mail": "Mail.Send",
    "users": "User.Read.All",
    "install": "TeamsAppInstallation.ReadWriteSelfForUser.All",
}
# What the meetings need; the e-mail and chat-starting permissions are asked for on their own.
ALL_PERMISSIONS = ", ".join(v for k, v in PERMISSIONS.items() if k not in {"mail", "users", "install"})


class GraphError(Exception):
    """A Graph call that failed for good: `admin_message` says what to do about it.

    `detail` is Graph's own error text, kept for diagnosis; it names ids, never user content.
    """

    def __init__(self, status: int, code: str, admin_message: str, detail: str = "") -> None:
        super().__init__(admin_message)
        self.status = status
        self.code = code
        self.admin_message = admin_message
        self.detail = detail

    def __repr__(self) -> str:
        return f"GraphError(status={self.status}, code={self.code!r})"


def admin_message(status: int, code: str, *, area: str, action: str, organiser: str) -> str:
    """The sentence an administrator needs for a permanent failure of `action`."""
    who = f"the organiser mailbox {organiser!r}" if organiser else "the organiser mailbox"
    if status == 401:
        return (
            f"Microsoft Graph did not accept the app's credentials while trying to {action} "
            f"({code or 'Unauthorized'}). Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the client "
            "secret or certificate (it may have expired) of the app registration."
        )
    if status == 403:
        needed = PERMISSIONS.get(area, ALL_PERMISSIONS)
        return (
            f"Microsoft Graph refused to {action} ({code or 'Forbidden'}). In Entra ID, grant the "
            f"app registration the application permission {needed} with admin consent (the app "
            f"needs all of: {ALL_PERMISSIONS}). Online meetings and attendance reports also need "
            f"a Teams application access policy that lets the app act for {who}: "
            "New-CsApplicationAccessPolicy -Identity ALS-Meetings -AppIds <AZURE_CLIENT_ID>, then "
            "Grant-CsApplicationAccessPolicy -PolicyName ALS-Meetings -Identity <organiser>. "
            "Policy changes can take up to 30 minutes to apply."
        )
    if status == 404:
        return (
            f"Microsoft Graph found nothing to {action} ({code or 'NotFound'}). Check that "
            f"GRAPH_ORGANISER names an existing licensed mailbox ({who}) and that the meeting "
            "or event still exists; a meeting that was deleted in Outlook must be created again."
        )
    if status == 0:
        return (
            f"Microsoft Graph could not be reached to {action} ({code}). Check the network, "
            "HTTPS_PROXY/NO_PROXY and REQUESTS_CA_BUNDLE if a proxy inspects TLS."
        )
    if status == 429 or status >= 500:
        return (
            f"Microsoft Graph was busy or unavailable while trying to {action} (HTTP {status}) "
            "and kept failing after several attempts. Try again later; nothing was duplicated."
        )
    return f"Microsoft Graph rejected the request to {action} (HTTP {status}, {code or 'error'})."


@contextmanager
def graph_errors(*, area: str, action: str, organiser: str = "") -> Iterator[None]:
    """Turn msgraph-sdk, azure-identity and httpx failures inside the block into `GraphError`."""
    # Imported here: the generated model modules are slow to import and only needed on failure.
    from azure.core.exceptions import ClientAuthenticationError
    from kiota_abstractions.api_error import APIError

    try:
        yield
    except APIError as exc:
        status = exc.response_status_code or 0
        main = getattr(exc, "error", None)
        code = str(getattr(main, "code", "") or "")
        detail = str(getattr(main, "message", "") or exc.message or "")
        message = admin_message(status, code, area=area, action=action, organiser=organiser)
        raise GraphError(status, code, message, detail) from exc
    except ClientAuthenticationError as exc:
        message = admin_message(401, "TokenRequestFailed", area=area, action=action,
                                organiser=organiser)
        raise GraphError(401, "TokenRequestFailed", message, type(exc).__name__) from exc
    except httpx.TransportError as exc:
        code = type(exc).__name__
        message = admin_message(0, code, area=area, action=action, organiser=organiser)
        raise GraphError(0, code, message) from exc
