"""`python -m bench.redaction`: how long the redaction takes on hostile messages (figures, not a test).

The REST channel cuts a message to 4,000 characters before redacting it, so 4,000 is what a
client can send; 1,000,000 shows whether the time grows with the length or faster than it
(per character, the two columns should read about the same).

    .venv/bin/python -m bench.redaction [--chars 4000 1000000]
"""

from __future__ import annotations

import argparse
import time

from bot.privacy.redaction import redact

# Each shape is a start and a unit repeated to the length asked: long runs that a pattern may
# enter at every position, give up on near the end, and enter again at the next.
SHAPES: dict[str, tuple[str, str]] = {
    "letters": ("", "a"),
    "dotted letters": ("", "a."),
    "at signs": ("", "a@"),
    "one at, then letters": ("@", "a"),
    "letters, then an at": ("", "a"),
    "spaced digits": ("", "1 "),
    "dotted digits": ("", "1."),
    "digits": ("", "1"),
    "letters and digits": ("", "a1"),
    "dashes": ("", "a-"),
    "spelled-out at": ("mario", " [at] x"),
    "colons": ("", "a:"),
    "a link that never ends": ("http://", "a."),
    "a domain that never ends": ("", "ab."),
    "invisible characters": ("", "1\u200b"),
    "accents": ("", "e\u0301 "),
    "mixed": ("", "mario.rossi @ 333 1234 it60 x054 eyJ a1b2c3 \u200b(at) "),
}


def hostile(shape: str, chars: int) -> str:
    start, unit = SHAPES[shape]
    text = start + unit * ((chars - len(start)) // len(unit) + 1)
    text = text[:chars]
    # The run of letters that only turns into an address at its very end.
    return text[:-1] + "@" if shape == "letters, then an at" else text


def seconds(text: str) -> float:
    began = time.process_time()
    redact(text)
    return time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, nargs="+", default=[4_000, 1_000_000])
    args = parser.parse_args()
    header = "".join(f"{f'{n:,} chars':>16}{'µs/1k chars':>13}" for n in args.chars)
    print(f"{'shape':<26}{header}")
    for shape in SHAPES:
        row = ""
        for chars in args.chars:
            took = seconds(hostile(shape, chars))
            row += f"{took * 1000:>13.1f} ms{took * 1e9 / chars:>13.1f}"
        print(f"{shape:<26}{row}", flush=True)


if __name__ == "__main__":
    main()
