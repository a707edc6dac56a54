"""`coach`: the trainer's and the operator's command line.

coach try "message" [...] [--json]   what the bot understands and answers
coach eval [--json]                  intent, language and sentiment figures on held-out files
coach export --format csv|jsonl [--since DATE] [--output FILE]
                                     the adoption log (fields: bot/adoption_log/export.py)
coach purge [--days N]               delete what is older than the retention period (N >= 1)
coach log status                     outbox, last delivery, dead letters; exit 1 on a problem
coach db upgrade                     bring the log database to the current schema
coach demo-data [--weeks N] [--people N]   synthetic conversations for trying the dashboard
coach user add NAME --role lead|trainer|admin [--password-stdin] | list | remove NAME
coach train [--reload-url URL]       retrain; replace the model only if not worse on held-out data
coach kb check                       what each intent has, per language; exit 1 on gaps
coach kb add-document FILE --title T --language it|es|en [--outlet O]
                                     a company document (.txt, .md, .pdf) as a source answers can cite
coach kb remove-document NAME        remove a company document no answer cites
coach topic add FILE.yml [--dry-run] a trainer's new topic from a file, shown as a diff (--dry-run: only that)
coach topic remove NAME              undo `coach topic add` (trainers' topics only)
coach telegram members [--revoke ID] who joined the Telegram bot with the code (pseudonyms); end one
coach digest [--team T] [--week YYYY-Www] [--lang it|es|en] [--output FILE] [--send]
                                     the weekly digest (bot/digest/): print, write as HTML, send
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bot.settings import PROJECT_ROOT, SettingsError

DEFAULT_MODELS = PROJECT_ROOT / "models"


def _fail(message: str) -> NoReturn:
    print(f"coach: {message}", file=sys.stderr)
    raise SystemExit(2)


def _model(args: argparse.Namespace) -> Path:
    from bot.nlu.parser import NoModelError, latest_model

    try:
        return Path(args.model) if args.model else latest_model(Path(args.models))
    except NoModelError as error:
        _fail(str(error))


def _parser(args: argparse.Namespace):
    from bot.nlu.parser import load_parser

    return load_parser(_model(args))


def _preview(args: argparse.Namespace) -> int:
    from bot import settings
    from bot.knowledge import base as knowledge
    from bot.knowledge.facts import message_facts
    from bot.knowledge.howto import LiveHowToMatcher
    from bot.knowledge.replies import ConversationState, PrivacyPolicy, compose
    from bot.nlu.language import reply_language

    kb = knowledge.load(Path(args.knowledge))
    parse = _parser(args)
    current = settings.load()
    policy = PrivacyPolicy(store_text=current.store_text, retention_days=current.retention_days)
    state, remembered, howtos = ConversationState(), None, LiveHowToMatcher()
    for text in args.messages:
        parsed = parse(text)
        intent = parsed["intent"]
        language = reply_language(parsed.get("language"), parsed.get("language_source"), remembered)
        facts = message_facts(kb, parsed, howtos, current.help_contact)
        reply = compose(kb, intent.get("name"), language, state, policy, facts=facts)
        state, remembered = reply.state, language
        result = {
            "text": text,
            "intent": intent.get("name"),
            "confidence": round(float(intent.get("confidence") or 0.0), 4),
            "language": language,
            "sentiment": parsed.get("sentiment"),
            "answer": reply.text,
            "source": reply.source,
            "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons],
        }
        print(json.dumps(result, ensure_ascii=False) if args.json else _human(result))
    return 0


def _human(result: dict) -> str:
    sentiment = result["sentiment"] or {}
    buttons = " | ".join(b["title"] for b in result["buttons"]) or "-"
    return (
        f"> {result['text']}\n"
        f"  intent: {result['intent']} ({result['confidence']:.2f})  language: {result['language']}  "
        f"sentiment: {sentiment.get('label')} ({sentiment.get('score', 0):+.2f})\n"
        f"  answer: {result['answer']}\n"
        f"  source: {result['source'] or '-'}\n"
        f"  buttons: {buttons}\n"
    )


def _evaluate(args: argparse.Namespace) -> int:
    from bot.learning import evaluation

    parse = _parser(args)
    training = sorted(Path(args.training).glob("*.yml")) if args.training else []
    report = evaluation.evaluate(parse, Path(args.tests), training)
    print(json.dumps(report, indent=2) if args.json else evaluation.format_report(report))
    failures = evaluation.below_targets(
        report, args.min_intent_f1, args.min_sentiment_f1, args.max_false_answers, args.beat_baseline
    )
    for failure in failures:
        print(f"coach: below target: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _intent_targets(value: str) -> dict[str, float]:
    from bot.learning import evaluation

    try:
        return evaluation.parse_targets(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


def _since(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def _log_store():
    """The log database, with whatever the outbox still holds delivered first."""
    from bot import settings
    from bot.adoption_log.outbox import Outbox
    from bot.adoption_log.store import LogStore

    current = settings.load()
    store = LogStore(current.log_db_url)
    store.migrate()
    if current.outbox_file.exists():
        Outbox(current.outbox_file, current.outbox_max_rows).deliver(store)
    return current, store


def _database_errors():
    from sqlalchemy.exc import SQLAlchemyError

    return SQLAlchemyError


def _export(args: argparse.Namespace) -> int:
    from bot.adoption_log import export

    _, store = _log_store()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(args.output, "w", encoding="utf-8", newline="")) if args.output else sys.stdout
        count = export.write(store.records(since=args.since), out, args.format)
    print(f"coach: exported {count} rows", file=sys.stderr)
    return 0


def _purge(args: argparse.Namespace) -> int:
    from bot.privacy import retention

    current, store = _log_store()
    purged = retention.purge(current, store, days=args.days)
    print(
        f"coach: deleted what is older than {purged.before:%Y-%m-%d %H:%M} UTC: "
        f"{purged.log_rows} log rows, {purged.tracker_events} tracker events, "
        f"{purged.memberships} Telegram memberships of people silent since"
    )
    return 0


def _retention_days(value: str) -> int:
    from bot.privacy.retention import MIN_DAYS

    if not value.strip().isdigit() or int(value) < MIN_DAYS:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give a whole number of days, {MIN_DAYS} or more (0 would delete everything, today's too)"
        )
    return int(value)


def _log_status(args: argparse.Namespace) -> int:
    from bot import settings
    from bot.adoption_log import health

    found = health.check(settings.load())
    print(health.report(found))
    return 1 if found.problems() else 0


def _db_upgrade(args: argparse.Namespace) -> int:
    _log_store()
    print("coach: the log database is at the current schema")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from bot.adoption_log import demo_data
    from bot.db import utc_now
    from bot.followups.store import FollowupStore
    from bot.knowledge import base as knowledge
    from bot.privacy.pseudonyms import load_key

    current, store = _log_store()
    key = load_key(current.secret_key, current.secret_key_file)
    records = demo_data.generate(
        knowledge.load(current.knowledge_dir), current.data_dir / "nlu", key, args.weeks, args.people
    )
    added = demo_data.replace_demo_data(store, records)
    answers = demo_data.pulse_answers(key, args.weeks, args.people)
    pulses = FollowupStore(store.engine)
    for user_id in {answer.user_id for answer in answers}:
        pulses.forget(user_id)
    now = utc_now()
    for answer in answers:
        pulses.add_pulse(answer.user_id, answer.team, answer.week, answer.score, now)
    print(
        f"coach: {added} demo rows and {len(answers)} weekly pulse answers ({args.people} people, "
        f"{args.weeks} weeks) replace any earlier demo data"
    )
    return 0


def _read_password(from_stdin: bool) -> str:
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password (10+ characters): ")
    if password != getpass.getpass("Again: "):
        _fail("the two passwords differ")
    return password


def _user(args: argparse.Namespace) -> int:
    from bot.dashboard.users import UserError, Users

    _, store = _log_store()
    users = Users(store.engine)
    try:
        if args.action == "add":
            if not args.name or not args.role:
                _fail("usage: coach user add NAME --role lead|trainer|admin")
            user = users.add(args.name, _read_password(args.password_stdin), args.role)
            print(f"coach: {user.username} can log in to the dashboard as {user.role}")
        elif args.action == "remove":
            users.remove(args.name or "")
            print(f"coach: {args.name} removed")
        else:
            for user in users.all():
                print(f"{user.username}\t{user.role}")
    except UserError as error:
        _fail(str(error))
    return 0


def _train(args: argparse.Namespace) -> int:
    from bot.learning import training
    from bot.nlu.parser import quiet_libraries

    quiet_libraries()

    from rasa.shared.exceptions import RasaException

    try:
        outcome = training.run(
            Path(args.config),
            Path(args.domain),
            [Path(d) for d in args.data],
            Path(args.tests),
            Path(args.model),
            args.tolerance,
        )
    except (RuntimeError, RasaException, OSError) as error:
        _fail(
            f"training did not finish: {error}\nthe current model is unchanged; "
            f"`.venv/bin/rasa data validate` names problems in the training data"
        )
    for name, report in (("current model", outcome.current), ("new model", outcome.new)):
        if report:
            figures = ", ".join(f"{lang} {f.get('intent_macro_f1')}" for lang, f in report.items())
            print(f"{name}: intent macro-F1 {figures}")
    if not outcome.promoted:
        print(
            f"coach: the new model is worse, kept the current one ({'; '.join(outcome.reasons)}); "
            f"the candidate is {outcome.candidate}",
            file=sys.stderr,
        )
        return 1
    print(f"coach: the new model replaced {args.model}")
    if args.reload_url:
        import urllib.error

        from bot import settings
        from bot.rasa_plugins.start import api_token

        try:
            training.reload_server(args.reload_url, Path(args.model), api_token(settings.load()))
            print(f"coach: {args.reload_url} now runs the new model")
        except urllib.error.HTTPError as error:
            print(
                f"coach: {args.reload_url} refused the new model ({error}); a 401 means its API token is not "
                f"this machine's (RASA_API_TOKEN or var/rasa_api.token); it will load the model on its next start",
                file=sys.stderr,
            )
        except OSError as error:
            print(
                f"coach: could not reach {args.reload_url} ({error}); it will load the model on its next start",
                file=sys.stderr,
            )
    return 0


def _digest(args: argparse.Namespace) -> int:
    from bot.digest import command

    current, store = _log_store()
    return command.run(store.engine, current.knowledge_dir, args.week, args.team, args.lang, args.output, args.send)


def _telegram_members(args: argparse.Namespace) -> int:
    from bot.channels.access import Members
    from bot.privacy.pseudonyms import is_pseudonym, load_key, pseudonym

    current, store = _log_store()
    members = Members(store.engine)
    if args.revoke is None:
        listed = members.all()
        for member in listed:
            print(f"{member.user_id}\tjoined {member.joined_at:%Y-%m-%d %H:%M} UTC")
        print(f"coach: {len(listed)} joined with the code (allowlisted accounts are not listed)", file=sys.stderr)
        return 0
    # A Telegram account id (the person can tell it) or the pseudonym this list shows.
    key = load_key(current.secret_key, current.secret_key_file)
    user_id = args.revoke if is_pseudonym(args.revoke) else pseudonym(key, "telegram", args.revoke.strip())
    if not members.revoke(user_id):
        _fail(f"no Telegram member {args.revoke} (an allowlisted account leaves TELEGRAM_ALLOWED_USERS instead)")
    print(f"coach: {user_id} can no longer use the Telegram bot, unless they send the join code again")
    return 0


def _kb_check(args: argparse.Namespace) -> int:
    from bot.knowledge import check as kb_check

    report = kb_check.check(PROJECT_ROOT, Path(args.knowledge), Path(args.data))
    print(kb_check.format_report(report))
    return 1 if report.gaps else 0


def _kb_document(args: argparse.Namespace) -> int:
    """`kb add-document FILE` / `kb remove-document NAME`: kept in the knowledge history like a dashboard upload."""
    import getpass

    from bot.knowledge.documents import CompanyDocuments, DocumentError, refuse_oversize

    if not args.target:
        _fail(
            f"usage: coach kb {args.action} {'FILE --title T --language it|es|en' if args.action == 'add-document' else 'NAME'}"
        )
    _, store = _log_store()
    documents = CompanyDocuments(Path(args.knowledge), store.engine)
    author = f"shell:{getpass.getuser()}"[:64]
    try:
        if args.action == "remove-document":
            documents.remove(args.target, author)
            print(f"coach: {args.target} removed (coach kb check no longer reads it)")
            return 0
        path = Path(args.target)
        refuse_oversize(path.stat().st_size, path.name)
        added = documents.add(path.read_bytes(), path.name, args.title or "", args.language or "", author, args.outlet)
    except DocumentError as error:
        _fail(str(error))
    print(
        f"coach: {added.name} («{added.title}», {added.characters:,} characters) is a source: cite it in an "
        f"answer's sources: (document: {added.name}), then run coach kb check"
    )
    return 0


def _topic(args: argparse.Namespace) -> int:
    """`topic add FILE` / `topic remove NAME`: a trainer's topic (bot/learning/topics.py), printed as a diff."""
    import getpass

    from bot.learning import topics

    current, store = _log_store()  # the topics' history is the knowledge editor's
    files = topics.ProjectFiles(current.knowledge_dir, current.data_dir)
    trainer_topics = topics.Topics(files, store.engine)
    author = f"shell:{getpass.getuser()}"[:64]
    try:
        if args.action == "add":
            spec = topics.load_spec(Path(args.target))
            change = trainer_topics.plan_add(spec, author) if args.dry_run else trainer_topics.add(spec, author)
        else:
            name = args.target
            change = trainer_topics.plan_remove(name) if args.dry_run else trainer_topics.remove(name, author)
    except topics.TopicError as error:
        change = topics.Change(files, "", problems=error.problems)
    for warning in change.warnings:
        print(f"coach: warning: {warning}", file=sys.stderr)
    if not change.ok:
        _fail("nothing was changed:\n" + "\n".join(f"- {problem}" for problem in change.problems))
    print(change.diff(), end="")
    held_out = ", ".join(f"{language} {count}" for language, count in change.held_out.items())
    if args.dry_run:
        print("coach: --dry-run: nothing was written", file=sys.stderr)
    else:
        print(
            f"coach: {change.name} {'added' if args.action == 'add' else 'removed'}"
            + (f"; held out in data/tests/ to judge it: {held_out} examples" if held_out else "")
            + "; retrain with `coach train --reload-url http://127.0.0.1:5005`",
            file=sys.stderr,
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from bot import settings

    current = settings.load()  # the same knowledge and data folders as the servers
    parser = argparse.ArgumentParser(prog="coach", description="The CRM adoption coach's command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_model(command: argparse.ArgumentParser) -> None:
        command.add_argument("--model", help="a trained model (.tar.gz); default: the newest in --models")
        command.add_argument("--models", default=str(DEFAULT_MODELS), help="folder of trained models")

    preview = commands.add_parser("try", help="show intent, language, sentiment and the exact answer")
    preview.add_argument("messages", nargs="+", help="messages, read as one conversation")
    preview.add_argument("--json", action="store_true", help="one JSON object per message per line")
    preview.add_argument("--knowledge", default=str(current.knowledge_dir))
    with_model(preview)
    preview.set_defaults(handler=_preview)

    evaluate = commands.add_parser("eval", help="figures on the held-out files in data/tests/")
    evaluate.add_argument("--tests", default=str(current.data_dir / "tests"))
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument(
        "--min-intent-f1",
        type=_intent_targets,
        default=None,
        help='exit 1 if a language is below: "0.93", or "0.93,it=0.91" for a language\'s own target',
    )
    evaluate.add_argument("--min-sentiment-f1", type=float, default=None, help="exit 1 if a language is below")
    evaluate.add_argument(
        "--max-false-answers",
        type=float,
        default=None,
        help="exit 1 if a language coaches more than this share of held-out off-topic messages",
    )
    evaluate.add_argument(
        "--training",
        default=str(current.data_dir / "nlu"),
        help="training files for the TF-IDF baseline ('' to skip it)",
    )
    evaluate.add_argument(
        "--beat-baseline", action="store_true", help="exit 1 if the baseline scores as high or higher"
    )
    with_model(evaluate)
    evaluate.set_defaults(handler=_evaluate)

    exporting = commands.add_parser("export", help="the adoption log as CSV or JSON lines")
    exporting.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    exporting.add_argument("--since", type=_since, help="only rows from this date (UTC), e.g. 2026-11-01")
    exporting.add_argument("--output", help="a file to write; default: standard output")
    exporting.set_defaults(handler=_export)

    purging = commands.add_parser("purge", help="delete log rows and tracker events older than the retention period")
    purging.add_argument(
        "--days", type=_retention_days, default=None, help="1 or more; default: COACH_RETENTION_DAYS (180)"
    )
    purging.set_defaults(handler=_purge)

    log = commands.add_parser(
        "log",
        help="is the adoption log flowing: outbox, last delivery, dead letters",
        description="Rows waiting in this machine's outbox, its last delivery, and the dead letters "
        "(rows the log database refused, kept aside; the dashboard's Dead letters page shows them).",
        epilog="Exit code: 0 all well; 1 dead letters exist, the outbox is over 80 % full, "
        "or the log database cannot be read.",
    )
    log.add_argument("action", choices=("status",))
    log.set_defaults(handler=_log_status)

    database = commands.add_parser("db", help="the log database")
    database.add_argument("action", choices=("upgrade",))
    database.set_defaults(handler=_db_upgrade)

    demo = commands.add_parser(
        "demo-data", help="fill the log with synthetic conversations (replaces earlier demo rows)"
    )
    demo.add_argument("--weeks", type=int, default=8)
    demo.add_argument("--people", type=int, default=60)
    demo.set_defaults(handler=_demo_data)

    user = commands.add_parser("user", help="dashboard users")
    user.add_argument("action", choices=("add", "list", "remove"))
    user.add_argument("name", nargs="?")
    user.add_argument("--role", choices=("lead", "trainer", "admin"))
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.set_defaults(handler=_user)

    retrain = commands.add_parser("train", help="retrain, compare on held-out data, keep the better model")
    retrain.add_argument("--config", default=str(PROJECT_ROOT / "config.yml"))
    retrain.add_argument("--domain", default=str(PROJECT_ROOT / "domain.yml"))
    retrain.add_argument(
        "--data", nargs="+", default=[str(current.data_dir / p) for p in ("nlu", "rules.yml", "stories.yml")]
    )
    retrain.add_argument("--tests", default=str(current.data_dir / "tests"))
    retrain.add_argument(
        "--model", default=str(DEFAULT_MODELS / "coach.tar.gz"), help="the model to compare with and replace"
    )
    retrain.add_argument("--tolerance", type=float, default=0.0, help="accept a drop of up to this much macro-F1")
    retrain.add_argument(
        "--reload-url", default=None, help="a running Rasa server to load the new model, e.g. http://127.0.0.1:5005"
    )
    retrain.set_defaults(handler=_train)

    digest = commands.add_parser("digest", help="the weekly digest: top objections, mood, rising, not understood")
    digest.add_argument("--team", help="one team's digest (none for a team of fewer than 5 people that week)")
    digest.add_argument("--week", help="the ISO week, e.g. 2026-W46; default: the last week that is over")
    digest.add_argument("--lang", choices=settings.LANGUAGES, help="default: COACH_DIGEST_LANGUAGE (en)")
    digest.add_argument("--output", help="write the digest as an HTML file, charts included")
    digest.add_argument("--send", action="store_true", help="send it by e-mail and to the chat (see .env.example)")
    digest.set_defaults(handler=_digest)

    telegram = commands.add_parser("telegram", help="who joined the Telegram bot with the join code")
    telegram.add_argument("action", choices=("members",))
    telegram.add_argument(
        "--revoke", metavar="ID", help="end a membership: the pseudonym the list shows, or the Telegram account id"
    )
    telegram.set_defaults(handler=_telegram_members)

    kb = commands.add_parser("kb", help="the knowledge base and training data, per intent and language")
    kb.add_argument("action", choices=("check", "add-document", "remove-document"))
    kb.add_argument("target", nargs="?", help="add-document: the file; remove-document: the document's name")
    kb.add_argument("--title", help="add-document: the document's title, as salespeople will see it")
    kb.add_argument("--language", choices=settings.LANGUAGES, help="add-document: the document's language")
    kb.add_argument("--outlet", help="add-document: who wrote it, e.g. 'Sales department' (optional)")
    kb.add_argument("--knowledge", default=str(current.knowledge_dir))
    kb.add_argument("--data", default=str(current.data_dir))
    kb.set_defaults(handler=lambda args: _kb_check(args) if args.action == "check" else _kb_document(args))

    topic = commands.add_parser("topic", help="a trainer's topic: intent, rule, examples and answers from one file")
    topic.add_argument("action", choices=("add", "remove"))
    topic.add_argument("target", metavar="FILE_OR_NAME", help="add: a topic file (knowledge/README.md); remove: a name")
    topic.add_argument("--dry-run", action="store_true", help="show the change as a diff, write nothing")
    topic.set_defaults(handler=_topic)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)  # the defaults come from the settings
        return args.handler(args)
    except SettingsError as error:
        _fail(str(error))
    except OSError as error:  # a file the command was told to read or write
        _fail(f"{error.strerror or error.__class__.__name__}: {error.filename or error}")
    except _database_errors() as error:
        _fail(
            f"the adoption log database is not reachable or not usable: {error.__class__.__name__}: "
            f"{str(error).splitlines()[0]}\n(check DATABASE_URL; rows waiting in the outbox are kept)"
        )


if __name__ == "__main__":
    sys.exit(main())
