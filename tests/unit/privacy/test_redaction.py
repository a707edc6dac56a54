import pytest

from bot.privacy.redaction import CARD, EMAIL, IBAN, PERSONAL_ID, PHONE, URL, redact


@pytest.mark.parametrize(
    "text, blanked, kept",
    [
        ("scrivimi a mario.rossi@example.it domani", EMAIL, "scrivimi a"),
        ("my address is j.doe+crm@mail.co.uk.", EMAIL, "my address is"),
        ("chiamami al +39 333 123 4567", PHONE, "chiamami al"),
        ("llámame al 612 34 56 78 por favor", PHONE, "por favor"),
        ("il fisso è 06-1234-5678", PHONE, "il fisso è"),
        ("call (555) 123-4567 tonight", PHONE, "tonight"),
        ("el cliente 0034 912 345 678 no contesta", PHONE, "no contesta"),
        ("IBAN IT60 X054 2811 1010 0000 0123 456 per il bonifico", IBAN, "per il bonifico"),
        ("pagar a ES9121000418450200051332", IBAN, "pagar a"),
        ("card 4111 1111 1111 1111 expired", CARD, "expired"),
        ("tarjeta 5500-0000-0000-0004", CARD, "tarjeta"),
        ("link https://crm.example.com/reset?token=abc123 scaduto", URL, "scaduto"),
        ("see https://crm.example.com/share/9f8e7d6c5b4a39281726354abc now", URL, "now"),
        ("login https://user:secret@crm.example.com/ fails", URL, "fails"),
        ("il mio codice fiscale è RSSMRA80A01H501U", PERSONAL_ID, "il mio codice"),
        ("mi DNI es 12345678Z", PERSONAL_ID, "mi DNI es"),
        ("NIE X1234567L", PERSONAL_ID, "NIE"),
    ],
)
def test_personal_data_is_blanked(text, blanked, kept):
    redacted = redact(text)
    assert blanked in redacted
    assert kept in redacted
    assert not any(ch.isdigit() for ch in redacted)


@pytest.mark.parametrize(
    "text",
    [
        "non ho tempo per il CRM, ho 40 clienti da seguire",
        "nel 2024 abbiamo chiuso il 15% in più",
        "la riunione è alle 10:30 del 12/03",
        "ci vogliono 3 o 4 ore a settimana",
        "il preventivo è di 12.500 euro",
        "the docs are at https://crm.example.com/help",
        "/ask_more",
        "/feedback_not_helpful",
        "las 10 reglas del CRM",
    ],
)
def test_ordinary_salesperson_talk_is_kept(text):
    assert redact(text) == text


def test_sixteen_digits_that_fail_the_card_check_are_not_called_a_card():
    # An order number, say. Its digit groups may still be blanked as a phone: erring on that side is the policy.
    assert CARD not in redact("ordine 1234 5678 9012 3456")


def test_punctuation_after_a_blanked_link_survives():
    assert redact("vedi https://x.example.com/a?session=1.") == f"vedi {URL}."
