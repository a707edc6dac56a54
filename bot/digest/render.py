"""The digest in words and pictures: the HTML (for the e-mail, with the charts as CID parts,
or for a file, with the charts as data: URIs), the e-mail message itself, and the short chat
text. Texts are gettext messages of the domain `digest` (bot/translations/<lang>/LC_MESSAGES/
digest.po, English ids); dates and numbers are formatted by babel in the digest's language;
objections are named by the knowledge base's topics in that language.

A hidden figure (None) is written "fewer than 5 people", as in the dashboard.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_interval
from babel.numbers import format_decimal, format_percent
from sqlalchemy.engine import Engine

from bot import i18n
from bot.digest import charts
from bot.digest.figures import Week, WeekFigures, collect
from bot.knowledge.base import KnowledgeBase

DOMAIN = "digest"
TEMPLATE = Path(__file__).with_name("digest.html")
# `_` is passed in at render time: its result is escaped like any other value.
_environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True)


@dataclass
class Digest:
    """One week's digest in one language: its texts, its charts (name -> PNG) and its HTML."""

    figures: WeekFigures
    language: str
    kb: KnowledgeBase
    charts: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        translations = i18n.translations(self.language, DOMAIN)
        self._ = translations.gettext
        self.charts = {"objections": self._objections_chart(), "mood": self._mood_chart()}

    # --- words and numbers ------------------------------------------------------------
    def gettext(self, message: str, **values: Any) -> str:
        text = self._(message)
        return text % values if values else text

    def number(self, value: float | int | None, signed: bool = False) -> str:
        if value is None:
            return self.gettext("fewer than 5 people")
        text = format_decimal(value, locale=self.language)
        return f"+{text}" if signed and value > 0 else text

    def topic(self, intent: str) -> str:
        entry = self.kb.entry(intent)
        return entry.answers[self.language].topic if entry else intent

    @property
    def who(self) -> str:
        team = self.figures.team
        return self.gettext("team %(team)s", team=team) if team else self.gettext("whole company")

    @property
    def week_label(self) -> str:
        week = self.figures.week
        dates = format_interval(week.monday, week.sunday, "yMMMd", locale=self.language)
        return self.gettext("Week %(number)s, %(dates)s", number=week.monday.isocalendar()[1], dates=dates)

    @property
    def subject(self) -> str:
        return f"{self.gettext('Weekly digest')}: {self.who}, {self.week_label}"

    def mood_of_week(self) -> float | None:
        rows = [row for row in self.figures.mood if row["week"] == self.figures.week.monday.isoformat()]
        return rows[0]["average"] if rows else None

    # --- charts --------------------------------------------------------------------------
    def _objections_chart(self) -> bytes:
        rows = self.figures.objections
        return charts.objections_chart(
            self.gettext("Top objections: this week and the week before"),
            [self.topic(row.intent) for row in rows],
            [row.count for row in rows],
            [row.previous for row in rows],
            (self.gettext("This week"), self.gettext("Week before")),
        )

    def _mood_chart(self) -> bytes:
        weeks = [dt.date.fromisoformat(str(row["week"])) for row in self.figures.mood]
        return charts.mood_chart(
            self.gettext("Mood per week"),
            [format_date(monday, "d MMM", locale=self.language) for monday in weeks],
            [row["average"] for row in self.figures.mood],
            self.gettext("gaps: fewer than 5 people"),
        )

    def chat_chart(self) -> bytes:
        """The one chart of the chat message: the objections, or the mood in a week without them."""
        return self.charts["objections"] if self.figures.objections else self.charts["mood"]

    # --- the HTML ------------------------------------------------------------------------
    def html(self, image_source: Callable[[str, bytes], str]) -> str:
        """The digest's page; `image_source(name, png)` says where each chart's <img> points."""
        figures = self.figures
        context = {
            "language": self.language,
            "who": self.who,
            "week_label": self.week_label,
            "messages": self.number(figures.messages),
            "people": self.number(figures.people),
            "images": {name: image_source(name, png) for name, png in self.charts.items()},
            "objections": [
                {
                    "topic": self.topic(row.intent),
                    "count": self.number(row.count),
                    "previous": self.number(row.previous),
                    "change": self.number(row.change, signed=True),
                }
                for row in figures.objections
            ],
            "hidden_objections": figures.hidden_objections,
            "mood_line": self.gettext(
                "Average sentiment of the group, from -1 (negative) to 1 (positive); this week: %(mood)s.",
                mood=self.number(self.mood_of_week()),
            ),
            "rising": self._rising(),
            "not_helpful": [
                {
                    "topic": self.topic(row["kb_entry"]),
                    "share": format_percent(row["not_helped_share"], locale=self.language),
                    "rated": self.number(row["rated"]),
                }
                for row in figures.not_helpful
            ],
            "not_understood": [
                {"label": self._not_understood_label(row["intent"]), "count": self.number(row["count"])}
                for row in figures.not_understood
            ],
        }
        template = _environment.get_template(TEMPLATE.name)
        return template.render(_=self._gettext_for_template, **context)

    def _gettext_for_template(self, message: str, **values: Any) -> str:
        return self.gettext(message, **values)

    def _rising(self) -> dict[str, Any] | None:
        rising = self.figures.rising
        if rising is None:
            return None
        entry = self.kb.entry(rising["intent"])
        return {
            "topic": self.topic(rising["intent"]),
            "before": self.number(rising["before"]),
            "after": self.number(rising["after"]),
            "advice": entry.answers[self.language].for_leads if entry else "",
        }

    def _not_understood_label(self, intent: str) -> str:
        if intent == "out_of_scope":
            return self.gettext("Off-topic messages")
        return self.gettext("Messages it could not place")

    def html_file(self) -> str:
        """A page that opens in a browser by itself: the charts inline as data: URIs."""
        return self.html(lambda name, png: "data:image/png;base64," + base64.b64encode(png).decode("ascii"))

    def email(self, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
        """A multipart e-mail: the chat text as plain text, and the HTML with the charts as
        related parts it names by Content-ID (cid:), as mail programs show them inline."""
        message = EmailMessage()
        message["Subject"] = self.subject
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message.set_content(self.chat_text())
        ids: Mapping[str, str] = {name: make_msgid(domain="digest.coach")[1:-1] for name in self.charts}
        message.add_alternative(self.html(lambda name, png: f"cid:{ids[name]}"), subtype="html")
        *_, html_part = message.iter_parts()  # the HTML alternative, made multipart/related below
        for name, png in self.charts.items():
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<{ids[name]}>", filename=f"{name}.png")
        return message

    # --- the chat message ------------------------------------------------------------------
    def chat_text(self) -> str:
        """Three to five short lines for a Slack channel or a Telegram chat."""
        figures = self.figures
        lines = [
            self.subject,
            self.gettext(
                "%(messages)s messages from %(people)s people; mood %(mood)s",
                messages=self.number(figures.messages),
                people=self.number(figures.people),
                mood=self.number(self.mood_of_week()),
            ),
        ]
        if figures.objections:
            top = figures.objections[0]
            lines.append(
                self.gettext(
                    "Top objection: %(topic)s (%(count)s, week before %(previous)s)",
                    topic=self.topic(top.intent),
                    count=self.number(top.count),
                    previous=self.number(top.previous),
                )
            )
        if rising := self._rising():
            lines.append(self.gettext("Fastest rising: %(topic)s (%(before)s → %(after)s)", **rising))
        shown = [row["count"] for row in figures.not_understood]
        if shown and None not in shown:
            lines.append(self.gettext("Not understood: %(count)s messages", count=self.number(sum(shown))))
        return "\n".join(lines)


def build(engine: Engine, kb: KnowledgeBase, week: Week, team: str | None, language: str) -> Digest:
    """The week's digest of the company (team None) or a team, in `language`; raises
    figures.TooFewPeopleError when that week rests on fewer than 5 people."""
    return Digest(collect(engine, week, team), language, kb)
