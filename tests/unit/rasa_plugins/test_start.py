"""Rasa's command line as the coach starts it: its HTTP API behind a token, the token's origin."""

import stat

from bot.rasa_plugins.start import action_server_host, api_token, with_api_token
from bot.settings import load

SERVER = ["run", "--port", "5005", "--model", "models/coach.tar.gz"]


def test_a_generated_api_token_lives_in_the_var_folder_readable_only_by_its_owner(tmp_path):
    current = load({"COACH_VAR_DIR": str(tmp_path / "var")})
    token = api_token(current)
    token_file = tmp_path / "var" / "rasa_api.token"
    assert len(token) >= 32 and token_file.read_text() == token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert api_token(load({"COACH_VAR_DIR": str(tmp_path / "var")})) == token  # the next start's is the same


def test_the_token_in_the_environment_wins_and_no_file_is_written(tmp_path):
    current = load({"COACH_VAR_DIR": str(tmp_path), "RASA_API_TOKEN": "from-the-environment"})
    assert api_token(current) == "from-the-environment"
    assert with_api_token([*SERVER, "--enable-api"], current)[-2:] == ["--auth-token", "from-the-environment"]
    assert not (tmp_path / "rasa_api.token").exists()


def test_the_api_is_never_on_without_authentication(tmp_path):
    current = load({"COACH_VAR_DIR": str(tmp_path)})
    arguments = with_api_token([*SERVER, "--enable-api"], current)
    assert arguments == [*SERVER, "--enable-api", "--auth-token", api_token(current)]


def test_arguments_without_the_api_or_with_their_own_authentication_are_left_alone(tmp_path):
    current = load({"COACH_VAR_DIR": str(tmp_path)})
    for arguments in (
        SERVER,
        ["run", "actions", "--port", "5055"],
        ["train", "--enable-api"],
        [*SERVER, "--enable-api", "--auth-token", "chosen"],
        [*SERVER, "--enable-api", "--auth-token=chosen"],
        [*SERVER, "--enable-api", "--jwt-secret", "shared"],
    ):
        assert with_api_token(arguments, current) == arguments
    assert not (tmp_path / "rasa_api.token").exists()


def test_the_action_server_listens_on_loopback_unless_told_otherwise():
    assert action_server_host({}) == "127.0.0.1"
    assert action_server_host({"SANIC_HOST": "0.0.0.0"}) == "127.0.0.1"  # rasa-sdk's variable is not the setting
    assert action_server_host({"ACTIONS_HOST": " "}) == "127.0.0.1"
    assert action_server_host({"ACTIONS_HOST": "10.0.0.7"}) == "10.0.0.7"
