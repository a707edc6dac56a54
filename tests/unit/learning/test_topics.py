"""A trainer's new topic: validated field by field, written to every file a new intent needs (which
`coach kb check` and Rasa's loaders then accept), removed byte for byte, kept in the history.
Everything works on a copy of the project in tmp_path, never on the repository's files."""

from __future__ import annotations

import copy

import pytest

from bot.adoption_log.store import LogStore
from bot.knowledge import check as kb_check
from bot.learning import topics
from bot.learning.examples import domain_intents, intent_examples
from bot.settings import LANGUAGES
from tests.conftest import ROOT

NAME = "objection_too_many_tools"
SECTION = (
    "Serve far capire alle persone i vantaggi di uno strumento che le aiuterà ad adempiere alle loro responsabilità."
)
EXAMPLES = {
    "it": [
        "ho già sei programmi aperti, il crm è il settimo",
        "tra posta, gestionale e fogli condivisi non mi serve un'altra piattaforma",
        "ogni anno ci danno un'applicazione nuova da imparare",
        "troppe app, troppe password, basta",
        "devo inserire gli stessi dati in tre sistemi diversi",
        "il crm è solo l'ennesimo strumento in più",
        "passo la giornata a saltare da un software all'altro",
        "già c'è il portale ordini, perché anche questo?",
        "non reggo un altro programma sul telefono",
        "copio le stesse informazioni dal gestionale al crm, che senso ha",
        "mi perdo tra tutte queste piattaforme aziendali",
        "ancora un'altra app da aprire ogni mattina?",
    ],
    "es": [
        "ya tengo seis programas abiertos, el crm sería el séptimo",
        "entre el correo, el ERP y las hojas compartidas no necesito otra plataforma",
        "cada año nos dan una aplicación nueva que aprender",
        "demasiadas apps y demasiadas contraseñas, basta",
        "tengo que meter los mismos datos en tres sistemas distintos",
        "el crm es solo una herramienta más de la lista",
        "me paso el día saltando de un software a otro",
        "ya está el portal de pedidos, ¿para qué también esto?",
        "no aguanto otro programa más en el móvil",
        "copio la misma información del ERP al crm, no tiene sentido",
        "me pierdo entre tantas plataformas de la empresa",
        "¿otra app más que abrir cada mañana?",
    ],
    "en": [
        "i already have six programs open, the crm would be the seventh",
        "between email, the ERP and shared sheets I don't need another platform",
        "every year they give us a new application to learn",
        "too many apps, too many passwords, enough",
        "I have to type the same data into three different systems",
        "the crm is just one more tool on the pile",
        "I spend my day jumping from one piece of software to another",
        "we already have the order portal, why this as well?",
        "I can't take another program on my phone",
        "I copy the same details from the ERP into the crm, what's the point",
        "I get lost among all these company platforms",
        "yet another app to open every morning?",
    ],
}
ANSWERS = {
    "it": {
        "topic": "Troppi strumenti da usare",
        "short": [
            "Capisco, un programma in più pesa quando la giornata è già piena di schermi. Il CRM però dovrebbe togliere lavoro: se ti fa copiare gli stessi dati due volte, segnalalo.",
            "Hai ragione a non volere un'altra app inutile. Il senso del CRM è mettere in un posto solo quello che oggi cerchi in tre: è lì che ti restituisce tempo.",
            "Troppi strumenti stancano, è vero. Prova a vedere il CRM come il posto dove ritrovi la storia del cliente prima di chiamarlo, non come un modulo da riempire.",
        ],
        "more": "Il podcast di Merita lo dice così: serve far capire alle persone i vantaggi di «uno strumento che le aiuterà ad adempiere alle loro responsabilità». Se il CRM è solo un programma in più, qualcosa non va nel modo in cui è stato introdotto: deve semplificare il tuo lavoro, non aggiungerne.",
        "tip": "Oggi annota quali dati copi a mano da un sistema all'altro e mandane l'elenco a chi gestisce il CRM.",
        "for_leads": "Chi lamenta troppi strumenti spesso copia dati a mano tra sistemi: raccogli questi doppi inserimenti e toglili, prima di chiedere più disciplina.",
    },
    "es": {
        "topic": "Demasiadas herramientas",
        "short": [
            "Entiendo, un programa más pesa cuando el día ya está lleno de pantallas. El CRM debería quitarte trabajo: si te obliga a copiar los mismos datos dos veces, dilo.",
            "Tienes razón en no querer otra app inútil. El sentido del CRM es reunir en un solo lugar lo que hoy buscas en tres: ahí es donde te devuelve tiempo.",
            "Tantas herramientas cansan, es verdad. Mira el CRM como el sitio donde encuentras la historia del cliente antes de llamarlo, no como un formulario más.",
        ],
        "more": "El pódcast de Merita lo dice así (en italiano): hay que hacer entender las ventajas de «uno strumento che le aiuterà ad adempiere alle loro responsabilità». Si el CRM es solo un programa más, algo falló en cómo se introdujo: tiene que simplificar tu trabajo, no sumarle.",
        "tip": "Hoy apunta qué datos copias a mano de un sistema a otro y manda la lista a quien administra el CRM.",
        "for_leads": "Quien se queja de demasiadas herramientas suele copiar datos a mano entre sistemas: recoge esas dobles entradas y elimínalas antes de pedir más disciplina.",
    },
    "en": {
        "topic": "Too many tools",
        "short": [
            "I get it, one more program weighs on a day already full of screens. The CRM should take work away: if it makes you copy the same data twice, say so.",
            "You're right not to want another useless app. The point of the CRM is to put in one place what you now look for in three: that's where it gives time back.",
            "Too many tools wear you out, true. Try seeing the CRM as the place where you find a customer's history before you call, not as one more form.",
        ],
        "more": "Merita's podcast puts it this way (in Italian): people need to see the benefits of «uno strumento che le aiuterà ad adempiere alle loro responsabilità», a tool that helps them do their job. If the CRM is just one more program, something went wrong in how it was introduced: it should simplify your work, not add to it.",
        "tip": "Today, note which details you copy by hand from one system to another and send the list to whoever runs the CRM.",
        "for_leads": "People who complain about too many tools often copy data by hand between systems: collect those double entries and remove them before asking for more discipline.",
    },
}
SPEC = {
    "name": NAME,
    "description": "Salespeople who feel the CRM is one more program among too many, with the same data typed twice.",
    "not_this": "Not a complaint that the CRM itself is badly made (objection_bad_tool), nor a preference for Excel (objection_prefer_old_tools).",
    "examples": EXAMPLES,
    "sources": [{"document": "003_8e9bb38b7ff82365.txt", "section": SECTION}],
    "four_ps": ["processes"],
    "rules": [],
    "answers": ANSWERS,
}
PROJECT_FILES = ("domain.yml", "data/rules.yml", *(f"data/tests/{lang}.yml" for lang in LANGUAGES))


