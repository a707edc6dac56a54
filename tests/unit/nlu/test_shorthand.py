import pytest

from bot.nlu.shorthand import SHORTHAND, expand


@pytest.mark.parametrize(
    ("text", "language", "written_out"),
    [
        ("nn ho tempo x il crm", "it", "non ho tempo per il crm"),
        ("Cmq XKÈ dovrei?", "it", "comunque perché dovrei?"),
        ("xq tengo q llenar esto", "es", "porque tengo que llenar esto"),
        ("idk why u need this", "en", "I don't know why you need this"),
    ],
)
def test_chat_shorthand_is_written_out_in_the_messages_language(text, language, written_out):
    assert expand(text, language) == written_out


def test_a_shorthand_of_one_language_is_a_word_in_another():
    # "pero" is "but" in Spanish and a missing accent in Italian.
    assert expand("pero no tengo tiempo", "es") == "pero no tengo tiempo"
    assert expand("pero non ho tempo", "it") == "però non ho tempo"


def test_only_whole_words_are_replaced_and_unknown_languages_are_left_alone():
    assert expand("nnx xnn ke2", "it") == "nnx xnn ke2"
    assert expand("nn ho tempo", None) == "nn ho tempo"
    assert expand("nn ho tempo", "fr") == "nn ho tempo"


def test_every_table_maps_lowercase_shorthand_to_a_different_word():
    for table in SHORTHAND.values():
        for short, full in table.items():
            assert short == short.lower() and short != full.lower()


def test_a_long_hostile_message_is_read_to_the_end():
    expanded = expand("nn " * 100_000 + "x" * 100_000 + " x", "it")
    assert expanded.startswith("non non ") and expanded.endswith("x per")
