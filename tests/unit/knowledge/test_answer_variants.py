"""Answer variants: the rotation skips retired short answers and spreads first answers over
people; a reply names the variant it gave or rates; retiring is an edit with its history, and
the last active answer cannot be retired."""

from __future__ import annotations

import pytest

from bot.adoption_log.store import LogStore
from bot.knowledge import base as knowledge
from bot.knowledge.editor import KnowledgeEditor
from bot.knowledge.replies import ConversationState, MessageFacts, compose, variant_id, variant_seed
from tests.unit.knowledge.fixture_kb import SHORT, faithful_files, write_kb

ENTRY = "objection_no_time"


def _kb_retiring(tmp_path, *positions: int, language: str = "it"):
    files = faithful_files()
    files[f"answers/{ENTRY}.yml"][language]["retired"] = [SHORT[language][n] for n in positions]
    return knowledge.load(write_kb(tmp_path, files))


def _given(kb, times: int, seed: int = 0, language: str = "it") -> list[str]:
    state, said = ConversationState(), []
    for _ in range(times):
        reply = compose(kb, ENTRY, language, state, facts=MessageFacts(variant_seed=seed))
        said.append(reply.text.split("\n\n")[0])
        state = reply.state
    return said


def test_the_rotation_skips_a_retired_answer(tmp_path):
    kb = _kb_retiring(tmp_path, 1)
    first, second, third = SHORT["it"][0], SHORT["it"][2], SHORT["it"][0]
    assert _given(kb, 3) == [first, second, third]
    assert _given(kb, 3, language="es") == SHORT["es"], "only Italian retired one"


def test_first_answers_are_spread_over_people_and_the_rotation_goes_on_from_there(tmp_path):
    kb = knowledge.load(write_kb(tmp_path, faithful_files()))
    assert _given(kb, 3, seed=1) == [SHORT["it"][1], SHORT["it"][2], SHORT["it"][0]]
    assert _given(kb, 1, seed=5) == [SHORT["it"][2]]
    seeds = {variant_seed(f"sender-{n}") % 3 for n in range(30)}
    assert seeds == {0, 1, 2}, "thirty people start at every one of three variants"
    assert variant_seed("sender-1") == variant_seed("sender-1")


def test_a_reply_names_the_variant_it_gives_and_a_rating_the_one_it_rates(tmp_path):
    kb = knowledge.load(write_kb(tmp_path, faithful_files()))
    answer = compose(kb, ENTRY, "en", ConversationState(), facts=MessageFacts(variant_seed=2))
    assert answer.variant == variant_id(SHORT["en"][2])
    more = compose(kb, "ask_more", "en", answer.state)
    assert more.variant is None, "a follow-up gives no short answer"
    rating = compose(kb, "feedback_not_helpful", "en", more.state)
    assert (rating.feedback, rating.kb_entry, rating.variant) == ("not_helpful", ENTRY, variant_id(SHORT["en"][2]))
    again = compose(kb, "feedback_helpful", "en", rating.state)
    assert again.variant is None, "the rotation moved on to the feedback texts: the variant is not guessed"
    after_thanks = compose(kb, "feedback_helpful", "en", compose(kb, "thanks", "en", answer.state).state)
    assert after_thanks.variant is None


def test_a_variant_id_follows_the_text_not_its_position_or_spacing():
    text = SHORT["it"][0]
    assert variant_id(text) == variant_id(f"  {text.replace(' ', '  ')}\n")
    assert variant_id(text) != variant_id(SHORT["it"][1])
    assert 0 <= variant_id(text) < 2**31, "fits the log's INTEGER column"


def test_a_retired_text_must_be_one_of_the_short_answers_and_one_must_stay_active(tmp_path):
    files = faithful_files()
    files[f"answers/{ENTRY}.yml"]["it"]["retired"] = ["Not one of them."]
    with pytest.raises(knowledge.KnowledgeError, match=r"it\.retired: 'Not one of them\.' is not one of the short"):
        knowledge.load(write_kb(tmp_path / "unknown", files))
    files[f"answers/{ENTRY}.yml"]["it"]["retired"] = list(SHORT["it"])
    with pytest.raises(knowledge.KnowledgeError, match=r"it\.retired: at least one short answer must stay active"):
        knowledge.load(write_kb(tmp_path / "all", files))


@pytest.fixture
def editor(database_url, tmp_path):
    store = LogStore(database_url)
    store.migrate()
    yield KnowledgeEditor(write_kb(tmp_path, faithful_files()), store.engine)
    store.close()


def test_retiring_is_an_edit_kept_in_the_history_and_undone_by_giving_it_again(editor):
    assert editor.retire(ENTRY, "it", SHORT["it"][1], "tina") == []
    kb = knowledge.load(editor.root)
    assert kb.entry(ENTRY).answers["it"].retired == (SHORT["it"][1],)
    assert kb.entry(ENTRY).answers["it"].short == tuple(SHORT["it"]), "kept in the file"
    assert [v.note for v in editor.history(ENTRY)][0] == "retired a short answer (it)"
    assert editor.retire(ENTRY, "it", SHORT["it"][1], "tina", retired=False) == []
    assert knowledge.load(editor.root).entry(ENTRY).answers["it"].retired == ()
    assert "retired" not in editor.answer_file(ENTRY).read_text(encoding="utf-8"), "no empty list left behind"


def test_the_last_active_answer_cannot_be_retired_and_the_file_stays_as_it_was(editor):
    assert editor.retire(ENTRY, "es", SHORT["es"][0], "tina") == []
    assert editor.retire(ENTRY, "es", SHORT["es"][1], "tina") == []
    before = editor.answer_file(ENTRY).read_text(encoding="utf-8")
    [problem] = editor.retire(ENTRY, "es", SHORT["es"][2], "tina")
    assert "es.retired: at least one short answer must stay active" in problem
    assert editor.answer_file(ENTRY).read_text(encoding="utf-8") == before
    assert editor.retire(ENTRY, "es", "A text that is not there.", "tina") == [
        f"{ENTRY} es: that short answer is no longer in the file (edited meanwhile?)"
    ]


def test_editing_a_retired_text_makes_the_new_text_an_active_answer(editor):
    assert editor.retire(ENTRY, "en", SHORT["en"][0], "tina") == []
    values = editor.fields(ENTRY, "en")
    values["short"][0] = "I know: your day is full, and this feels like one more thing."
    assert editor.save(ENTRY, editor.with_fields(ENTRY, "en", values), "tina") == []
    answer = knowledge.load(editor.root).entry(ENTRY).answers["en"]
    assert answer.retired == () and answer.active == (0, 1, 2)
