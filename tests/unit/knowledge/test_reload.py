"""The action server's knowledge follows the files within seconds and survives a broken one."""

import os
import shutil

from bot.knowledge.reload import CHECK_EVERY_SECONDS, LiveKnowledge
from tests.conftest import ROOT


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _touch(path, text):
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_change_is_served_after_the_next_check_and_a_broken_file_never_is(tmp_path, caplog):
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)
    clock = Clock()
    live = LiveKnowledge(root, clock)
    path = root / "answers" / "objection_no_time.yml"
    good = path.read_text(encoding="utf-8")
    first_answer = live.get().entries["objection_no_time"].answers["en"].short[0]

    _touch(path, good.replace(first_answer, "A brand new answer."))
    assert live.get().entries["objection_no_time"].answers["en"].short[0] == first_answer, "not before the check"
    clock.now += CHECK_EVERY_SECONDS
    assert live.get().entries["objection_no_time"].answers["en"].short[0] == "A brand new answer."

    _touch(path, "it: [this is: not valid")
    clock.now += CHECK_EVERY_SECONDS
    assert live.get().entries["objection_no_time"].answers["en"].short[0] == "A brand new answer."
    assert "objection_no_time.yml" in live.problems and "still answering from the last good version" in caplog.text

    _touch(path, good)
    clock.now += CHECK_EVERY_SECONDS
    assert live.get().entries["objection_no_time"].answers["en"].short[0] == first_answer
    assert live.problems is None
