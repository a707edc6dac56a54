"""`make run`'s processes: their numeric threads (all cores for E5 in the one Rasa server, one
elsewhere), and their doors (the API on without its token in `ps`, the action server on loopback)."""

import os

from bot.run import numeric_threads


def test_the_rasa_server_gives_e5_every_core_and_blas_one_thread(monkeypatch):
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    cores = str(len(os.sched_getaffinity(0)))
    assert numeric_threads("rasa") == {"OMP_NUM_THREADS": cores, "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert numeric_threads("actions") == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_settings_in_the_environment_win(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert numeric_threads("rasa")["OMP_NUM_THREADS"] == "3"
    assert numeric_threads("actions")["OMP_NUM_THREADS"] == "3"


def test_make_runs_rasa_api_is_on_but_its_token_is_not_on_the_command_line(monkeypatch, tmp_path):
    from pathlib import Path

    from bot.rasa_plugins.start import api_token
    from bot.run import Addresses, _commands, _environments
    from bot.settings import load

    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    token = api_token(load({"COACH_VAR_DIR": str(tmp_path)}))
    commands = _commands(Path("models/coach.tar.gz"), Addresses("127.0.0.1", 5005, 5055, 8050))
    assert "--enable-api" in commands["rasa"]
    assert not any(token in argument or argument == "--auth-token" for c in commands.values() for argument in c)
    assert _environments()["actions"]["ACTIONS_HOST"] == "127.0.0.1"
