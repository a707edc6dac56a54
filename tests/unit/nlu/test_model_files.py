"""Trained models as data files: they come back exactly, and a file that is not ours is refused, never run."""

import json
import pickle

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from bot.nlu import model_files
from bot.nlu.model_files import ARRAYS_FILE, STRUCTURE_FILE, ModelFileError
from bot.nlu.text_classifier import train_text_classifier
from tests.unit.nlu.planted import PlantedPickle

TEXTS = ["non ho tempo", "no tengo tiempo", "i have no time", "ciao a tutti", "hola a todos", "hello everyone"]
LABELS = ["it", "es", "en", "it", "es", "en"]
NEW = ["non ho mai tempo", "hola amigos", "no time at all", "zzz"]


def test_a_text_classifier_comes_back_with_the_same_answers(tmp_path):
    classifier = train_text_classifier(TEXTS, LABELS, char_ngrams=(1, 3), word_ngrams=(1, 2), dense_weight=0)
    model_files.save(classifier, tmp_path)
    loaded = model_files.load(tmp_path)
    assert loaded.labels == classifier.labels
    assert loaded.vectorizer.transformer_list[0][1].ngram_range == (1, 3)
    np.testing.assert_array_equal(loaded.features(NEW).toarray(), classifier.features(NEW).toarray())
    for text in NEW:
        assert loaded.probabilities(text) == classifier.probabilities(text)
    assert not list(tmp_path.glob("*.joblib")) and not list(tmp_path.glob("*.pkl"))


def test_an_intent_model_of_a_transformer_and_a_classifier_comes_back_the_same(tmp_path):
    rng = np.random.default_rng(0)
    counts = csr_matrix(rng.integers(0, 3, size=(30, 12)).astype(float))
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
    intents = np.array(["greet", "objection_no_time", "thanks"] * 10, dtype=object)  # as read from YAML
    classifier = LogisticRegression(C=30, class_weight="balanced", max_iter=500).fit(tfidf.transform(counts), intents)
    model_files.save({"tfidf": tfidf, "classifier": classifier}, tmp_path)
    loaded = model_files.load(tmp_path)
    np.testing.assert_array_equal(loaded["tfidf"].transform(counts).toarray(), tfidf.transform(counts).toarray())
    features = tfidf.transform(counts)
    np.testing.assert_array_equal(loaded["classifier"].predict_proba(features), classifier.predict_proba(features))
    assert list(loaded["classifier"].classes_) == ["greet", "objection_no_time", "thanks"]
    assert loaded["classifier"].get_params() == classifier.get_params()


def test_a_model_of_another_kind_is_not_saved(tmp_path):
    with pytest.raises(ModelFileError, match="PlantedPickle is not a model"):
        model_files.save({"model": PlantedPickle(tmp_path / "x")}, tmp_path)


def test_a_pickle_in_place_of_the_arrays_is_refused_without_running(tmp_path):
    model_files.save(train_text_classifier(TEXTS, LABELS), tmp_path)
    marker = tmp_path / "the-pickle-ran"
    (tmp_path / ARRAYS_FILE).write_bytes(pickle.dumps(PlantedPickle(marker)))
    with pytest.raises(ModelFileError, match="pickled data"):
        model_files.load(tmp_path)
    assert not marker.exists()


def test_an_array_of_python_objects_is_refused_without_running(tmp_path):
    model_files.save(train_text_classifier(TEXTS, LABELS), tmp_path)
    marker = tmp_path / "the-pickle-ran"
    planted = np.empty(1, dtype=object)
    planted[0] = PlantedPickle(marker)
    with np.load(tmp_path / ARRAYS_FILE) as arrays:
        kept = dict(arrays)
    np.savez(tmp_path / ARRAYS_FILE, **{**kept, "0": planted})  # allow_pickle is numpy's default when saving
    with pytest.raises(ModelFileError, match="Object arrays"):
        model_files.load(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "entry, refusal",
    [
        ({"model": "Popen", "parameters": {"dict": {}}, "fitted": {"dict": {}}}, "unexpected entry"),
        (
            {"model": "FeatureUnion", "parameters": {"dict": {}}, "fitted": {"dict": {"_tfidf": None}}},
            "unexpected fitted",
        ),
        (
            {"model": "LogisticRegression", "parameters": {"dict": {"cmd": "rm"}}, "fitted": {"dict": {}}},
            "unexpected fitted",
        ),
        ({"pickle": "gASV"}, "unexpected entry"),
        ({"array": "../../etc/passwd"}, "no array"),
    ],
)
def test_a_structure_naming_anything_else_is_refused(tmp_path, entry, refusal):
    model_files.save(train_text_classifier(TEXTS, LABELS), tmp_path)
    (tmp_path / STRUCTURE_FILE).write_text(json.dumps({"format": 1, "model": entry}))
    with pytest.raises(ModelFileError, match=refusal):
        model_files.load(tmp_path)


def test_a_vectorizer_that_would_open_the_files_a_message_names_is_refused(tmp_path):
    model_files.save(train_text_classifier(TEXTS, LABELS), tmp_path)
    structure = (tmp_path / STRUCTURE_FILE).read_text()
    (tmp_path / STRUCTURE_FILE).write_text(structure.replace('"input": "content"', '"input": "filename"'))
    with pytest.raises(ModelFileError, match="read the text it is given"):
        model_files.load(tmp_path)


def test_parameters_a_constructor_does_not_take_are_refused(tmp_path):
    model_files.save(train_text_classifier(TEXTS, LABELS), tmp_path)
    structure = (tmp_path / STRUCTURE_FILE).read_text()
    (tmp_path / STRUCTURE_FILE).write_text(structure.replace('"penalty":', '"__class__": "x", "penalty":'))
    with pytest.raises(ModelFileError, match="LogisticRegression cannot be rebuilt"):
        model_files.load(tmp_path)
