"""The small text classifiers' features are exactly those of the vectorizers they were trained with."""

from bot.nlu.text_classifier import train_text_classifier

TEXTS = ["non ho tempo", "los clientes son míos", "I feel stupid", "grazie mille", "no tengo tiempo", "thanks a lot"]
LABELS = ["neg", "neg", "neg", "pos", "neg", "pos"]


def test_features_match_the_feature_union_they_were_trained_with():
    model = train_text_classifier(TEXTS, LABELS)
    unseen = ["tempo perso col CRM", "¡gracias!", ""]
    ours, reference = model.features(unseen), model.vectorizer.transform(unseen)
    assert ours.shape == reference.shape and ours.format == "csr"
    assert (ours != reference).nnz == 0


def test_probabilities_cover_every_label_and_sum_to_one():
    model = train_text_classifier(TEXTS, LABELS)
    probabilities = model.probabilities("mille grazie")
    assert set(probabilities) == {"neg", "pos"}
    assert abs(sum(probabilities.values()) - 1) < 1e-9
    assert probabilities["pos"] > probabilities["neg"]
