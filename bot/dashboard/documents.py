"""The trainers' Documents page: the company's own documents as sources. List them with the
answers citing each, upload one (text, Markdown or PDF, with a title), cite it in an answer
or stop citing it, remove one no answer cites, and every upload, removal and revert in the
knowledge history with a revert button. The work is `bot.knowledge.documents`'s; this
module only reads the forms and says what happened."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from bot.dashboard.guard import requires
from bot.dashboard.services import services
from bot.knowledge.documents import (
    MAX_UPLOAD_BYTES,
    CompanyDocuments,
    DocumentError,
    cite_in_answer,
    refuse_oversize,
    shown_name,
    stop_citing,
)
from bot.settings import LANGUAGES

blueprint = Blueprint("documents", __name__)


def _documents() -> CompanyDocuments:
    return CompanyDocuments(services()["editor"].root, services()["store"].engine)


def _back(message: str) -> Response:
    flash(message)
    return redirect(url_for("documents.index"))


@blueprint.route("/documents")
@requires("trainer")
def index() -> str:
    documents = _documents()
    kb = services()["knowledge"].get()
    return render_template(
        "documents.html",
        documents=documents.all(),
        versions=documents.history(),
        intents=sorted(kb.entries),
        languages=LANGUAGES,
        max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@blueprint.route("/documents/upload", methods=["POST"])
@requires("trainer")
def upload() -> Response:
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        return _back(gettext("Choose a file to upload (.txt, .md or .pdf)."))
    name = shown_name(upload.filename)
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)  # never more than the limit in memory
    try:
        refuse_oversize(len(data), name)
        added = _documents().add(
            data,
            name,
            request.form.get("title", ""),
            request.form.get("language", ""),
            g.user.username,
            request.form.get("outlet") or None,
        )
    except DocumentError as error:
        return _back(gettext("Not uploaded: %(reason)s.", reason=error))
    return _back(
        gettext(
            "“%(title)s” is a source (file knowledge/sources/%(name)s). "
            "Cite it in an answer below, then quote it in that answer's texts.",
            title=added.title,
            name=added.name,
        )
    )


@blueprint.route("/documents/<name>/remove", methods=["POST"])
@requires("trainer")
def remove(name: str) -> Response:
    try:
        _documents().remove(name, g.user.username)
    except DocumentError as error:
        return _back(gettext("Not removed: %(reason)s.", reason=error))
    return _back(gettext("Removed %(name)s; its versions below can bring it back.", name=name))


@blueprint.route("/documents/<name>/cite", methods=["POST"])
@requires("trainer")
def cite(name: str) -> Response:
    intent, editor = request.form.get("intent", ""), services()["editor"]
    if not _is_answer(editor, intent):
        return _back(gettext("Choose the answer that should cite the document."))
    if name not in {document.name for document in _documents().all()}:
        return _back(gettext("%(name)s is not a company document.", name=name))
    problems = cite_in_answer(editor, intent, name, request.form.get("section", ""), g.user.username)
    if problems:
        return _back(gettext("Not cited: %(reasons)s", reasons="; ".join(problems)))
    return _back(
        gettext(
            "%(intent)s cites %(name)s. Quote it in «» in the answer's texts: the check compares every quote.",
            intent=intent,
            name=name,
        )
    )


@blueprint.route("/documents/<name>/uncite", methods=["POST"])
@requires("trainer")
def uncite(name: str) -> Response:
    intent, editor = request.form.get("intent", ""), services()["editor"]
    if not _is_answer(editor, intent):
        return _back(gettext("Choose the answer that should stop citing the document."))
    problems = stop_citing(editor, intent, name, g.user.username)
    if problems:
        return _back(gettext("Still cited: %(reasons)s", reasons="; ".join(problems)))
    return _back(gettext("%(intent)s no longer cites %(name)s.", intent=intent, name=name))


@blueprint.route("/documents/revert/<int:version_id>", methods=["POST"])
@requires("trainer")
def revert(version_id: int) -> Response:
    try:
        name = _documents().revert(version_id, g.user.username)
    except DocumentError as error:
        return _back(gettext("Not reverted: %(reason)s.", reason=error))
    return _back(gettext("%(name)s is back to version %(version)s.", name=name, version=version_id))


def _is_answer(editor, intent: str) -> bool:
    """Whether `intent` names an answer file the editor knows (a form's choice, never trusted)."""
    try:
        editor.answer_file(intent)
    except KeyError:
        return False
    return True
