"""What tests read off a regular expression's structure (Python's own parser of patterns)."""

from __future__ import annotations

import re
import sre_constants
import sre_parse


def regex_repeats(pattern: re.Pattern) -> list[tuple[int, int]]:
    """(most times, depth) of every repeat in `pattern`, depth 1 for a repeat inside another; most
    times is sre_constants.MAXREPEAT for an unbounded one (*, +, {n,})."""
    found: list[tuple[int, int]] = []

    def walk(node, depth: int) -> None:
        if isinstance(node, sre_parse.SubPattern):
            for op, argument in node:
                if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                    found.append((argument[1], depth))
                    walk(argument[2], depth + 1)
                else:
                    walk(argument, depth)
        elif isinstance(node, (tuple, list)):  # a group's, an alternation's or a look-around's parts
            for part in node:
                walk(part, depth)

    walk(sre_parse.parse(pattern.pattern, pattern.flags), 0)
    return found
