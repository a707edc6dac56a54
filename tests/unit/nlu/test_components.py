"""The custom NLU components in isolation: train, persist, load, process (Rasa 3 GraphComponent API)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfTransformer

from bot.nlu.e5_featurizer import E5_ORIGIN
from bot.nlu.language_identifier import LanguageIdentifier
from bot.nlu.model_files import ARRAYS_FILE, ModelFileError
from bot.nlu.scope_guard import ScopeGuard
from bot.nlu.sentiment_analyzer import SentimentAnalyzer
from tests.unit.nlu.planted import PlantedPickle

EXAMPLES = {
    "it": ["non ho tempo per il crm", "i clienti sono miei", "grazie mille", "ciao a tutti", "il capo vuole excel"],
    "es": [
        "no tengo tiempo para el crm",
        "los clientes son míos",
        "muchas gracias",
        "hola a todos",
        "el jefe quiere excel",
    ],
    "en": [
        "i have no time for the crm",
        "the clients are mine",
        "thanks a lot",
        "hello everyone",
        "the boss wants excel",
    ],
}


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


def _training_data() -> TrainingData:
    return TrainingData(
        [
            Message.build(text, "some_intent", intent_metadata={"language": language})
            for language, texts in EXAMPLES.items()
            for text in texts
        ]
    )


def _train_and_reload(component_class, config: dict, tmp_path: Path, training_data: TrainingData):
    tmp_path.mkdir(parents=True, exist_ok=True)
    storage = LocalModelStorage(tmp_path)
    resource = Resource(component_class.__name__)
    config = {**component_class.get_default_config(), **config}
    component = component_class.create(config, storage, resource, _context())
    component.train(training_data)
    return component_class.load(config, storage, resource, _context())


def test_language_identifier_learns_from_intent_metadata_and_survives_persistence(tmp_path):
    identifier = _train_and_reload(LanguageIdentifier, {}, tmp_path, _training_data())
    messages = [
        Message(data={"text": "non ho proprio tempo"}),
        Message(data={"text": "ok", "metadata": {"language_hint": "es"}}),
    ]
    identifier.process(messages)
    assert (messages[0].get("language"), messages[0].get("language_source")) == ("it", "text")
    assert (messages[1].get("language"), messages[1].get("language_source")) == ("es", "hint")
    assert "language" in messages[0].as_dict(only_output_properties=True)


def test_language_identifier_explains_missing_language_metadata(tmp_path):
    storage = LocalModelStorage(tmp_path)
    component = LanguageIdentifier.create({}, storage, Resource("x"), _context())
    with pytest.raises(ValueError, match="metadata: {language: <lang>}"):
        component.train(TrainingData([Message.build("hello", "greet")]))


def test_sentiment_analyzer_trains_on_its_labelled_files(tmp_path):
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    (labelled / "en.yml").write_text(
        "examples:\n"
        "  negative: ['i hate this crm', 'what a waste of time', 'this is useless', 'so frustrating']\n"
        "  neutral: ['how do i add a contact', 'where is the report', 'what is a lead', 'ok']\n"
        "  positive: ['thanks, that helped', 'great tool, love it', 'closed the deal thanks to it', 'awesome']\n"
    )
    analyzer = _train_and_reload(
        SentimentAnalyzer, {"training_files": [str(labelled)]}, tmp_path / "model", TrainingData()
    )
    messages = [Message(data={"text": "i hate this useless crm"}), Message(data={"text": "/ask_more"})]
    analyzer.process(messages)
    assert messages[0].get("sentiment")["label"] == "negative"
    assert -1 <= messages[0].get("sentiment")["score"] < 0
    assert messages[1].get("sentiment") == {"label": "neutral", "score": 0.0}


def test_components_without_a_trained_model_leave_messages_alone(tmp_path):
    storage = LocalModelStorage(tmp_path)
    for component_class in (LanguageIdentifier, SentimentAnalyzer):
        component = component_class.load({}, storage, Resource("never-trained"), _context())
        message = Message(data={"text": "hello"})
        component.process([message])
        assert message.get("language") is None and message.get("sentiment") is None


def test_a_pickled_model_of_an_earlier_version_is_refused_not_run(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("LanguageIdentifier")
    LanguageIdentifier.create({}, storage, resource, _context()).train(_training_data())
    marker = tmp_path / "the-pickle-ran"
    with storage.write_to(resource) as directory:
        (directory / "model.joblib").write_bytes(pickle.dumps(PlantedPickle(marker)))
    with pytest.raises(ModelFileError, match="train it again"):
        LanguageIdentifier.load({}, storage, resource, _context())
    assert not marker.exists()


def test_a_tampered_model_file_stops_the_model_from_loading(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("LanguageIdentifier")
    LanguageIdentifier.create({}, storage, resource, _context()).train(_training_data())
    with storage.write_to(resource) as directory:
        (directory / ARRAYS_FILE).write_bytes(pickle.dumps(PlantedPickle(tmp_path / "the-pickle-ran")))
    with pytest.raises(ModelFileError, match="pickled data"):
        LanguageIdentifier.load({}, storage, resource, _context())
    assert not (tmp_path / "the-pickle-ran").exists()


def _featurize(messages):
    """Tokens, sparse counts and E5 embeddings, as the pipeline does before the classifier."""
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    from bot.nlu.e5_featurizer import E5Featurizer

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(TrainingData(messages))
    return tokenizer, E5Featurizer.create({}, None, Resource("e5"), _context())


def test_e5_featurizer_adds_a_normalised_sentence_embedding():
    messages = [
        Message(data={"text": "non ho tempo"}),
        Message(data={"text": "no tengo tiempo"}),
        Message(data={"text": "mi piace la pizza"}),
    ]
    _, featurizer = _featurize(messages)
    featurizer.process(messages)
    vectors = [m.get_dense_features("text")[1].features[0] for m in messages]
    assert vectors[0].shape == (384,)
    assert abs(float(vectors[0] @ vectors[0]) - 1.0) < 1e-3
    # Same meaning across languages is closer than a different meaning in the same language.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    sequence, _ = messages[0].get_dense_features("text")
    assert sequence.features.shape == (3, 384)  # one row per token


def test_use_featurizer_adds_its_own_vector_beside_e5s():
    from bot.nlu.sentence_featurizer import sentence_embedding
    from bot.nlu.use_featurizer import USE_ORIGIN, USEFeaturizer

    messages = [
        Message(data={"text": "non ho tempo"}),
        Message(data={"text": "no tengo tiempo"}),
        Message(data={"text": "mi piace la pizza"}),
        Message(data={"text": "/ask_more"}),
    ]
    _, e5 = _featurize(messages)
    e5.process(messages)
    USEFeaturizer.create({}, None, Resource("use"), _context()).process(messages)
    e5_vectors = [sentence_embedding(m, E5_ORIGIN) for m in messages]
    vectors = [sentence_embedding(m, USE_ORIGIN) for m in messages]
    assert e5_vectors[0].shape == (384,) and vectors[0].shape == (512,)
    assert abs(float(vectors[0] @ vectors[0]) - 1.0) < 1e-3
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert not vectors[3].any()  # a button payload is not embedded


def test_e5_featurizer_does_not_embed_button_payloads(monkeypatch):
    from bot.nlu import embeddings

    messages = [Message(data={"text": "/ask_more"}), Message(data={"text": "dimmi di più"})]
    _, featurizer = _featurize(messages)
    embedded = []
    real_embed = embeddings.embed
    monkeypatch.setattr(embeddings, "embed", lambda texts: embedded.extend(texts) or real_embed(texts))
    featurizer.process(messages)
    assert embedded == ["dimmi di più"]
    payload, typed = (m.get_dense_features("text")[1].features[0] for m in messages)
    assert payload.shape == typed.shape == (384,) and not payload.any() and typed.any()


def test_the_encoders_read_chat_shorthand_written_out_in_the_messages_language(monkeypatch):
    from bot.nlu import embeddings

    parsed = Message(data={"text": "nn ho tempo x il crm", "language": "it"})
    training = Message(data={"text": "xq tengo q hacerlo", "metadata": {"intent": {"language": "es"}}})
    unknown = Message(data={"text": "nn ho tempo"})
    messages = [parsed, training, unknown]
    _, featurizer = _featurize(messages)
    embedded = []
    real_embed = embeddings.embed
    monkeypatch.setattr(embeddings, "embed", lambda texts: embedded.extend(texts) or real_embed(texts))
    featurizer.process(messages)
    assert embedded == ["non ho tempo per il crm", "porque tengo que hacerlo", "nn ho tempo"]
    assert parsed.get("text") == "nn ho tempo x il crm"  # what is stored and counted is what was written


def test_linear_intent_classifier_ranks_intents_and_survives_persistence(tmp_path):
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

    from bot.nlu.intent_classifier import LinearIntentClassifier

    examples = {
        "objection_no_time": [
            "non ho tempo",
            "no tengo tiempo",
            "i have no time",
            "sempre di corsa",
            "too busy for this",
        ],
        "greet": ["ciao", "hola", "hello", "buongiorno", "hi there"],
        "objection_clients_are_mine": [
            "i clienti sono miei",
            "los clientes son míos",
            "my clients are mine",
            "the accounts belong to me",
            "mis cuentas son mías",
        ],
    }
    messages = [Message.build(t, intent) for intent, texts in examples.items() for t in texts]
    training = TrainingData(messages)
    tokenizer, e5 = _featurize(messages)
    counts = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), LocalModelStorage(tmp_path), Resource("cv"), _context()
    )
    counts.train(training)
    counts.process_training_data(training)
    e5.process_training_data(training)
    classifier = _train_and_reload(LinearIntentClassifier, {}, tmp_path / "clf", training)

    new = [Message(data={"text": "non ho mai tempo"}), Message(data={"text": "hello again"})]
    tokenizer.process(new)
    counts.process(new)
    e5.process(new)
    classifier.process(new)
    assert [m.get("intent")["name"] for m in new] == ["objection_no_time", "greet"]
    ranking = new[0].get("intent_ranking")
    assert len(ranking) == 3 and ranking[0]["confidence"] >= ranking[1]["confidence"]
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_linear_intent_classifier_reads_each_listed_encoder_at_its_weight(tmp_path, caplog):
    from bot.nlu.intent_classifier import LinearIntentClassifier

    def embedded(text, e5, use):
        message = Message(data={"text": text})
        message.add_features(Features(csr_matrix([[1.0]]), FEATURE_TYPE_SENTENCE, "text", "counts"))
        message.add_features(Features(np.asarray([e5], np.float32), FEATURE_TYPE_SENTENCE, "text", E5_ORIGIN))
        message.add_features(Features(np.asarray([use], np.float32), FEATURE_TYPE_SENTENCE, "text", "use"))
        return message

    messages = [embedded("a", [1.0, 0.0], [0.0, 1.0, 0.0])]
    classifier = LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), "dense_weights": {E5_ORIGIN: 2, "use": 0.5}},
        LocalModelStorage(tmp_path),
        Resource("clf"),
        _context(),
    )
    classifier.model = {"tfidf": TfidfTransformer()}
    _, e5_block, use_block = classifier._feature_blocks(messages, fit=True)
    assert e5_block.tolist() == [[2.0, 0.0]] and use_block.tolist() == [[0.0, 0.5, 0.0]]
    classifier.config["dense_weights"] = {E5_ORIGIN: 2, "sbert": 1}  # one encoder not in the pipeline
    assert len(classifier._feature_blocks(messages, fit=True)) == 2
    assert "no 'sbert' sentence features" in caplog.text


def test_an_encoder_renamed_by_an_alias_is_refused():
    from bot.nlu.use_featurizer import USEFeaturizer

    with pytest.raises(ValueError, match="leave out `alias`"):
        USEFeaturizer.create({"alias": "my_use"}, None, Resource("use"), _context())


def test_of_a_very_long_message_e5_reads_the_opening_and_the_end():
    import numpy as np

    from bot.nlu.embeddings import MAX_CHARS, embed

    opening, point = "Allora, ti racconto la mia settimana. ", " Insomma: non ho tempo per il CRM."
    long_message = opening + "😀" * 40_000 + point
    middle_left_out = long_message[: MAX_CHARS // 2] + " … " + long_message[-(MAX_CHARS // 2) :]
    assert np.allclose(embed([long_message]), embed([middle_left_out]))
    assert float(embed([long_message])[0] @ embed(["non ho tempo per il CRM"])[0]) > 0.8


def _embedded(text: str, vector: list[float], intent: str | None = None) -> Message:
    message = Message.build(text, intent) if intent else Message(data={"text": text})
    dense = np.asarray([vector], dtype=np.float32)
    message.add_features(Features(dense, FEATURE_TYPE_SENTENCE, "text", E5_ORIGIN))
    return message


def _predicted(text: str, vector: list[float], intent: str) -> Message:
    message = _embedded(text, vector)
    message.set("intent", {"name": intent, "confidence": 0.8})
    return message


# Objection examples around the first axis; off-topic ones, one of them close to the objection's.
GUARD_TRAINING = [
    ("no time", [1.0, 0.0, 0.0, 0.0], "objection_no_time"),
    ("never any time", [1.0, 0.0, 0.6, 0.0], "objection_no_time"),
    ("too busy selling", [1.0, 0.0, 0.0, 0.6], "objection_no_time"),
    ("book a table", [1.0, 0.5, 0.0, 0.0], "out_of_scope"),
    ("weather tomorrow", [0.1, 1.0, 0.1, 0.0], "out_of_scope"),
    ("hi", [0.0, 0.0, 0.0, 1.0], "greet"),
    ("hello", [0.0, 0.1, 0.0, 1.0], "greet"),
]


@pytest.mark.parametrize("margin, relabelled", [(0.015, True), (None, False)])
def test_scope_guard_relabels_a_message_nearer_to_an_off_topic_example(tmp_path, margin, relabelled):
    data = TrainingData([_embedded(text, vector, intent) for text, vector, intent in GUARD_TRAINING])
    guard = _train_and_reload(ScopeGuard, {"quantile": 0.0, "out_of_scope_margin": margin}, tmp_path, data)
    # As near to the no-time examples as they are to each other, and nearer still to "book a table".
    between = _predicted("book a table for a client dinner, no time", [1.0, 0.5, 0.0, 0.0], "objection_no_time")
    on_topic = _predicted("no time at all", [1.0, 0.0, 0.1, 0.0], "objection_no_time")
    greeting = _predicted("hey there", [0.0, 1.0, 0.0, 0.2], "greet")  # exempt, wherever it lies
    guard.process([between, on_topic, greeting])
    assert between.get("intent")["name"] == ("out_of_scope" if relabelled else "objection_no_time")
    if relabelled:
        verdict = between.get("scope_guard")
        assert verdict["overridden"] == "objection_no_time"
        assert verdict["out_of_scope_similarity"] > verdict["similarity"]
        assert between.get("intent")["confidence"] == 0.8
    assert on_topic.get("intent")["name"] == "objection_no_time"
    assert greeting.get("intent")["name"] == "greet"


def test_scope_guard_relabels_a_message_far_from_every_example_of_its_intent(tmp_path):
    data = TrainingData([_embedded(text, vector, intent) for text, vector, intent in GUARD_TRAINING])
    guard = _train_and_reload(ScopeGuard, {"quantile": 0.0, "out_of_scope_margin": None}, tmp_path, data)
    far = _predicted("my dog ate my homework", [0.0, 0.0, -1.0, 0.0], "objection_no_time")
    guard.process([far])
    assert far.get("intent")["name"] == "out_of_scope"


def test_scope_guard_measures_in_e5_space_whatever_other_encoder_runs(tmp_path):
    def with_second_encoder(message: Message, axis: int) -> Message:
        # Large vectors of another encoder: read beside E5's, they would decide every similarity.
        vector = np.zeros((1, len(GUARD_TRAINING)), np.float32)
        vector[0, axis] = 10.0
        message.add_features(Features(vector, FEATURE_TYPE_SENTENCE, "text", "use"))
        return message

    data = TrainingData([with_second_encoder(_embedded(*example), n) for n, example in enumerate(GUARD_TRAINING)])
    guard = _train_and_reload(ScopeGuard, {"quantile": 0.0, "out_of_scope_margin": None}, tmp_path, data)
    # Far from the no-time examples in E5 space, the very twin of one of them in the other encoder's.
    far = _predicted("my dog ate my homework", [0.0, 0.0, -1.0, 0.0], "objection_no_time")
    guard.process([with_second_encoder(far, 0)])
    assert far.get("intent")["name"] == "out_of_scope"


def test_scope_guard_refuses_a_margin_out_of_range():
    with pytest.raises(ValueError, match="out_of_scope_margin"):
        ScopeGuard.validate_config({**ScopeGuard.get_default_config(), "out_of_scope_margin": -0.1})
