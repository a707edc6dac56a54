"""`coach digest` after `coach demo-data`, as an operator runs it: an Italian HTML digest whose
charts are images, and clear refusals (no traceback) for a small group, a bad week or team,
and --send with nowhere configured."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys

import pytest

DIGEST_ENV = ("COACH_DIGEST_", "SMTP_", "TELEGRAM_", "SLACK_", "DATABASE_URL")


@pytest.fixture(scope="module")
def coach(tmp_path_factory):
    var = tmp_path_factory.mktemp("digest")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(DIGEST_ENV)}
    environ.update({"COACH_VAR_DIR": str(var), "COACH_SECRET_KEY": "system-test-key"})

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args], cwd=var, env=environ, capture_output=True, text=True, timeout=600
        )

    demo = run("demo-data")
    assert demo.returncode == 0, demo.stderr
    run.folder = var  # type: ignore[attr-defined]
    return run


def test_an_italian_digest_of_the_last_week_is_written_with_its_charts_as_images(coach):
    result = coach("digest", "--lang", "it", "--output", "digest.html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Riepilogo settimanale: tutta l'azienda, Settimana ")
    page = (coach.folder / "digest.html").read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2
    assert all(base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n") for image in images)
    assert '<html lang="it">' in page and "Le obiezioni più frequenti" in page


def test_a_week_of_fewer_than_5_people_gets_no_digest(coach):
    result = coach("digest", "--week", "2020-W10", "--output", "old.html")
    assert result.returncode == 1 and "fewer than 5 people" in result.stderr
    assert not (coach.folder / "old.html").exists() and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, says",
    [
        (("--week", "2026-46"), "use YYYY-Www"),
        (("--team", "Atlantis"), "no team 'Atlantis'"),
        (("--send",), "nowhere to send the digest"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_code_2(coach, args, says):
    result = coach("digest", *args)
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
