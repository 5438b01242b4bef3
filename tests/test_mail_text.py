"""The e-mail form of a notice: what the Teams message said in plain words, the join link, how to open
the app; never the card's own text, where confidential words live."""

from __future__ import annotations

from bot.features import mail_text

SECRET = "Our housing retrofit challenge"


def test_a_notice_without_an_email_part_gets_its_kinds_fixed_text_not_the_card() -> None:
    body = {"card": {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": SECRET}]}}
    mail = mail_text.render("promoted", body)
    assert mail.subject == "Your council has a place in an Action Learning Set"
    assert SECRET not in mail.text and "open the app in Teams" in mail.text
    assert "search for “Action Learning Sets”" in mail.text


def test_an_unknown_kind_gets_the_plain_default() -> None:
    mail = mail_text.render("next", {"text": SECRET})
    assert mail.subject == mail_text.DEFAULT[0] and SECRET not in mail.text


def test_an_email_part_is_used_with_its_join_link() -> None:
    part = mail_text.email_part("Reminder: Tuesday set, session 2", ["Session 2 is in 3 days."],
                                "https://teams.microsoft.com/l/meetup-join/x")
    mail = mail_text.render("session-reminder", {"card": {"body": [SECRET]}, "email": part})
    assert mail.subject == "Reminder: Tuesday set, session 2"
    assert "Session 2 is in 3 days." in mail.text
    assert "Join the session in Teams: https://teams.microsoft.com/l/meetup-join/x" in mail.text
    assert SECRET not in mail.text


def test_every_fixed_text_is_plain_and_british() -> None:
    for subject, text in mail_text.TEMPLATES.values():
        assert "{" not in subject + text
        assert "color" not in text.lower() and "organization" not in text.lower()
