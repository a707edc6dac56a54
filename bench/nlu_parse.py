"""`python -m bench.nlu_parse`: where a message's parse time goes, component by component
(figures, not a test). The trained model (models/coach.tar.gz, `make model`) parses the
benchmark's conversations (bench/load.py) over and over in this one process; the E5 encoder's
threads follow OMP_NUM_THREADS, as in the Rasa server (bot/run.py).

    .venv/bin/python -m bench.nlu_parse [--model models/coach.tar.gz] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from rasa.core.agent import load_agent
from rasa.engine import graph
from rasa.utils.log_utils import configure_structlog

from bench.load import SCRIPTS


@contextmanager
def timed_components() -> Iterator[Counter]:
    """Seconds spent in each graph node while the block runs."""
    spent: Counter = Counter()
    original = graph.GraphNode.__call__

    def call(node: graph.GraphNode, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(node, *args, **kwargs)
        finally:
            spent[node._component_class.__name__] += time.perf_counter() - start

    graph.GraphNode.__call__ = call  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        graph.GraphNode.__call__ = original  # type: ignore[method-assign]


async def measure(model: str, rounds: int) -> None:
    agent = await load_agent(model_path=model)
    texts = [text for script in SCRIPTS.values() for text in script]
    for text in texts:  # warm-up: lazy loads, first-call caches
        await agent.parse_message(text)
    with timed_components() as spent:
        start = time.perf_counter()
        for _ in range(rounds):
            for text in texts:
                await agent.parse_message(text)
        elapsed = time.perf_counter() - start
    count = rounds * len(texts)
    print(f"{count} parses (button payloads included): {elapsed / count * 1000:.2f} ms a message")
    for name, seconds in spent.most_common():
        print(f"  {seconds / count * 1000:7.2f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/coach.tar.gz")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    asyncio.run(measure(args.model, args.rounds))


if __name__ == "__main__":
    main()