def spec(**changes):
    data = copy.deepcopy(SPEC)
    data.update(changes)
    return data


@pytest.fixture
def project(tmp_path):
    return topics.copy_project(ROOT, ROOT / "knowledge", ROOT / "data", tmp_path / "project")


@pytest.fixture
def store(tmp_path):
    store = LogStore(f"sqlite:///{tmp_path / 'coach.db'}")
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def trainer_topics(project, store):
    return topics.Topics(project, store.engine)


def snapshot(project):
    return {name: (project.root / name).read_bytes() for name in PROJECT_FILES}


def test_add_writes_every_file_and_kb_check_and_rasa_accept_them(project, trainer_topics):
    before = kb_check.check(project.root, project.knowledge_dir, project.data_dir)
    change = trainer_topics.add(spec(), "tina")
    assert change.ok, change.problems
    assert NAME in domain_intents(project.domain)
    assert NAME in kb_check.rule_intents(project.rules)
    for language in LANGUAGES:
        trained = [e for e in intent_examples(project.training(language)) if e.intent == NAME]
        held_out = [e for e in intent_examples(project.held_out(language)) if e.intent == NAME]
        assert {e.language for e in trained} == {language}
        assert len(held_out) == change.held_out[language] == 2  # 20 % of 12
        assert sorted(e.text for e in trained + held_out) == sorted(EXAMPLES[language])
    report = kb_check.check(project.root, project.knowledge_dir, project.data_dir)
    # A trainer's topic is held to its own bar (8 trained per language), not the 20 of a built-in one.
    assert [gap for gap in report.gaps if gap not in before.gaps] == []
    assert any("with fewer than 30" in warning for warning in change.warnings)
    rows = [row for row in report.rows if row.intent == NAME]
    assert [(row.phrasings, row.tip, row.sources) for row in rows] == [(3, True, 1)] * 3
    record = (project.knowledge_dir / "topics" / f"{NAME}.yml").read_text(encoding="utf-8")
    assert "origin: trainer" in record and "objection_bad_tool" in record


