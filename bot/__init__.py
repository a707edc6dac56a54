"""The CRM adoption coach, around a Rasa 3.6 bot. One package per concern:

rasa_plugins  what Rasa's YAML files name: channel, tracker store, event broker, lock store, patches
nlu           the pipeline's components and the models they train; loading a trained model
knowledge     the answers from the source documents: loading, checking, editing, composing replies
adoption_log  every message and reply as a row: records, outbox, store, export, demo data
privacy       pseudonyms, redaction, retention, teams
learning      learned examples, guarded retraining, evaluation
channels      Telegram, Slack and the web chat, and the Rasa client the connectors share
dashboard     the adoption leads', trainers' and admins' web pages
settings.py, db.py, cli.py, run.py: configuration, shared database helpers, `coach`, `make run`
"""
