"""What the dashboard's pages work with, built once per app by `create_app` and kept in
`app.extensions["coach"]`: the log store, the dashboard users, the live knowledge base,
the knowledge editor, the training data folder and the login throttle. Views reach them with `services()`."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict, cast

from flask import current_app

from bot.adoption_log.store import LogStore
from bot.dashboard.throttle import LoginThrottle
from bot.dashboard.users import Users
from bot.knowledge.editor import KnowledgeEditor
from bot.knowledge.reload import LiveKnowledge
from bot.settings import Settings

EXTENSION = "coach"


class Services(TypedDict):
    store: LogStore
    users: Users
    knowledge: LiveKnowledge
    editor: KnowledgeEditor
    data_dir: Path
    throttle: LoginThrottle


def build_services(settings: Settings, store: LogStore | None = None) -> Services:
    """The services over `store`, or over the settings' log database; the database is migrated."""
    store = store or LogStore(settings.log_db_url)
    store.migrate()
    return Services(
        store=store,
        users=Users(store.engine),
        knowledge=LiveKnowledge(settings.knowledge_dir),  # follows the trainers' edits
        editor=KnowledgeEditor(settings.knowledge_dir, store.engine),
        data_dir=settings.data_dir,
        throttle=LoginThrottle(),
    )


def services() -> Services:
    """The current app's services (inside a request or an app context)."""
    return cast(Services, current_app.extensions[EXTENSION])
