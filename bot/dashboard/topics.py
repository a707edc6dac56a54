"""The trainers' "Topics" pages: a new topic from a form (validated field by field, shown as a
diff, then applied), the topics trainers made (remove, history, revert), the how-to entries
(`knowledge/howto/`: title, questions and steps per language, history, revert, and new entries;
the editing is `bot.knowledge.howto_editor`'s), and "Retrain", which runs the guarded training (`coach train`)
in the background, one at a time, with its progress.

The files and their checks are `bot.learning.topics`'s; the training, comparison, promotion and
reload are `coach train`'s (bot/learning/training.py), run as a child process so that the
training's CPU and memory never weigh on the dashboard's threads. `coach train` replaces the
model and reloads the running coach only when the new model is not worse on the held-out files.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bot.dashboard.analytics import FOUR_PS
from bot.dashboard.guard import requires
from bot.dashboard.problems import all_translated
from bot.dashboard.services import services
from bot.knowledge import howto_editor
from bot.learning import topics
from bot.learning.topics import ANSWER_FIELDS
from bot.settings import LANGUAGES, PROJECT_ROOT

blueprint = Blueprint("topics", __name__)
TRAINING_EXTENSION = "coach_training"
OUTPUT_LINES = 12  # the last lines of the training's output the page shows
PREFILL_MAX = 50  # examples a "Create a topic from these" link may carry
_one_training = threading.Lock()  # guards the creation of the app's one Retraining


# --- the background training ---------------------------------------------------------------------


@dataclass
class TrainingStatus:
    state: str = "idle"  # idle, running, promoted, refused, failed
    started: str | None = None
    finished: str | None = None
    started_by: str | None = None
    output: deque = field(default_factory=lambda: deque(maxlen=OUTPUT_LINES))

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "started": self.started,
            "finished": self.finished,
            "started_by": self.started_by,
            "output": list(self.output),
        }


OUTCOMES = {0: "promoted", 1: "refused"}  # `coach train`'s exit codes; any other: failed


class Retraining:
    """Runs one training at a time as a child process and keeps its status for the page."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)
        self.status = TrainingStatus()
        self._lock = threading.Lock()

    def start(self, who: str) -> bool:
        """Starts a training unless one is running; False if one was."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            process = subprocess.Popen(
                self.command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                cwd=PROJECT_ROOT,
            )
        except OSError as error:
            self.status = TrainingStatus("failed", _now(), _now(), who)
            self.status.output.append(str(error))
            self._lock.release()
            return True
        self.status = TrainingStatus("running", _now(), None, who)
        threading.Thread(target=self._follow, args=(process,), daemon=True, name="coach-retraining").start()
        return True

    def _follow(self, process: subprocess.Popen) -> None:
        try:
            for line in process.stdout or ():
                if line.strip():
                    self.status.output.append(line.rstrip()[:300])
            code = process.wait()
            self.status.state = OUTCOMES.get(code, "failed")
            self.status.finished = _now()
        finally:
            self._lock.release()

    def wait(self, timeout: float) -> bool:
        """For tests and shutdown: True once no training is running (within `timeout` seconds)."""
        if self._lock.acquire(timeout=timeout):
            self._lock.release()
            return True
        return False


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def training_command(files: topics.ProjectFiles, environ: Any = os.environ) -> list[str]:
    """`coach train` on the dashboard's files, reloading the local Rasa server (RASA_PORT) if promoted."""
    data = files.data_dir
    return [
        sys.executable, "-m", "bot.cli", "train",
        "--config", str(files.config), "--domain", str(files.domain),
        "--data", str(data / "nlu"), str(data / "rules.yml"), str(data / "stories.yml"),
        "--tests", str(data / "tests"),
        "--model", str(files.root / "models" / "coach.tar.gz"),
        "--reload-url", f"http://127.0.0.1:{environ.get('RASA_PORT', '5005')}",
    ]  # fmt: skip


