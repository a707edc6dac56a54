"""The knowledge base as the action server serves it: reloaded when the files change,
never broken by them.

Trainers save answers from the dashboard (or edit the YAML); within seconds the next
reply uses them, with no restart. If a saved file does not pass the validator, the
coach keeps answering from the last good version and logs what is wrong, naming the
file and the field; the dashboard shows the same problems.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bot.knowledge import base as knowledge

logger = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0


def _stamp(root: Path) -> tuple:
    """Names, sizes and modification times of every knowledge file: any save changes it."""
    return tuple(
        (str(path), stat.st_size, stat.st_mtime_ns) for path in sorted(root.rglob("*.yml")) for stat in (path.stat(),)
    )


class LiveKnowledge:
    def __init__(self, root: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.root = Path(root)
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp = _stamp(self.root)
        self._current = knowledge.load(self.root)  # at start-up a broken base is an error: fail loudly
        self._checked = clock()
        self.problems: str | None = None

    def get(self) -> knowledge.KnowledgeBase:
        """The current knowledge base, reloaded first if a file changed since the last look."""
        if self._clock() - self._checked >= CHECK_EVERY_SECONDS:
            self._reload_if_changed()
        return self._current

    def _reload_if_changed(self) -> None:
        with self._lock:
            self._checked = self._clock()
            stamp = _stamp(self.root)
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                self._current = knowledge.load(self.root)
            except knowledge.KnowledgeError as error:
                self.problems = str(error)
                logger.error("The knowledge base has problems; still answering from the last good version.\n%s", error)
                return
            self.problems = None
            logger.info("Knowledge base reloaded from %s", self.root)
