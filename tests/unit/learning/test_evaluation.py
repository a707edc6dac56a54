"""`make test`'s gate on the held-out figures: a target for every language, or a language's own."""

from __future__ import annotations

import pytest

from bot.learning.evaluation import below_targets, parse_targets

REPORT = {
    "it": {"intent_macro_f1": 0.921, "out_of_scope_false_answer_rate": 0.027, "baseline_intent_macro_f1": 0.824},
    "es": {"intent_macro_f1": 0.939, "out_of_scope_false_answer_rate": 0.030, "baseline_intent_macro_f1": 0.841},
    "en": {"intent_macro_f1": 0.928, "out_of_scope_false_answer_rate": 0.060, "baseline_intent_macro_f1": 0.836},
}


def test_one_target_holds_every_language_to_it():
    assert below_targets(REPORT, 0.93, None) == ["it intent_macro_f1 0.921 < 0.93", "en intent_macro_f1 0.928 < 0.93"]
    assert below_targets(REPORT, parse_targets("0.92"), None) == []


def test_a_language_s_own_target_replaces_the_common_one_for_it_alone():
    targets = parse_targets("0.93, it=0.91")
    assert targets == {"*": 0.93, "it": 0.91}
    assert below_targets(REPORT, targets, None) == ["en intent_macro_f1 0.928 < 0.93"]
    assert below_targets(REPORT, parse_targets("it=0.95"), None) == ["it intent_macro_f1 0.921 < 0.95"]


def test_off_topic_answers_and_the_baseline_are_checked_beside_the_targets():
    failures = below_targets(REPORT, parse_targets("0.9"), None, max_false_answer_rate=0.05, beat_baseline=True)
    assert failures == ["en out-of-scope false-answer rate 0.06 > 0.05"]
    behind = {**REPORT, "es": {**REPORT["es"], "baseline_intent_macro_f1": 0.95}}
    assert below_targets(behind, None, None, beat_baseline=True) == ["es intent macro-F1 0.939 <= baseline 0.95"]


@pytest.mark.parametrize("value", ["fr=0.9", "0.9,it=high", "", "it=0.9,=0.8x", "nan", "it=93", "-0.1"])
def test_a_target_that_cannot_be_read_is_refused(value):
    with pytest.raises(ValueError):
        parse_targets(value)