def test_with_enough_examples_kb_check_has_no_gap(project, trainer_topics):
    more = {lang: [f"{text}{end}" for end in ("", " 2", " 3") for text in texts] for lang, texts in EXAMPLES.items()}
    change = trainer_topics.add(spec(examples=more), "tina")
    assert change.ok and change.warnings == [], change.problems
    assert kb_check.check(project.root, project.knowledge_dir, project.data_dir).gaps == []


def test_the_diff_shows_the_change_before_anything_is_written(project, trainer_topics):
    before = snapshot(project)
    change = trainer_topics.plan_add(spec(), "tina")
    assert change.ok and snapshot(project) == before
    assert not project.answer(NAME).exists()
    diff = change.diff()
    assert f"+  - {NAME}\n" in diff and "--- a/domain.yml" in diff
    assert "+++ b/knowledge/answers/objection_too_many_tools.yml" in diff and "--- /dev/null" in diff
    assert f"+- rule: answer {NAME}" in diff


def test_remove_restores_every_file_byte_for_byte(project, trainer_topics):
    before = snapshot(project)
    assert trainer_topics.add(spec(), "tina").ok
    assert snapshot(project) != before
    change = trainer_topics.remove(NAME, "tina")
    assert change.ok, change.problems
    assert snapshot(project) == before
    for path in (project.answer(NAME), project.record(NAME), *(project.training(lang) for lang in LANGUAGES)):
        assert not path.exists(), path


def test_two_topics_then_removing_the_first_keeps_the_second(project, trainer_topics):
    assert trainer_topics.add(spec(), "tina").ok
    after_first = snapshot(project)
    other = {lang: [f"{text} (secondo)" for text in texts] for lang, texts in EXAMPLES.items()}
    assert trainer_topics.add(spec(name="objection_app_overload", examples=other), "tina").ok
    assert trainer_topics.remove("objection_app_overload", "tina").ok
    assert snapshot(project) == after_first
    assert [t.name for t in trainer_topics.trainer_topics()] == [NAME]


@pytest.mark.parametrize(
    "name, says",
    [
        ("objection_no_time", "already an intent of domain.yml"),
        ("ask_howto", "already"),
        ("log_a_call", "a how-to entry"),
        ("restart", "Rasa's own intents"),
        ("action_listen", "Rasa's own actions"),
        ("action_coach_reply", "already the coach's action"),
        ("Too Many Tools", "must be snake_case"),
        ("too__many", "must be snake_case"),
        ("", "name: is missing"),
    ],
)
def test_a_name_that_clashes_or_is_not_snake_case_is_refused(trainer_topics, name, says):
    change = trainer_topics.plan_add(spec(name=name))
    assert not change.ok and not change.texts
    assert any(problem.startswith("name:") and says in problem for problem in change.problems), change.problems


def test_too_few_examples_are_refused_naming_the_language(project, trainer_topics):
    before = snapshot(project)
    examples = {**EXAMPLES, "it": EXAMPLES["it"][:7]}
    change = trainer_topics.add(spec(examples=examples), "tina")
    assert "examples.it: 7 examples, at least 10 needed" in change.problems
    assert snapshot(project) == before and not project.answer(NAME).exists()


def test_examples_twice_or_another_intents_or_too_long_are_refused(trainer_topics):
    known = intent_examples(ROOT / "data" / "nlu" / "en.yml")[0]
    held = intent_examples(ROOT / "data" / "tests" / "es.yml")[0]
    examples = {
        "it": [*EXAMPLES["it"], EXAMPLES["it"][0].upper()],
        "es": [*EXAMPLES["es"], held.text],
        "en": [*EXAMPLES["en"], known.text, "x" * 301, "see [this](entity)"],
    }
    problems = trainer_topics.plan_add(spec(examples=examples)).problems
    assert f"examples.it[12]: {EXAMPLES['it'][0].upper()!r} is given twice" in problems
    assert f"examples.es[12]: {held.text!r} is already an example of {held.intent} (held out)" in problems
    assert f"examples.en[12]: {known.text!r} is already an example of {known.intent}" in problems
    assert "examples.en[13]: 301 characters, at most 300" in problems
    assert any(p.startswith("examples.en[14]:") and "markup" in p for p in problems)


