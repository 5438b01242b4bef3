"""Follows the README's Agents Playground route on a clean clone, in headless Chromium, and times it.

    python -m tests.playground_walk [--source REPO] [--into DIR] [--shot PNG]

From `git clone` to the admin card: `make install`, `als programme load examples/playground.yaml`,
`ALS_ADMINS=alexw@example.com make run` on a free port, the Playground (kept on loopback), then in
the Playground's personal chat as its user Alex Wilber: sign up, my sets, apologies and their
withdrawal, withdraw, and `sets` (the admin card, saved as a screenshot). Each step's time and what
the bot answered are printed. Needs git, make, npx (Node.js 18+) with the npm registry, and
Chromium at /usr/bin/chromium driven through Playwright (`pip install -e '.[playground]'`); it
never downloads a browser. Not part of `make test`: it takes minutes and needs the network for npm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PLAYGROUND = "@microsoft/m365agentsplayground"
USER_EMAIL = "alexw@example.com"  # the Playground's own user (its default configuration)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Otherwise Chromium still looks up Google's hosts.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]


def missing_tools() -> list[str]:
    """What this walk needs that the machine lacks (a test skips, naming them)."""
    missing = [tool for tool in ("git", "make", "npx") if shutil.which(tool) is None]
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[playground]')")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = self.started
        self.steps: list[tuple[str, float]] = []

    def step(self, name: str) -> None:
        now = time.monotonic()
        self.steps.append((name, now - self.last))
        print(f"[{now - self.started:6.1f} s] {name} ({now - self.last:.1f} s)", flush=True)
        self.last = now

    @property
    def total(self) -> float:
        return self.last - self.started


def sh(command: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """Run one README command line in bash, as a person would type it."""
    result = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{command!r} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


@contextmanager
def background(command: str, cwd: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            # Only the group this walk started: make, als and npx's node under it.
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class Chat:
    """The Playground's personal chat, as its user types and clicks."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def cards(self) -> Any:
        return self.page.locator(".ac-adaptiveCard")

    def last_card(self) -> Any:
        return self.cards().last

    def say(self, text: str, expect: str) -> str:
        before = self.cards().count()
        box = self.page.locator('[contenteditable="true"][role="textbox"]')
        box.click()
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        wait_until(lambda: self.cards().count() > before, f"an answer to {text!r}", 30)
        return self.expect(expect)

    def expect(self, text: str, timeout: float = 30) -> str:
        self.page.get_by_text(text).last.wait_for(timeout=timeout * 1000)
        self.page.wait_for_timeout(300)  # the card finishes rendering
        return str(self.last_card().inner_text())

    def click(self, name: str, expect: str) -> str:
        self.last_card().get_by_role("button", name=name).last.click()
        return self.expect(expect)


def note(seen: dict[str, str], step: str, text: str) -> None:
    seen[step] = text
    print(f"--- {step}:\n{text.strip()}\n", flush=True)


