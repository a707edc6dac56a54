"""`make run`'s processes get their numeric threads: all cores for E5 in the one Rasa server, one elsewhere."""

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
