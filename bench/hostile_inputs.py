"""`python -m bench.hostile_inputs`: how long the checks that take text from outside take on
hostile inputs (figures, not a test).

- `coach kb check` on an answer whose `more` a trainer filled with a hostile text (knowledge/,
  one objection's English answer replaced; the other files as they are);
- the REST channel's Host header check (bot/rasa_plugins/rest_channel.py) on a header of that length.

The unit tests prove the property without a clock (no nested repeats in the checks' patterns,
bounded repeats in the Host pattern); these are the times. Per 1,000 characters, the columns
of two lengths should read about the same (linear); the Host check's stay near a microsecond
(lower-casing the header; its pattern gives up after a few hundred characters).

    .venv/bin/python -m bench.hostile_inputs [--chars 40000 160000]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from bot.knowledge import base as knowledge
from bot.knowledge import fidelity
from bot.rasa_plugins.rest_channel import browser_refusal

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
HOSTS, ORIGINS = frozenset({"127.0.0.1"}), frozenset()

# A start and a unit repeated to the length asked.
CHECK_SHAPES: dict[str, tuple[str, str]] = {
    "unpaired quotes and figures": ("«", "a «b 1 "),
    "opening quotes": ("", "«"),
    "a quote that never ends": ("«", "a "),
    "figures": ("", " 1"),
    "ranges": ("", "10-30% "),
    "vosotros words": ("", "os "),
    "manager words": ("", "manager "),
}
HOST_SHAPES: dict[str, tuple[str, str]] = {
    "letters, then a colon": ("", "a"),
    "a bracket, then colons": ("[", ":"),
    "dotted names": ("", "a."),
}


def hostile(start: str, unit: str, chars: int) -> str:
    return (start + unit * (chars // len(unit) + 1))[:chars]


def seconds(work: Callable[[str], object], text: str) -> float:
    began = time.process_time()
    work(text)
    return time.process_time() - began


def checks(kb: knowledge.KnowledgeBase) -> Callable[[str], object]:
    """The content checks of a knowledge base with one answer's English `more` set to the text."""
    intent = sorted(name for name in kb.entries if name.startswith("objection_"))[0]
    entry = kb.entries[intent]

    def run(text: str) -> object:
        answers = {**entry.answers, "en": entry.answers["en"].copy(update={"more": text})}
        changed = dataclasses.replace(kb, entries={**kb.entries, intent: dataclasses.replace(entry, answers=answers)})
        return fidelity.problems(changed, KNOWLEDGE)

    return run


def table(
    title: str, shapes: dict[str, tuple[str, str]], work: Callable[[str], object], sizes: list[int], base: float = 0.0
) -> None:
    print(f"{title:<30}" + "".join(f"{f'{n:,} chars':>16}{'µs/1k chars':>13}" for n in sizes))
    for shape, (start, unit) in shapes.items():
        row = ""
        for chars in sizes:
            text = hostile(start, unit, chars)
            took = max(0.0, seconds(work, text) - base)
            row += f"{took * 1000:>13.1f} ms{took * 1e9 / chars:>13.1f}"
        print(f"{shape:<30}{row}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, nargs="+", default=[40_000, 160_000])
    args = parser.parse_args()
    check = checks(knowledge.load(KNOWLEDGE))
    # The rest of the knowledge base takes the same time whatever the text: only the text's share is shown.
    base = min(seconds(check, "A short answer.") for _ in range(5))
    print(f"(coach kb check of the rest of knowledge/: {base * 1000:.1f} ms, taken off below)")
    table("coach kb check", CHECK_SHAPES, check, args.chars, base)
    print()
    table("Host header", HOST_SHAPES, lambda host: browser_refusal({"host": host}, HOSTS, ORIGINS), args.chars)


if __name__ == "__main__":
    main()
