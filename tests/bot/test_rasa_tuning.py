"""The cached action-response validation gives exactly Rasa's verdicts (its speed is the benchmark's business)."""
import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot import rasa_tuning

VALID = {"events": [{"event": "slot", "name": "language", "value": "it"}], "responses": [{"text": "ciao"}]}
INVALID = [{"events": "not a list"}, {"responses": [42]}, {"events": [{"event": "slot", "timestamp": "yesterday"}]}]


@pytest.fixture
def tuned():
    original = RemoteAction._validate_action_result
    rasa_tuning.apply()
    yield RemoteAction("action_coach_reply", None)
    RemoteAction._validate_action_result = original


def test_valid_results_pass_and_invalid_ones_fail_as_with_jsonschema_validate(tuned):
    assert tuned._validate_action_result(VALID) is True
    for result in INVALID:
        with pytest.raises(ValidationError) as ours:
            tuned._validate_action_result(result)
        with pytest.raises(ValidationError) as reference:
            validate(result, RemoteAction.action_response_format_spec())
        assert ours.value.message.startswith(reference.value.message)
        assert "Failed to validate Action server response" in ours.value.message
