"""The app factory's shape: it configures and registers blueprints, one per audience; no page is defined in it."""

import pytest

from bot.dashboard.app import create_app
from bot.settings import load

URLS = {
    "/login": "auth.login",
    "/logout": "auth.logout",
    "/": "analytics.overview",
    "/objections": "analytics.objections",
    "/answers": "analytics.answers",
    "/csv/<name>.csv": "analytics.download_csv",
    "/vendor/chart.umd.js": "analytics.chart_library",
    "/conversations": "conversations.index",
    "/conversations/<user_id>": "conversations.transcript",
    "/not-understood": "conversations.not_understood",
    "/wants-a-person": "conversations.wants_a_person",
    "/wants-a-person/<event_id>/done": "conversations.person_request_done",
    "/not-understood/assign": "trainer.assign",
    "/knowledge": "trainer.knowledge_list",
    "/knowledge/<intent>/<language>": "trainer.knowledge_edit",
    "/knowledge/<intent>/<language>/preview": "trainer.knowledge_preview",
    "/knowledge/<intent>/history": "trainer.knowledge_history",
    "/knowledge/<intent>/revert/<int:version_id>": "trainer.knowledge_revert",
    "/users": "admin.manage_users",
    "/dead-letters": "admin.dead_letters",
    "/language": "auth.choose_language",
    "/answers/variants/retire": "variants.retire",
    "/documents": "documents.index",
    "/documents/upload": "documents.upload",
    "/documents/<name>/cite": "documents.cite",
    "/documents/<name>/remove": "documents.remove",
    "/documents/<name>/uncite": "documents.uncite",
    "/documents/revert/<int:version_id>": "documents.revert",
    "/topics": "topics.topic_list",
    "/topics/<name>/remove": "topics.topic_remove",
    "/topics/apply": "topics.topic_apply",
    "/topics/howto/<howto_id>/<language>": "topics.howto_edit",
    "/topics/howto/new": "topics.howto_new",
    "/topics/howto/<howto_id>/<language>/revert/<int:version_id>": "topics.howto_revert",
    "/topics/new": "topics.topic_new",
    "/topics/retrain": "topics.topic_retrain",
    "/topics/revert/<int:version_id>": "topics.topic_revert",
    "/topics/training.json": "topics.training_status",
    "/static/<path:filename>": "static",
}


@pytest.fixture
def app(tmp_path):
    app = create_app(load({"COACH_VAR_DIR": str(tmp_path), "COACH_SECRET_KEY": "k"}))
    yield app
    app.extensions["coach"]["store"].close()


def test_the_factory_registers_exactly_one_blueprint_per_audience(app):
    assert set(app.blueprints) == {
        "analytics",
        "conversations",
        "trainer",
        "admin",
        "auth",
        "documents",
        "topics",
        "variants",
    }


def test_no_view_is_defined_in_the_factory_module(app):
    defined_there = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and view.__module__ in ("bot.dashboard", "bot.dashboard.app")
    ]
    assert defined_there == []
    assert all(endpoint.split(".")[0] in app.blueprints for endpoint in app.view_functions if endpoint != "static")


def test_every_url_stays_where_it_was(app):
    assert {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()} == URLS
