"""Sentiment: labelled files read with clear errors; scores in [-1, 1] that follow the label."""

from __future__ import annotations

import pytest

from bot.nlu import sentiment

TRAINING = {
    "negative": [
        "odio questo crm",
        "non ho tempo per queste stupidaggini",
        "I hate this useless tool",
        "me da miedo que me despidan",
        "this is a waste of my time",
        "che schifo di sistema",
    ],
    "neutral": [
        "come si inserisce un contatto?",
        "what does the report show",
        "¿dónde están los informes?",
        "ok",
        "quali campi devo compilare",
        "how do I add a note",
    ],
    "positive": [
        "grazie mille, utilissimo",
        "great, that helped a lot",
        "¡genial, gracias!",
        "ho chiuso il contratto grazie al promemoria",
        "love it",
        "muy útil, me encanta",
    ],
}


@pytest.fixture(scope="module")
def model():
    return sentiment.train([sentiment.LabelledText(t, label, "xx") for label in TRAINING for t in TRAINING[label]])


def test_scores_stay_in_range_and_agree_with_the_label(model):
    for text in ["odio il crm", "grazie, utilissimo", "how do I add a contact?"]:
        result = sentiment.analyse(model, text)
        assert -1.0 <= result.score <= 1.0
        assert result.label in sentiment.LABELS
    assert sentiment.analyse(model, "odio questo sistema").score < sentiment.analyse(model, "grazie, utilissimo").score


def test_labelled_files_are_read_per_language(tmp_path):
    (tmp_path / "it.yml").write_text('language: it\nexamples:\n  negative: ["uffa"]\n  positive: ["evviva"]\n')
    examples = sentiment.read_labelled([tmp_path])
    assert [(e.text, e.label, e.language) for e in examples] == [
        ("uffa", "negative", "it"),
        ("evviva", "positive", "it"),
    ]


def test_an_unknown_label_names_the_file(tmp_path):
    bad = tmp_path / "es.yml"
    bad.write_text("examples:\n  angry: ['grr']\n")
    with pytest.raises(ValueError, match="es.yml: examples"):
        sentiment.read_labelled([bad])


def test_a_precomputed_embedding_gives_the_same_result(model):
    from bot.nlu.embeddings import embed

    text = "non ne posso più di questo sistema"
    assert sentiment.analyse(model, text, embed([text])[0]) == sentiment.analyse(model, text)


def test_e5_reads_the_training_texts_as_the_pipeline_does_with_shorthand_written_out(monkeypatch):
    from bot.nlu import embeddings

    read = []
    monkeypatch.setattr(sentiment, "embed", lambda texts: read.extend(texts) or embeddings.embed(texts))
    examples = [sentiment.LabelledText(t, label, "it") for label in TRAINING for t in TRAINING[label]]
    sentiment.train([*examples, sentiment.LabelledText("nn ne posso più", "negative", "it")])
    assert read[-1] == "non ne posso più"