def retraining() -> Retraining:
    """The app's one background training (made on first use; tests may put their own in place)."""
    with _one_training:
        if TRAINING_EXTENSION not in current_app.extensions:
            current_app.extensions[TRAINING_EXTENSION] = Retraining(training_command(_files()))
        return current_app.extensions[TRAINING_EXTENSION]


# --- the pages -----------------------------------------------------------------------------------


def _files() -> topics.ProjectFiles:
    return topics.ProjectFiles(services()["editor"].root, services()["data_dir"])


def _topics() -> topics.Topics:
    return topics.Topics(_files(), services()["store"].engine)


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").splitlines() if line.strip()]


def form_spec() -> dict[str, Any]:
    """The topic spec of the submitted form: one example or short answer per line."""
    form = request.form
    sources = [
        {"document": document, "section": section}
        for document, section in zip(form.getlist("source_document"), form.getlist("source_section"), strict=False)
        if document.strip() or section.strip()
    ]
    return {
        "name": form.get("name", "").strip(),
        "description": form.get("description", ""),
        "not_this": form.get("not_this", ""),
        "examples": {language: _lines(f"examples_{language}") for language in LANGUAGES},
        "sources": sources,
        "four_ps": form.getlist("four_ps"),
        "rules": [],
        "answers": {
            language: {
                key: _lines(f"{language}_{key}") if key == "short" else form.get(f"{language}_{key}", "")
                for key in ANSWER_FIELDS
            }
            for language in LANGUAGES
        },
    }


def _render_form(spec: dict[str, Any], problems: Sequence[str] = (), status: int = 200) -> ResponseReturnValue:
    kb = services()["knowledge"].get()
    return render_template(
        "topic_new.html",
        spec=spec,
        problems=all_translated(problems),
        documents=sorted(kb.documents.items()),
        four_ps=topics.FOUR_PS,
        four_p_labels=FOUR_PS,  # the dashboard's translated names of the four Ps
        languages=LANGUAGES,
        fields=ANSWER_FIELDS,
        minimum=topics.MIN_EXAMPLES,
        enough=topics.ENOUGH_EXAMPLES,
    ), status


def _prefilled() -> dict[str, Any]:
    """An empty spec, or one whose examples come from the "Not understood" page's link."""
    spec = topics.Topic("", "", "", {}, [{"document": "", "section": ""}], [], [], {}).spec()
    language = request.args.get("language", "")
    if language in LANGUAGES:
        spec["examples"] = {
            language: [" ".join(t.split())[:300] for t in request.args.getlist("example")][:PREFILL_MAX]
        }
    return spec


@blueprint.route("/topics")
@requires("trainer")
def topic_list() -> str:
    manager = _topics()
    return render_template(
        "topic_list.html",
        topics=manager.trainer_topics(),
        howtos=sorted(services()["knowledge"].get().howtos.values(), key=lambda howto: howto.id),
        languages=LANGUAGES,
        versions=manager.history()[:30],
        training=retraining().status,
    )


@blueprint.route("/topics/new", methods=["GET", "POST"])
@requires("trainer")
def topic_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _render_form(_prefilled())
    spec = form_spec()
    change = _topics().plan_add(spec, g.user.username)
    if not change.ok:
        return _render_form(spec, change.problems, 422)
    return render_template(
        "topic_diff.html", spec=spec, change=change, warnings=all_translated(change.warnings), form=request.form
    )


@blueprint.route("/topics/apply", methods=["POST"])
@requires("trainer")
def topic_apply() -> ResponseReturnValue:
    spec = form_spec()
    change = _topics().add(spec, g.user.username)
    if not change.ok:
        return _render_form(spec, change.problems, 422)
    flash(
        _(
            "Topic %(name)s added. Retrain so the coach understands it; until then the coach answers as before.",
            name=change.name,
        )
    )
    return redirect(url_for("topics.topic_list"))


@blueprint.route("/topics/<name>/remove", methods=["POST"])
@requires("trainer")
def topic_remove(name: str) -> Response:
    change = _topics().remove(name, g.user.username)
    flash(
        "; ".join(all_translated(change.problems))
        if change.problems
        else _("Topic %(name)s removed. Retrain.", name=name)
    )
    return redirect(url_for("topics.topic_list"))


