"""Everything a Rasa YAML file names by dotted path, and the adjustments to Rasa itself.

- `rest_channel`: the REST channel (credentials.yml), with privacy at the door;
- `tracker_store`, `event_broker`, `lock_store`: endpoints.yml and deploy/endpoints.yml;
- `patches`: the few Rasa 3.6 internals the coach replaces, applied by `start` at process start.
"""
