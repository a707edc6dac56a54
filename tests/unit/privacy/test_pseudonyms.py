import stat

from bot.privacy.pseudonyms import is_pseudonym, load_key, pseudonym


def test_the_same_account_always_gets_the_same_pseudonym_and_it_reveals_nothing():
    key = b"k" * 32
    first = pseudonym(key, "telegram", "123456789")
    assert first == pseudonym(key, "telegram", "123456789")
    assert is_pseudonym(first) and "123456789" not in first


def test_channel_and_key_both_change_the_pseudonym():
    key = b"k" * 32
    assert pseudonym(key, "telegram", "42") != pseudonym(key, "slack", "42")
    assert pseudonym(key, "telegram", "42") != pseudonym(b"other key", "telegram", "42")


def test_an_id_that_is_already_a_pseudonym_is_not_hashed_twice():
    key = b"k" * 32
    once = pseudonym(key, "webchat", "web-1")
    assert pseudonym(key, "rest", once) == once


def test_the_key_comes_from_the_environment_first(tmp_path):
    assert load_key("from-env", tmp_path / "secret.key") == b"from-env"
    assert not (tmp_path / "secret.key").exists()


def test_a_missing_key_file_is_generated_once_readable_only_by_its_owner(tmp_path):
    path = tmp_path / "var" / "secret.key"
    key = load_key(None, path)
    assert len(key) == 64
    assert load_key(None, path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