@blueprint.route("/topics/revert/<int:version_id>", methods=["POST"])
@requires("trainer")
def topic_revert(version_id: int) -> Response:
    try:
        change = _topics().revert(version_id, g.user.username)
        problems = change.problems
    except topics.TopicError as error:
        problems = error.problems
    flash("; ".join(all_translated(problems)) if problems else _("Reverted. Retrain so the coach follows."))
    return redirect(url_for("topics.topic_list"))


@blueprint.route("/topics/retrain", methods=["POST"])
@requires("trainer")
def topic_retrain() -> Response:
    if not retraining().start(g.user.username):
        flash(_("A training is already running: its progress is below."))
    return redirect(url_for("topics.topic_list"))


@blueprint.route("/topics/training.json")
@requires("trainer")
def training_status() -> Response:
    return jsonify(retraining().status.as_json())


# --- how-to entries ------------------------------------------------------------------------------


def _howtos() -> howto_editor.HowToEditor:
    return howto_editor.HowToEditor(services()["editor"].root, services()["store"].engine)


def _howto_or_404(howto_id: str, language: str) -> howto_editor.HowToEditor:
    editor = _howtos()
    if language not in LANGUAGES:
        abort(404)
    try:
        editor.file(howto_id)
    except KeyError:
        abort(404)
    return editor


@blueprint.route("/topics/howto/<howto_id>/<language>", methods=["GET", "POST"])
@requires("trainer")
def howto_edit(howto_id: str, language: str) -> ResponseReturnValue:
    editor = _howto_or_404(howto_id, language)
    problems: list[str] = []
    if request.method == "POST":
        values = howto_editor.submitted(request.form, example=request.form.get("example") == "yes")
        problems = editor.edit(howto_id, language, values, g.user.username)
        if not problems:
            flash(
                _(
                    "Saved. The coach uses it within seconds; the file is %(file)s.",
                    file=f"knowledge/howto/{howto_id}.yml",
                )
            )
            return redirect(url_for("topics.howto_edit", howto_id=howto_id, language=language))
    else:
        values = editor.fields(howto_id, language)
    page = render_template(
        "howto_edit.html",
        howto_id=howto_id,
        language=language,
        languages=LANGUAGES,
        values=values,
        problems=all_translated(problems),
        versions=editor.history(howto_id)[:30],
    )
    return page, 422 if problems else 200


@blueprint.route("/topics/howto/<howto_id>/<language>/revert/<int:version_id>", methods=["POST"])
@requires("trainer")
def howto_revert(howto_id: str, language: str, version_id: int) -> Response:
    problems = _howto_or_404(howto_id, language).revert(howto_id, version_id, g.user.username)
    flash(
        "; ".join(all_translated(problems)) if problems else _("Reverted to version %(version)d.", version=version_id)
    )
    return redirect(url_for("topics.howto_edit", howto_id=howto_id, language=language))


@blueprint.route("/topics/howto/new", methods=["GET", "POST"])
@requires("trainer")
def howto_new() -> ResponseReturnValue:
    """A new entry, its three languages on one page; written only whole and valid."""
    howto_id = request.form.get("id", "").strip()
    texts = {language: howto_editor.submitted(request.form, False, f"_{language}") for language in LANGUAGES}
    problems: list[str] = []
    if request.method == "POST":
        problems = _howtos().create(howto_id, texts, g.user.username)
        if not problems:
            flash(
                _(
                    "How-to entry %(name)s added: the coach answers its questions within seconds, without retraining.",
                    name=howto_id,
                )
            )
            return redirect(url_for("topics.howto_edit", howto_id=howto_id, language=LANGUAGES[0]))
    page = render_template(
        "howto_new.html", howto_id=howto_id, texts=texts, languages=LANGUAGES, problems=all_translated(problems)
    )
    return page, 422 if problems else 200
