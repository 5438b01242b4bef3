"""Graph failures turned into one exception whose message tells an administrator what to fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.features.graph_port import GraphError as GraphError

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
# The Teams application access policy's name, as manifest/INSTALL.md (step 4) creates it.
ACCESS_POLICY = "ALS-Bot"


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
        grant = (
            f"Microsoft Graph refused to {action} ({code or 'Forbidden'}). In Entra ID, grant the "
            f"app registration (AZURE_CLIENT_ID) the application permission {needed} with admin "
            f"consent (the app needs all of: {ALL_PERMISSIONS}; manifest/INSTALL.md step 3)."
        )
        if area == "apps":
            # Installing into a chat is not governed by the Teams application access policy.
            return (
                f"{grant} Adding the app to a meeting chat also needs the app to be allowed for the "
                "organisation in the Teams admin centre (Manage apps, and the app permission "
                "policies; step 7), and GRAPH_TEAMS_APP_ID to be the app's id in your "
                "organisation's app catalogue (step 8)."
            )
        if area in ("meetings", "attendance"):
            return (
                f"{grant} Online meetings and attendance reports also need a Teams application "
                f"access policy that lets the app act for {who} (step 4): "
                f"New-CsApplicationAccessPolicy -Identity {ACCESS_POLICY} -AppIds <AZURE_CLIENT_ID>, "
                f"then Grant-CsApplicationAccessPolicy -PolicyName {ACCESS_POLICY} -Identity "
                "<organiser>. Policy changes can take up to 30 minutes to apply."
            )
        return grant
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
    # Imported here: the generated model modules are slow to import, and the bot imports this
    # module at start-up (graph.mail), long before its first Graph call.
    import httpx
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
