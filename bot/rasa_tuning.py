"""Per-request work Rasa 3.6 does that belongs at start-up (found by profiling the server
under load with py-spy; figures in the README's benchmark section).

Rasa checks the action server's reply with `jsonschema.validate`, which first validates
Rasa's own response schema against the JSON Schema meta-schema, on every custom action
call: a quarter of the server's CPU with 20 concurrent senders. A validator built once
from the same schema gives exactly the same verdicts and error messages.
"""
from __future__ import annotations

from typing import Any, Dict

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR = validator_for(_SCHEMA)(_SCHEMA)  # the schema is Rasa's and constant: checked once here
validator_for(_SCHEMA).check_schema(_SCHEMA)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    error = best_match(_VALIDATOR.iter_errors(result))
    if error is None:
        return True
    error.message += (  # Rasa's own wording
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> None:
    """Idempotent; called when the coach's REST channel is created in the Rasa server."""
    RemoteAction._validate_action_result = _validate_action_result

