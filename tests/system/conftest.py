"""System tests start processes: the product as `make run` starts it, replicas, a browser."""

import time

import pytest

# The running product and the fake clouds, shared by the modules here.
from tests.system.product import fake_slack, fake_telegram, product, product_env  # noqa: F401


@pytest.fixture(scope="module")
def telegram(product, fake_telegram):  # noqa: F811
    """The fake Telegram cloud, once the product's connector polls it."""
    deadline = time.monotonic() + 60
    while not fake_telegram.called("getUpdates"):
        assert time.monotonic() < deadline, "the Telegram connector never polled"
        time.sleep(0.2)
    return fake_telegram
