"""What a Graph refusal tells the administrator matches manifest/INSTALL.md, and fits the refusal."""

from __future__ import annotations

import re
from pathlib import Path

from graph.errors import PERMISSIONS, admin_message

INSTALL = (Path(__file__).resolve().parent.parent / "manifest" / "INSTALL.md").read_text(encoding="utf-8")


def refusal(area: str) -> str:
    return admin_message(403, "Forbidden", area=area, action="do it", organiser="als@lga.gov.uk")


def test_the_access_policy_has_the_name_the_guide_gives_it() -> None:
    created = set(re.findall(r'New-CsApplicationAccessPolicy -Identity "?([\w-]+)"?', INSTALL))
    granted = set(re.findall(r'Grant-CsApplicationAccessPolicy -PolicyName "?([\w-]+)"?', INSTALL))
    assert len(created) == 1 and created == granted
    (name,) = created
    for area in ("meetings", "attendance"):
        message = refusal(area)
        assert f"-Identity {name} " in message and f"-PolicyName {name} " in message
        assert re.findall(r"-(?:Identity|PolicyName) ([\w-]+) ", message) == [name, name]


def test_a_chat_install_refusal_asks_for_the_installation_permission_not_the_access_policy() -> None:
    message = refusal("apps")
    assert PERMISSIONS["apps"] in message and "admin consent" in message
    assert "ApplicationAccessPolicy" not in message and "access policy" not in message
    assert "GRAPH_TEAMS_APP_ID" in message


def test_a_calendar_refusal_names_its_permission_without_the_teams_policy() -> None:
    message = refusal("events")
    assert "Calendars.ReadWrite with admin consent" in message
    assert "ApplicationAccessPolicy" not in message


def test_the_guide_names_every_graph_variable() -> None:
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "GRAPH_ORGANISER",
                 "GRAPH_TEAMS_APP_ID", "appCatalogs/teamsApps"):
        assert name in INSTALL, name


def test_every_variable_the_settings_read_is_documented() -> None:
    root = Path(__file__).resolve().parent.parent
    source = (root / "bot" / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"((?:ALS|AZURE|GRAPH)_[A-Z_]+|[A-Z]{4,}_[A-Z_]+)"', source))
    documented = (root / "README.md").read_text(encoding="utf-8") + INSTALL
    assert {"ALS_MEETINGS_SYNC_SECONDS", "ALS_ATTENDANCE_WAIT_HOURS", "GRAPH_TEAMS_APP_ID"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in documented and f"`{n}=" not in documented)
    assert missing == []


def _texts_with_backticks(path: Path) -> list[str]:
    """String literals (docstrings aside) with a backtick: Teams shows those literally."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "`" in node.value
            and id(node) not in docstrings]


def test_messages_people_see_carry_no_markdown_backticks() -> None:
    # A card action's answer, a card's TextBlock and a toast do not render `code`: people would
    # see the backticks themselves.
    root = Path(__file__).resolve().parent.parent
    paths = [*sorted((root / "bot" / "features").rglob("*.py")), *sorted((root / "graph").glob("*.py")),
             root / "bot" / "adapter" / "meetings.py"]
    found = {str(p.relative_to(root)): texts for p in paths if (texts := _texts_with_backticks(p))}
    assert found == {}
