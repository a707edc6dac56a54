"""The learning loop with a small model: assign messages, retrain, compare on held-out data,
replace the model only if the new one is not worse; and a running server loads a model
without dropping a conversation."""

import hashlib
import json
import shutil
import subprocess
import sys
import urllib.request
import uuid

from bot.learning import examples as learning
from bot.learning.training import reload_server
from tests.conftest import ROOT

SMALL = ROOT / "tests" / "fixtures" / "small_project"


def _train(project):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "train",
            "--config",
            str(project / "config.yml"),
            "--domain",
            str(project / "domain.yml"),
            "--data",
            str(project / "data" / "nlu"),
            str(project / "rules.yml"),
            "--tests",
            str(project / "data" / "tests"),
            "--model",
            str(project / "models" / "coach.tar.gz"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode, result.stdout + result.stderr


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_assign_retrain_compare_and_keep_the_better_model(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(SMALL, project)
    (project / "data").mkdir()
    shutil.move(str(project / "nlu"), project / "data" / "nlu")
    shutil.move(str(project / "tests"), project / "data" / "tests")
    model = project / "models" / "coach.tar.gz"

    code, out = _train(project)
    assert code == 0 and model.exists(), out
    assert "new model: intent macro-F1" in out

    added = learning.add_examples(
        project / "data",
        "en",
        "objection_no_time",
        ["no time at all for the crm, sorry"],
        ["greet", "objection_no_time", "thanks"],
    )
    assert added.added == ["no time at all for the crm, sorry"]
    code, out = _train(project)
    assert code == 0, out
    assert "current model: intent macro-F1" in out and "new model: intent macro-F1" in out and "replaced" in out

    kept = _digest(model)
    nlu = project / "data" / "nlu" / "en.yml"
    nlu.write_text(nlu.read_text().split("- intent: thanks")[0])  # the new data forgets an intent entirely
    code, out = _train(project)
    assert code == 1 and "the new model is worse, kept the current one" in out, out
    assert _digest(model) == kept


def test_a_running_server_loads_a_model_without_dropping_the_conversation(product, product_env):
    from tests.system.product import MODEL, rasa_api_token

    def say(sender, text):
        request = urllib.request.Request(
            product.rest_url,
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    sender = f"reload-{uuid.uuid4()}"
    say(sender, "non ho tempo per compilare il CRM")
    reload_server(product.rasa_url, MODEL, rasa_api_token(product_env))
    [more] = say(sender, "/ask_more")
    assert more["text"].startswith("Approfondimento:"), "the topic of the conversation survived the reload"
