"""Understanding a message: the custom Rasa `GraphComponent`s named in config.yml
(language, E5 and USE embeddings, intent classifier, out-of-scope guard, sentiment), the classifiers and embeddings
they use (the encoders read chat shorthand written out: `shorthand`), and `parser`, which loads a trained model for `coach try`, `eval` and `train`."""