def walk_chat(page: Any, shot: Path, clock: Clock) -> dict[str, str]:
    chat = Chat(page)
    seen: dict[str, str] = {}
    chat.expect("Welcome to Action Learning Sets", timeout=60)
    clock.step("the Playground shows the welcome card")

    chat.say("sign up", "Choose a set")
    chat.click("Choose this set", "Your council")
    form = chat.last_card()
    form.get_by_label("Council", exact=True).fill("Example Borough Council")
    form.get_by_label("Your name").fill("Alex Wilber")
    form.get_by_label("Your work e-mail address").fill(USER_EMAIL)
    form.locator('input[aria-label="Choose your role"]').click()
    page.get_by_role("option", name="Procurement", exact=True).click()
    form.get_by_label("A short title").fill("Greener catering contracts")
    form.get_by_label("Your challenge in a few lines").fill(
        "Our catering contracts renew next year; how do we put carbon into the award criteria?")
    for group in form.get_by_role("radiogroup").all():
        group.get_by_role("radio", name="Yes").check()
    for box in form.get_by_role("checkbox").all():
        box.check()
    note(seen, "sign up", chat.click("Sign up", "You have a place"))
    clock.step("signed up")

    note(seen, "my sets", chat.say("my sets", "My sets"))
    clock.step("my sets")

    chat.say("apologies", "Which session?")
    card = chat.last_card()
    card.get_by_label("Why can you not attend? (required)").fill("A planning committee I must attend.")
    note(seen, "apologies", chat.click("Send apologies", "Apologies you have sent"))
    clock.step("apologies sent")
    withdrawn = chat.click("Withdraw these apologies: I can come", "Which session?")
    note(seen, "apologies withdrawn", withdrawn)
    if "are withdrawn" not in withdrawn:
        raise SystemExit("the apologies were not withdrawn: see the card above")
    clock.step("apologies withdrawn")

    note(seen, "sets, with the council confirmed", chat.say("sets", "Example Borough Council"))
    chat.last_card().screenshot(path=str(shot.with_name(shot.stem + "-confirmed.png")))
    clock.step("admin card with the council confirmed")

    chat.say("withdraw", "Withdraw your team")
    note(seen, "withdraw", chat.click("Yes, withdraw", "Your team has withdrawn"))
    clock.step("team withdrawn")

    note(seen, "sets", chat.say("sets", "Close booking"))
    chat.last_card().screenshot(path=str(shot))
    clock.step(f"admin card (saved as {shot})")
    return seen


def walk(source: Path, clone: Path, shot: Path) -> Clock:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="als-playground-logs-"))
    print(f"logs in {workdir}", flush=True)
    clock = Clock()
    sh(f"git clone -q {source} {clone}", workdir)
    clock.step("git clone")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "ALS_", "DATABASE_URL"))}
    sh("make install", clone, env)
    clock.step("make install")
    sh(". .venv/bin/activate && als programme load examples/playground.yaml", clone, env)
    clock.step("als programme load examples/playground.yaml")
    port, playground_port = free_port(), free_port()
    bot_env = {**env, "PORT": str(port)}
    with background(f"ALS_ADMINS={USER_EMAIL} make run", clone, bot_env, workdir / "bot.log"):
        wait_until(lambda: answers(f"http://localhost:{port}/readyz"), "the bot to be ready")
        clock.step(f"make run (port {port}) ready")
        playground_env = {**env, "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
                          "NODE_OPTIONS": f"--require {clone / 'tests' / 'playground_loopback.cjs'}"}
        command = (f"npx -y {PLAYGROUND} -e http://localhost:{port}/api/messages -c msteams "
                   f"--disable-telemetry -p {playground_port}")
        with background(command, clone, playground_env, workdir / "playground.log"):
            wait_until(lambda: answers(f"http://127.0.0.1:{playground_port}/"), "the Playground", 300)
            clock.step(f"Playground (port {playground_port}) up")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 1000})
                    page.goto(f"http://127.0.0.1:{playground_port}/", wait_until="networkidle")
                    walk_chat(page, shot, clock)
                    page.screenshot(path=str(shot.with_name(shot.stem + "-page.png")))
                finally:
                    browser.close()
    print(f"From git clone to the admin card: {clock.total:.0f} s")
    return clock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="the repository to clone (default: this one)")
    parser.add_argument("--into", type=Path, help="the clone's folder, which must not exist "
                        "(default: in a new temporary folder)")
    parser.add_argument("--shot", type=Path, default=Path("admin-card.png"), help="the admin card's screenshot")
    args = parser.parse_args(argv)
    if missing := missing_tools():
        print(f"playground_walk: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    into = args.into or Path(tempfile.mkdtemp(prefix="als-playground-")) / "clone"
    args.shot.parent.mkdir(parents=True, exist_ok=True)
    walk(args.source.resolve(), into.resolve(), args.shot.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
