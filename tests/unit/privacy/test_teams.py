import os

import pytest

from bot.privacy.teams import TeamDirectory, parse


def test_accounts_map_to_their_team(tmp_path):
    path = tmp_path / "teams.yml"
    path.write_text('north: ["telegram:1", "slack:U2"]\nsouth: ["telegram:3"]\n')
    teams = TeamDirectory(path)
    assert teams.team("telegram", "1") == "north"
    assert teams.team("slack", "U2") == "north"
    assert teams.team("telegram", "3") == "south"
    assert teams.team("telegram", "2") is None


def test_the_file_is_read_again_when_the_lead_changes_it(tmp_path):
    path = tmp_path / "teams.yml"
    path.write_text('north: ["telegram:1"]\n')
    teams = TeamDirectory(path)
    assert teams.team("telegram", "1") == "north"
    path.write_text('south: ["telegram:1"]\n')
    os.utime(path, (1, 1))  # a different stamp even within the same second
    assert teams.team("telegram", "1") == "south"


def test_a_broken_file_keeps_the_last_good_mapping(tmp_path):
    path = tmp_path / "teams.yml"
    path.write_text('north: ["telegram:1"]\n')
    teams = TeamDirectory(path)
    teams.team("telegram", "1")
    path.write_text("north: [telegram:1\n")
    os.utime(path, (1, 1))
    assert teams.team("telegram", "1") == "north"


def test_no_file_means_no_teams(tmp_path):
    assert TeamDirectory(tmp_path / "absent.yml").team("telegram", "1") is None


@pytest.mark.parametrize(
    "data, message",
    [
        (["telegram:1"], "mapping of team name"),
        ({"north": "telegram:1"}, "expected a list"),
        ({"north": ["12345"]}, "should be channel:user id"),
        ({"north": ["telegram:1"], "south": ["telegram:1"]}, "in two teams"),
    ],
)
def test_mistakes_in_the_mapping_are_named(data, message):
    with pytest.raises(ValueError, match=message):
        parse(data)
