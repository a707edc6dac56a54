"""`coach export`: the adoption log as CSV or JSON lines, with documented field names.

ts               when (UTC, ISO 8601)
user             pseudonymous user id (same person + channel = same id)
channel          webchat, telegram, slack, rest
team             from the adoption lead's teams.yml, empty if not mapped
language         it, es, en (the reply's language on bot rows; empty for button clicks)
direction        user (a message or a button click) or bot (the coach's reply)
text             redacted message text; empty when storing text is switched off
intent           what the message was recognised as (on bot rows: the intent answered)
confidence       the NLU's confidence in that intent, 0-1 (user rows)
sentiment_label  negative, neutral or positive (typed user messages)
sentiment_score  -1 (negative) to 1 (positive)
kb_entry         the knowledge-base entry a reply drew on (bot rows)
feedback         helpful or not_helpful, on the reply that acknowledged the click
request          person, on the reply that confirmed a request to talk to a person (bot rows)
answer_variant   which short answer of kb_entry a reply gave, or a feedback reply rates: a stable
                 number derived from the answer's text (an edited text gets a new one)

In CSV, a text cell that starts with = + - @ tab or carriage return gets a leading ' so that
a spreadsheet shows it as text instead of running it as a formula (`spreadsheet_cell`, also
used by the dashboard's CSV downloads).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from typing import IO, Any

from bot.adoption_log.records import clean_text
from bot.adoption_log.store import LogRecord

FIELDS = (
    "ts",
    "user",
    "channel",
    "team",
    "language",
    "direction",
    "text",
    "intent",
    "confidence",
    "sentiment_label",
    "sentiment_score",
    "kb_entry",
    "feedback",
    "request",
    "answer_variant",
)
FORMATS = ("csv", "jsonl")
# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """`value` as a CSV cell a spreadsheet shows as is: text without control characters (a NUL
    stops Python's CSV writer), and never a formula; numbers unchanged."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def as_row(record: LogRecord) -> dict[str, Any]:
    row = {name: getattr(record, name, None) for name in FIELDS}
    row["user"] = record.user_id
    row["ts"] = record.ts.replace(tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return row


def write(records: Iterable[LogRecord], out: IO[str], fmt: str) -> int:
    """Writes the records in `fmt`; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
    count = 0
    for count, record in enumerate(records, start=1):  # noqa: B007 (the count is the result)
        row = as_row(record)
        if fmt == "csv":
            writer.writerow({name: spreadsheet_cell(value) for name, value in row.items()})
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return count
