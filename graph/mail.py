"""Reaching people outside Teams chats: e-mail from the programme's mailbox, and the directory look-ups
and app installation that let the bot start a personal chat with someone of its own tenant.

- `send_mail`: `POST /users/{organiser}/sendMail` (application permission `Mail.Send`; 202). The
  programme's mailbox is `GRAPH_ORGANISER`; an Exchange application access policy (or RBAC for
  Applications) can limit the permission to that mailbox.
- `find_user`: `GET /users/{address}` (`User.Read.All`): the person's object id when they are a
  member or guest of the bot's tenant.
- `install_for_user`: `POST /users/{id}/teamwork/installedApps`
  (`TeamsAppInstallation.ReadWriteSelfForUser.All`); 409 means it is installed already.

Every function takes the `GraphServiceClient` from `graph.client` and raises `graph.errors.GraphError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.errors import GraphError, graph_errors


@dataclass(frozen=True)
class Email:
    """One plain-text e-mail. It never holds what a person wrote in a set (the callers' duty)."""

    to: str
    subject: str
    text: str


async def send_mail(client: Any, organiser: str, email: Email) -> None:
    """Send `email` from the organiser's mailbox, keeping a copy in its Sent Items."""
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.email_address import EmailAddress
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.recipient import Recipient
    from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
        SendMailPostRequestBody,
    )

    body = SendMailPostRequestBody(
        message=Message(
            subject=email.subject,
            body=ItemBody(content_type=BodyType.Text, content=email.text),
            to_recipients=[Recipient(email_address=EmailAddress(address=email.to))],
        ),
        save_to_sent_items=True,
    )
    # Not Replayable: sendMail has no transactionId, so a dropped answer must not send it twice.
    with graph_errors(area="mail", action="send an e-mail from the programme's mailbox",
                      organiser=organiser):
        await client.users.by_user_id(organiser).send_mail.post(body)


async def find_user(client: Any, address: str) -> str | None:
    """The object id of the member or guest of this tenant with that address; None if unknown."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

    query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=["id"])
    config: RequestConfiguration[Any] = RequestConfiguration(query_parameters=query)
    try:
        with graph_errors(area="users", action="look the person up in the directory"):
            user = await client.users.by_user_id(address).get(request_configuration=config)
    except GraphError as error:
        if error.status == 404:
            return None
        raise
    found = getattr(user, "id", None)
    return str(found) if found else None


async def install_for_user(client: Any, user_id: str, teams_app_id: str) -> bool:
    """Install the app for a person of this tenant; False if it was installed already."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.models.user_scope_teams_app_installation import (
        UserScopeTeamsAppInstallation,
    )

    base = client.request_adapter.base_url.rstrip("/")
    installation = UserScopeTeamsAppInstallation(
        additional_data={"teamsApp@odata.bind": f"{base}/appCatalogs/teamsApps/{teams_app_id}"},
    )
    from graph.client import Replayable  # not at the top: the bot imports this module at start-up

    # A repeat is harmless: the second install answers 409.
    config: RequestConfiguration[Any] = RequestConfiguration(options=[Replayable()])
    try:
        with graph_errors(area="install", action="install the app for the person"):
            await client.users.by_user_id(user_id).teamwork.installed_apps.post(
                installation, request_configuration=config
            )
    except GraphError as error:
        if error.status == 409:
            return False
        raise
    return True


class GraphOutreach:
    """The courier's way past Teams (bot.adapter.courier.Outreach) on Microsoft Graph."""

    def __init__(self, settings: Any, client: Any = None) -> None:
        self.settings = settings
        self._client = client

    def client(self) -> Any:
        if self._client is None:
            from graph.client import RetryPolicy, make_client

            # Shorter than the meetings' policy: a courier round holds its notices on a 60-second
            # lease, and a notice whose e-mail fails is tried again later anyway.
            policy = RetryPolicy(attempts=3, max_delay=10.0, max_retry_after=20.0, timeout=30.0)
            self._client = make_client(self.settings, policy=policy)
        return self._client

    async def send_mail(self, to: str, subject: str, text: str) -> None:
        await send_mail(self.client(), self.settings.organiser, Email(to, subject, text))

    async def user_id(self, address: str) -> str | None:
        return await find_user(self.client(), address)

    async def install(self, user_id: str) -> bool:
        return await install_for_user(self.client(), user_id, self.settings.teams_app_id)

    async def close(self) -> None:
        if self._client is not None:
            from graph.client import close_client

            await close_client(self._client)
