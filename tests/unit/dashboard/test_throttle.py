"""The login throttle on a clock of its own: lock-outs that double, what a success clears,
a bounded table, and few password checks at once."""

import pytest

from bot.dashboard.throttle import (
    FORGET_AFTER_SECONDS,
    FREE_FAILURES,
    LOCK_SECONDS,
    MAX_LOCK_SECONDS,
    BusyError,
    LoginThrottle,
)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def fail(throttle, times, username="luca", address="10.0.0.1"):
    for _ in range(times):
        throttle.failed(username, address)


def test_the_lock_out_starts_at_the_fifth_failure_and_doubles(clock):
    throttle = LoginThrottle(clock)
    fail(throttle, FREE_FAILURES - 1)
    assert throttle.wait_seconds("luca", "10.0.0.9") == 0
    fail(throttle, 1)
    assert throttle.wait_seconds("luca", "10.0.0.9") == LOCK_SECONDS
    clock.now += LOCK_SECONDS
    assert throttle.wait_seconds("luca", "10.0.0.9") == 0
    fail(throttle, 1)
    assert throttle.wait_seconds("luca", "10.0.0.9") == 2 * LOCK_SECONDS


def test_the_lock_out_is_capped_however_many_the_failures(clock):
    throttle = LoginThrottle(clock)
    fail(throttle, 5000)
    assert throttle.wait_seconds("luca", "10.0.0.1") == MAX_LOCK_SECONDS


def test_failures_of_long_ago_are_forgotten(clock):
    throttle = LoginThrottle(clock)
    fail(throttle, FREE_FAILURES)
    clock.now += FORGET_AFTER_SECONDS + 1
    fail(throttle, 1)
    assert throttle.wait_seconds("luca", "10.0.0.1") == 0


def test_a_success_clears_the_account_but_not_the_address(clock):
    throttle = LoginThrottle(clock)
    fail(throttle, FREE_FAILURES)
    throttle.succeeded("luca")
    assert throttle.wait_seconds("luca", "10.0.0.2") == 0
    assert throttle.wait_seconds("tina", "10.0.0.1") == LOCK_SECONDS


def test_the_table_keeps_only_the_latest_entries(clock):
    throttle = LoginThrottle(clock, max_entries=4)
    fail(throttle, FREE_FAILURES, "luca", "10.0.0.1")
    fail(throttle, 1, "tina", "10.0.0.2")
    assert throttle.wait_seconds("luca", "10.0.0.9") == LOCK_SECONDS
    fail(throttle, 1, "anna", "10.0.0.3")  # six entries: luca's and 10.0.0.1's go
    assert throttle.wait_seconds("luca", "10.0.0.1") == 0
    assert len(throttle._failures) == 4


def test_only_so_many_password_checks_run_at_once():
    throttle = LoginThrottle(checks=2, check_wait=0.05)
    with throttle.password_check(), throttle.password_check(), pytest.raises(BusyError), throttle.password_check():
        pass
    with throttle.password_check():
        pass  # the places are free again
