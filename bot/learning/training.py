"""`coach train`: retrain, compare on the held-out files, and replace the running model
only if the new one is not worse.

The candidate is trained next to the current model, both are evaluated on the same
held-out files, and both figures are reported. If the candidate's intent macro-F1 is
at least the current one's in every language (minus an optional tolerance), it
replaces `models/coach.tar.gz` and the running Rasa server is told to load it (its
HTTP API, `PUT /model`); conversations live in the tracker store, so none is dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.learning import evaluation

Report = dict[str, dict[str, object]]


@dataclass(frozen=True)
class Outcome:
    candidate: Path
    current: Report | None
    new: Report
    promoted: bool
    reasons: list[str]


def train_candidate(config: Path, domain: Path, data: Sequence[Path], out_dir: Path) -> Path:
    from rasa.model_training import train

    name = f"candidate-{dt.datetime.now():%Y%m%d-%H%M%S}"
    result = train(
        str(domain),
        str(config),
        [str(p) for p in data],
        output=str(out_dir),
        force_training=True,
        fixed_model_name=name,
    )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"training failed (code {result.code})")
    return Path(result.model)


def figures(model: Path, tests: Path) -> Report:
    from bot.nlu.parser import load_parser

    return evaluation.evaluate(load_parser(model), tests)


def _f1(figures: dict[str, object]) -> float | None:
    value = figures.get("intent_macro_f1")
    return float(value) if isinstance(value, (int, float)) else None


def regressions(current: Report, new: Report, tolerance: float) -> list[str]:
    """What got worse: a language whose intent macro-F1 dropped by more than the tolerance."""
    worse = []
    for language, before in current.items():
        old, now = _f1(before), _f1(new.get(language, {}))
        if old is not None and (now is None or now < old - tolerance):
            worse.append(f"{language}: intent macro-F1 {old} -> {now}")
    return worse


def promote(candidate: Path, target: Path) -> None:
    scratch = target.with_name(f".{target.name}.new")
    shutil.copyfile(candidate, scratch)
    os.replace(scratch, target)  # the server never sees a half-copied model


def reload_server(server_url: str, model: Path, api_token: str, timeout: float = 300) -> None:
    """Tells a running Rasa server to load `model`; its API takes the token as a query parameter."""
    request = urllib.request.Request(
        f"{server_url.rstrip('/')}/model?{urllib.parse.urlencode({'token': api_token})}",
        method="PUT",
        data=json.dumps({"model_file": str(model.resolve())}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status not in (200, 204):
            raise RuntimeError(f"the server answered {response.status}")


def run(
    config: Path, domain: Path, data: Sequence[Path], tests: Path, current_model: Path, tolerance: float = 0.0
) -> Outcome:
    candidate = train_candidate(config, domain, data, current_model.parent / "candidates")
    new = figures(candidate, tests)
    current = figures(current_model, tests) if current_model.exists() else None
    reasons = regressions(current, new, tolerance) if current else []
    if not reasons:
        promote(candidate, current_model)
    return Outcome(candidate, current, new, promoted=not reasons, reasons=reasons)