def test_a_quote_not_in_its_document_is_refused_naming_the_answer_field(trainer_topics):
    answers = copy.deepcopy(ANSWERS)
    answers["en"]["more"] = "The podcast says «the CRM is a waste of time», which it never did."
    problems = trainer_topics.plan_add(spec(answers=answers)).problems
    assert any(p.startswith("answers.en.more: «the CRM is a waste of time» is not verbatim") for p in problems), (
        problems
    )


def test_missing_fields_are_named(trainer_topics):
    answers = copy.deepcopy(ANSWERS)
    del answers["es"]
    answers["it"]["tip"] = ""
    problems = trainer_topics.plan_add(
        spec(description="", sources=[{"document": "003_8e9bb38b7ff82365.txt"}], answers=answers, colour="red")
    ).problems
    assert "colour: is not a known field (a typo?)" in problems
    assert any(p.startswith("description: is missing") for p in problems)
    assert any(p.startswith("sources[0]: needs a document and a section") for p in problems)
    assert any(p.startswith("answers.es: is missing") for p in problems)
    assert "answers.it.tip: is missing" in problems


def test_an_unknown_document_and_a_section_not_in_it_are_refused(trainer_topics):
    problems = trainer_topics.plan_add(
        spec(
            sources=[
                {"document": "nowhere.txt", "section": "x"},
                {"document": SPEC["sources"][0]["document"], "section": "not in it"},
            ]
        )
    ).problems
    assert any("sources[0].document: 'nowhere.txt' is not listed" in p for p in problems), problems


def test_built_in_intents_cannot_be_removed(project, trainer_topics):
    before = snapshot(project)
    change = trainer_topics.remove("objection_no_time", "tina")
    assert change.problems == [
        "name: 'objection_no_time' is built in (not made by a trainer): it cannot be removed here"
    ]
    assert trainer_topics.remove("no_such_topic", "tina").problems == ["name: 'no_such_topic' is not a topic"]
    assert snapshot(project) == before and project.answer("objection_no_time").exists()


def test_a_hand_edited_block_is_not_removed_blindly(project, trainer_topics):
    assert trainer_topics.add(spec(), "tina").ok
    rules = project.rules.read_text(encoding="utf-8")
    project.rules.write_text(rules.replace(f"  - intent: {NAME}\n", f"  - intent: {NAME}\n  - slot_was_set: []\n"))
    change = trainer_topics.remove(NAME, "tina")
    assert change.problems == [f"data/rules.yml: what the topic added was changed since; take {NAME} out by hand"]
    assert project.answer(NAME).exists(), "nothing was removed"


def test_a_spec_file_with_bad_yaml_names_the_line(tmp_path):
    path = tmp_path / "topic.yml"
    path.write_text("name: x\nexamples: [\n", encoding="utf-8")
    with pytest.raises(topics.TopicError) as error:
        topics.load_spec(path)
    assert error.value.problems[0].startswith("line 3: is not valid YAML")


def test_held_out_part_spreads_a_fifth_and_keeps_at_least_one():
    texts = [str(n) for n in range(12)]
    trained, held = topics.held_out_part(texts)
    assert len(held) == 2 and sorted(trained + held, key=int) == texts
    assert topics.held_out_part([str(n) for n in range(10)])[1] == ["2", "7"]
    assert len(topics.held_out_part(["a", "b"])[1]) == 1


def test_history_keeps_add_and_remove_and_revert_undoes_each(database_url, tmp_path):
    project = topics.copy_project(ROOT, ROOT / "knowledge", ROOT / "data", tmp_path / "project")
    store = LogStore(database_url)
    store.migrate()
    try:
        trainer_topics = topics.Topics(project, store.engine)
        before = snapshot(project)
        assert trainer_topics.add(spec(), "tina").ok
        with_topic = snapshot(project)
        assert trainer_topics.remove(NAME, "rita").ok
        [removed, added] = trainer_topics.history()
        assert (removed.name, removed.note, removed.author) == (NAME, "removed", "rita")
        assert (added.note, added.author) == ("added", "tina")
        assert trainer_topics.revert(removed.id, "tina").ok  # added again, as it was
        assert project.answer(NAME).exists() and NAME in domain_intents(project.domain)
        assert snapshot(project).keys() == with_topic.keys()
        assert trainer_topics.revert(added.id, "tina").ok  # the addition undone
        assert snapshot(project) == before
        with pytest.raises(topics.TopicError):
            trainer_topics.revert(10_000, "tina")
    finally:
        store.close()
