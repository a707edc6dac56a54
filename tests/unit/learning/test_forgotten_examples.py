"""Erasing a person removes the training examples made of their messages from the learned files."""

from __future__ import annotations

from bot.learning import examples as learning

INTENTS = ["objection_no_time", "objection_big_brother"]


def test_only_that_persons_examples_go_and_an_emptied_intent_block_with_them(tmp_path):
    (tmp_path / "nlu").mkdir()
    learning.add_examples(tmp_path, "it", "objection_no_time", ["mai un minuto", "zero tempo oggi"], INTENTS)
    learning.add_examples(tmp_path, "it", "objection_big_brother", ["mi controllano"], INTENTS)
    learning.add_examples(tmp_path, "es", "objection_no_time", ["ni un minuto"], INTENTS)

    removed = learning.forget_examples(tmp_path, ["Mai  un MINUTO", "mi controllano", "ni un minuto", "never said"])

    assert removed == 3
    # Read back by Rasa's own loader: the files stay valid training data.
    assert learning.intent_examples(learning.learned_file(tmp_path, "it")) == [
        ("zero tempo oggi", "objection_no_time", "it")
    ]
    assert learning.intent_examples(learning.learned_file(tmp_path, "es")) == []


def test_nothing_to_forget_leaves_the_files_untouched(tmp_path):
    (tmp_path / "nlu").mkdir()
    learning.add_examples(tmp_path, "en", "objection_no_time", ["no time at all"], INTENTS)
    before = learning.learned_file(tmp_path, "en").read_text(encoding="utf-8")
    assert learning.forget_examples(tmp_path, ["something else", ""]) == 0
    assert learning.learned_file(tmp_path, "en").read_text(encoding="utf-8") == before
