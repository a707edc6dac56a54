"""The trainers' editing pages: edit answers with a live preview, history and revert; turn
not-understood messages into training examples."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.wrappers import Response

from bot.dashboard.guard import requires
from bot.dashboard.pages import kept_query
from bot.dashboard.problems import all_translated
from bot.dashboard.services import services
from bot.knowledge.replies import ConversationState, compose
from bot.learning import examples as learning
from bot.settings import LANGUAGES

blueprint = Blueprint("trainer", __name__)


def _submitted() -> dict[str, object]:
    return {
        "topic": request.form.get("topic", ""),
        "short": [text for text in request.form.getlist("short") if text.strip()],
        "more": request.form.get("more", ""),
        "tip": request.form.get("tip", ""),
        "for_leads": request.form.get("for_leads", ""),
    }


def _entry_or_404(intent: str, language: str) -> None:
    if language not in LANGUAGES:
        abort(404)
    try:
        services()["editor"].answer_file(intent)
    except KeyError:
        abort(404)


@blueprint.route("/knowledge")
@requires("trainer")
def knowledge_list() -> str:
    live = services()["knowledge"]
    kb = live.get()
    return render_template(
        "knowledge_list.html",
        entries=sorted(kb.entries.values(), key=lambda e: e.intent),
        problems=live.problems,
        languages=LANGUAGES,
    )


@blueprint.route("/knowledge/<intent>/<language>", methods=["GET", "POST"])
@requires("trainer")
def knowledge_edit(intent: str, language: str) -> ResponseReturnValue:
    _entry_or_404(intent, language)
    editor = services()["editor"]
    if request.method == "POST":
        values = _submitted()
        problems = editor.save(intent, editor.with_fields(intent, language, values), g.user.username)
        if not problems:
            flash(
                gettext(
                    "Saved. The coach uses it within seconds; the file is %(file)s.",
                    file=f"knowledge/answers/{intent}.yml",
                )
            )
            return redirect(url_for("trainer.knowledge_edit", intent=intent, language=language))
        return render_template(
            "knowledge_edit.html",
            intent=intent,
            language=language,
            values=values,
            problems=all_translated(problems),
            languages=LANGUAGES,
        ), 422
    return render_template(
        "knowledge_edit.html",
        intent=intent,
        language=language,
        values=editor.fields(intent, language),
        problems=[],
        languages=LANGUAGES,
    )


@blueprint.route("/knowledge/<intent>/<language>/preview", methods=["POST"])
@requires("trainer")
def knowledge_preview(intent: str, language: str) -> Response:
    """What the chat would show with the form's texts: composed by the same code as the coach."""
    _entry_or_404(intent, language)
    editor = services()["editor"]
    checked = editor.check(intent, editor.with_fields(intent, language, _submitted()))
    if checked.kb is None:
        return jsonify({"ok": False, "problems": all_translated(checked.problems)})
    answer = compose(checked.kb, intent, language, ConversationState())
    more = compose(checked.kb, "ask_more", language, answer.state)
    tip = compose(checked.kb, "ask_tip", language, answer.state)
    return jsonify(
        {
            "ok": True,
            "answer": answer.text,
            "buttons": [b.title for b in answer.buttons],
            "more": more.text,
            "tip": tip.text,
        }
    )


@blueprint.route("/knowledge/<intent>/history")
@requires("trainer")
def knowledge_history(intent: str) -> str:
    _entry_or_404(intent, LANGUAGES[0])
    return render_template("knowledge_history.html", intent=intent, versions=services()["editor"].history(intent))


@blueprint.route("/knowledge/<intent>/revert/<int:version_id>", methods=["POST"])
@requires("trainer")
def knowledge_revert(intent: str, version_id: int) -> Response:
    _entry_or_404(intent, LANGUAGES[0])
    problems = services()["editor"].revert(intent, version_id, g.user.username)
    flash(
        "; ".join(all_translated(problems))
        if problems
        else gettext("Reverted %(intent)s to version %(version)d.", intent=intent, version=version_id)
    )
    return redirect(url_for("trainer.knowledge_history", intent=intent))


@blueprint.route("/not-understood/assign", methods=["POST"])
@requires("trainer")
def assign() -> Response:
    """Adds the chosen messages to the training data of the chosen intent, back on the filtered page."""
    language = request.form.get("language", "")
    try:
        added = learning.add_examples(
            services()["data_dir"],
            language,
            request.form.get("intent", ""),
            request.form.getlist("text"),
            learning.domain_intents(),
        )
    except ValueError as error:
        flash(str(error))
    else:
        flash(_outcome(added, language))
    return _back_to_not_understood()


def _back_to_not_understood() -> Response:
    """The not-understood page, with the filters it was posted from."""
    filters: dict[str, Any] = kept_query()  # Any: how url_for types its keyword values
    return redirect(url_for("conversations.not_understood", **filters))


def _outcome(added: learning.Added, language: str) -> str:
    parts = [gettext("%(num)d added to %(file)s", num=len(added.added), file=f"data/nlu/learned_{language}.yml")]
    if added.already_known:
        parts.append(gettext("%(num)d already in the training data", num=len(added.already_known)))
    if added.held_out:
        parts.append(
            gettext(
                "%(num)d not added: in the held-out files, training on them would falsify the evaluation",
                num=len(added.held_out),
            )
        )
    return gettext("%(outcome)s. Run `coach train` to retrain and compare.", outcome="; ".join(parts))
