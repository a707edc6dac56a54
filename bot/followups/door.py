"""What the Telegram and Slack connectors and the web chat (through bot/followups/page.py) hand
to the follow-ups instead of the coach.

Before a message goes to the coach, `handle` takes the follow-ups' own commands: `/nudges on`,
`/nudges off`, "stop" (always: whoever writes it is not written to first again), and the
answers of a follow-up's buttons (`/followup <id> <answer>`). They are commands, not intents:
the intent list is a stable contract. After the coach's replies, `offer` adds the question
whether the person agrees, once, after the first answer they found useful (their first "that
helped" click): a moment the coach has earned, which never interrupts a first exchange.

A tip check's or refresher's "it helped" / "it didn't" is logged as feedback on that knowledge
entry, in the adoption log's own row format (bot/adoption_log/records.py), so the dashboard's
Answers page counts it (bot/followups/logbook.py); a pulse answer is a pulse score. Only the
person a message was sent to can answer it, once. `home` is the switch on a page of the person's
own (Slack's App Home): where they stand, and one button that changes it. Every method does
database work: asyncio connectors call it in a thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.adoption_log.records import reply_metadata
from bot.adoption_log.store import LogStore
from bot.channels.rasa_client import CoachReply, language_of
from bot.db import utc_now
from bot.followups import history, texts
from bot.followups.logbook import Logbook
from bot.followups.store import OFF, ON, PULSE, FollowupStore, Planned
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.replies import BUTTON_PAYLOADS, FEEDBACK
from bot.privacy.pseudonyms import pseudonym
from bot.privacy.teams import TeamDirectory

STOP_WORDS = frozenset({"stop", "/stop", texts.NUDGES_OFF})
# A follow-up's answers as the log's feedback values ("not_yet" is no feedback on the tip).
FEEDBACK_OF = {"helped": FEEDBACK["feedback_helpful"], "not_helped": FEEDBACK["feedback_not_helpful"]}
HELPED = BUTTON_PAYLOADS["helped"]  # the payload of "that helped" under an answer


class FollowupDoor:
    def __init__(
        self,
        channel: str,
        key: bytes,
        log: LogStore,
        knowledge: Callable[[], KnowledgeBase],
        clock: Callable[[], dt.datetime] = utc_now,
        store_text: bool = True,
        teams: TeamDirectory | None = None,
    ) -> None:
        self.channel, self.key, self.log = channel, key, log
        # The adoption lead's mapping, which the coach's own rows take their team from (the log
        # may not have the person's earlier rows yet: they wait in an outbox).
        self.teams = teams
        self.store, self.logbook = FollowupStore(log.engine), Logbook(log, key, store_text)
        self.knowledge, self.clock = knowledge, clock

    def handle(self, account: str, address: str | None, text: str, locale: str | None) -> list[CoachReply] | None:
        """The answer to a follow-up command, or None when `text` is for the coach. `address` is
        the private chat to write to later (None in a group: nobody is written to there)."""
        command = " ".join(text.lower().split())
        if (
            command not in STOP_WORDS
            and command != texts.NUDGES_ON
            and not command.startswith(("/nudges", "/followup"))
        ):
            return None
        user_id = pseudonym(self.key, self.channel, account)
        # Logged as the coach's messages are: the transcript, `coach export` and /forget see the
        # command and its replies like any other (the Answers page counts none of them).
        team = self._team_of(account)
        self.logbook.user_row(user_id, self.channel, team, self.clock(), text)
        replies = self._command(user_id, address, command, self._language(user_id, locale), locale)
        self._log_replies(user_id, team, [reply.text for reply in replies])
        return replies

    def _command(
        self, user_id: str, address: str | None, command: str, lang: str, locale: str | None
    ) -> list[CoachReply]:
        if command in STOP_WORDS:
            self.store.decide(user_id, self.channel, None, language_of(locale), agree=False, now=self.clock())
            return [self._say(lang, "followup_off")]
        if command == texts.NUDGES_ON and address is not None:
            self.store.decide(user_id, self.channel, address, language_of(locale), agree=True, now=self.clock())
            return [self._say(lang, "followup_on")]
        answer = texts.parse_answer(command)
        if answer is None:
            return [self._say(lang, "followup_nudges_usage")]
        return [self._answer(user_id, lang, *answer)]

    def offer(self, account: str, address: str | None, said: str, locale: str | None) -> CoachReply | None:
        """The question whether to check in, after the person's first "that helped" (`said` is
        what they sent the coach); else None."""
        if address is None or said.strip() != HELPED:
            return None
        user_id = pseudonym(self.key, self.channel, account)
        if not self.store.offer_once(user_id, self.channel, self.clock()):
            return None
        question = texts.offer(self.knowledge(), self._language(user_id, locale))
        self._log_replies(user_id, self._team_of(account), [question.text])
        return CoachReply(question.text, question.buttons)

    def home(self, account: str, locale: str | None) -> CoachReply:
        """Where the person stands, with the one button that changes it: for a page of their own
        (Slack's App Home). The button's payload is the command `handle` takes."""
        user_id = pseudonym(self.key, self.channel, account)
        consent, lang = self.store.consent(user_id), self._language(user_id, locale)
        state = consent.state if consent else None
        if state == ON:
            return self._say(lang, "followup_on", ("followup_stop_button", texts.NUDGES_OFF))
        return self._say(
            lang, "followup_off" if state == OFF else "followup_offer", ("followup_offer_yes", texts.NUDGES_ON)
        )

    def _answer(self, user_id: str, lang: str, message_id: int, answer: str) -> CoachReply:
        kinds = [kind for kind, answers in texts.ANSWERS.items() if answer in answers]
        message = self.store.answer(message_id, user_id, kinds, answer)
        if message is None:
            return self._say(lang, "followup_expired")
        with self.log.engine.connect() as connection:
            team = history.team_of(connection, user_id)
        if message.kind == PULSE:
            self.store.add_pulse(user_id, team, message.week, int(answer), self.clock())
        elif answer in FEEDBACK_OF:
            self._log_feedback(message, lang, team, FEEDBACK_OF[answer])
        return self._say(lang, "followup_thanks")

    def _log_feedback(self, message: Planned, lang: str, team: str | None, feedback: str) -> None:
        """The row a "that helped" button leaves, on the entry the follow-up brought back."""
        metadata = reply_metadata(language=lang, kb_entry=message.kb_entry, feedback=feedback, erase=False)
        self.logbook.bot_row(message.user_id, self.channel, team, self.clock(), None, metadata)

    def _log_replies(self, user_id: str, team: str | None, replies: list[str]) -> None:
        now = self.clock()
        for text in replies:
            # No language: these replies follow the person's language, they do not set it
            # (`history.last_language` is the language the coach understood them in).
            self.logbook.bot_row(user_id, self.channel, team, now, text, metadata={})

    def _team_of(self, account: str) -> str | None:
        return self.teams.team(self.channel, account) if self.teams else None

    def _language(self, user_id: str, locale: str | None) -> str:
        with self.log.engine.connect() as connection:
            return texts.language(history.last_language(connection, user_id), language_of(locale))

    def _say(self, lang: str, key: str, *buttons: tuple[str, str]) -> CoachReply:
        """The conversation text `key`, with buttons given as (text key, payload)."""
        kb = self.knowledge()
        return CoachReply(
            texts.say(kb, lang, key), tuple((texts.say(kb, lang, title), load) for title, load in buttons)
        )
