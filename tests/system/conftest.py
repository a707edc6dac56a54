"""System tests start processes: the product as `make run` starts it, replicas, a browser."""

# The running product and the fake clouds, shared by the modules here.
from tests.system.product import fake_slack, fake_telegram, product, product_env  # noqa: F401
