"""The trainers' pages: edit answers with a live preview, history and revert; turn
not-understood messages into training examples."""
from __future__ import annotations

from typing import Any, Dict

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from bot.learning import examples as learning
from bot.dashboard.guard import requires
from bot.settings import LANGUAGES
from bot.knowledge.replies import ConversationState, compose

trainer_pages = Blueprint("trainer", __name__)


def _coach(name: str):
    return current_app.extensions["coach"][name]


def _submitted() -> Dict[str, Any]:
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
        _coach("editor").answer_file(intent)
    except KeyError:
        abort(404)


@trainer_pages.route("/knowledge")
@requires("trainer")
def knowledge_list():
    live = _coach("knowledge")
    kb = live.get()
    return render_template("knowledge_list.html", entries=sorted(kb.entries.values(), key=lambda e: e.intent),
                           problems=live.problems, languages=LANGUAGES)


@trainer_pages.route("/knowledge/<intent>/<language>", methods=["GET", "POST"])
@requires("trainer")
def knowledge_edit(intent: str, language: str):
    _entry_or_404(intent, language)
    editor = _coach("editor")
    if request.method == "POST":
        values = _submitted()
        problems = editor.save(intent, editor.with_fields(intent, language, values), g.user.username)
        if not problems:
            flash(f"Saved. The coach uses it within seconds; the file is knowledge/answers/{intent}.yml.")
            return redirect(url_for("trainer.knowledge_edit", intent=intent, language=language))
        return render_template("knowledge_edit.html", intent=intent, language=language, values=values,
                               problems=problems, languages=LANGUAGES), 422
    return render_template("knowledge_edit.html", intent=intent, language=language,
                           values=editor.fields(intent, language), problems=[], languages=LANGUAGES)


@trainer_pages.route("/knowledge/<intent>/<language>/preview", methods=["POST"])
@requires("trainer")
def knowledge_preview(intent: str, language: str):
    """What the chat would show with the form's texts: composed by the same code as the coach."""
    _entry_or_404(intent, language)
    editor = _coach("editor")
    checked = editor.check(intent, editor.with_fields(intent, language, _submitted()))
    if checked.kb is None:
        return jsonify({"ok": False, "problems": list(checked.problems)})
    answer = compose(checked.kb, intent, language, ConversationState())
    more = compose(checked.kb, "ask_more", language, answer.state)
    tip = compose(checked.kb, "ask_tip", language, answer.state)
    return jsonify({"ok": True, "answer": answer.text, "buttons": [b.title for b in answer.buttons],
                    "more": more.text, "tip": tip.text})


@trainer_pages.route("/knowledge/<intent>/history")
@requires("trainer")
def knowledge_history(intent: str):
    _entry_or_404(intent, LANGUAGES[0])
    return render_template("knowledge_history.html", intent=intent, versions=_coach("editor").history(intent))


@trainer_pages.route("/knowledge/<intent>/revert/<int:version_id>", methods=["POST"])
@requires("trainer")
def knowledge_revert(intent: str, version_id: int):
    _entry_or_404(intent, LANGUAGES[0])
    problems = _coach("editor").revert(intent, version_id, g.user.username)
    flash("; ".join(problems) if problems else f"Reverted {intent} to version {version_id}.")
    return redirect(url_for("trainer.knowledge_history", intent=intent))


@trainer_pages.route("/not-understood/assign", methods=["POST"])
@requires("trainer")
def assign():
    try:
        added = learning.add_examples(_coach("data_dir"), request.form.get("language", ""), request.form.get("intent", ""),
                                      request.form.getlist("text"), learning.domain_intents())
    except ValueError as error:
        flash(str(error))
        return redirect(url_for("not_understood", **request.args))
    parts = [f"{len(added.added)} added to data/nlu/learned_{request.form.get('language')}.yml"]
    if added.already_known:
        parts.append(f"{len(added.already_known)} already in the training data")
    if added.held_out:
        parts.append(f"{len(added.held_out)} not added: in the held-out files, training on them would falsify the evaluation")
    flash("; ".join(parts) + ". Run `coach train` to retrain and compare.")
    return redirect(url_for("not_understood", **request.args))
