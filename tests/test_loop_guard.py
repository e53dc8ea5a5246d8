"""loop_guard: never answer autoresponders, lists, bounces, system messages or ourselves."""

from email import message_from_string

import pytest

from responso_autoresponder.engine.loop_guard import (
    HARD,
    LOOP_HEADER,
    SOFT,
    AutomaticSignal,
    OwnIdentity,
    detect_in_email,
    detect_in_text,
    marketplace_author_signal,
)

OWN = OwnIdentity(message_id_domains=("shop.example.com",), loop_tag="rsp-7f3a9c",
                  addresses=("sklep@shop.example.com", "Catchall <catchall@shop.example.com>"))

# A plain buyer e-mail: what every header sample below is compared against.
BUYER = [
    ("Return-Path", "<zofia.nowak@example.org>"),
    ("Received", "from mail.example.org by mx.shop.example.com"),
    ("Received", "from [192.0.2.10] by mail.example.org"),
    ("From", "Zofia Nowak <zofia.nowak@example.org>"),
    ("To", "sklep@shop.example.com"),
    ("Subject", "Gdzie jest moja paczka?"),
    ("Message-ID", "<CAF1x2y3@mail.example.org>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
]


def hard(headers, **kwargs):
    signal = detect_in_email(headers, **kwargs)
    assert signal is not None, "expected a HARD signal"
    assert signal.strength == HARD
    return signal.rule


# ------------------------------------------------------------------------------------- real-world samples

EXCHANGE_OOF = [
    ("From", "Jan Kowalski <jan.kowalski@contoso.pl>"),
    ("To", "sklep@shop.example.com"),
    ("Subject", "Automatic reply: Order 123-456"),
    ("Thread-Topic", "Order 123-456"),
    ("Auto-Submitted", "auto-generated"),
    ("X-Auto-Response-Suppress", "All"),
    ("X-MS-Exchange-Inbox-Rules-Loop", "jan.kowalski@contoso.pl"),
    ("Message-ID", "<DB7PR01MB1234@DB7PR01MB.eurprd01.prod.exchangelabs.com>"),
]
GMAIL_VACATION = [
    ("From", "Anna Schmidt <anna.schmidt@gmail.com>"),
    ("Subject", "Im Urlaub"),
    ("Auto-Submitted", "auto-replied"),
    ("Message-ID", "<CAK=vacation@mail.gmail.com>"),
]
ZIMBRA_VACATION = [
    ("From", "pierre@example.fr"),
    ("Subject", "Absence"),
    ("Auto-Submitted", "auto-replied (zimbra; vacation)"),
]
POSTFIX_BOUNCE = [
    ("Return-Path", "<>"),
    ("From", "MAILER-DAEMON@mx.example.net (Mail Delivery System)"),
    ("Subject", "Undelivered Mail Returned to Sender"),
    ("Auto-Submitted", "auto-replied"),
    ("Content-Type", 'multipart/report; report-type=delivery-status;\r\n\tboundary="4C2F1A.1700000000/mx.example.net"'),
]
QMAIL_BOUNCE = [
    ("From", "MAILER-DAEMON@mail.example.net"),
    ("To", "sklep@shop.example.com"),
    ("Subject", "failure notice"),
]
EXIM_BOUNCE = [
    ("From", "Mail Delivery System <Mailer-Daemon@exim.example.net>"),
    ("X-Failed-Recipients", "nobody@example.org"),
    ("Subject", "Mail delivery failed: returning message to sender"),
]
MAILING_LIST = [
    ("From", "Newsletter <news@deals.example.com>"),
    ("List-Id", "Deals <deals.example.com>"),
    ("List-Unsubscribe", "<mailto:unsubscribe@deals.example.com>"),
    ("Precedence", "list"),
]
AMAZON_NOTIFICATION = [
    ("From", '"Amazon.de" <auto-confirm@amazon.de>'),
    ("Subject", "Ihre Amazon.de Bestellung"),
    ("X-AMAZON-MAIL-RELAY-TYPE", "notification"),
    ("Feedback-ID", "1.eu-west-1.abc:AmazonSES"),
]


@pytest.mark.parametrize("headers, rule", [
    (EXCHANGE_OOF, "Auto-Submitted: auto-generated"),
    (GMAIL_VACATION, "Auto-Submitted: auto-replied"),
    (ZIMBRA_VACATION, "Auto-Submitted: auto-replied"),
    (POSTFIX_BOUNCE, "Auto-Submitted: auto-replied"),
    (QMAIL_BOUNCE, "sender MAILER-DAEMON@mail.example.net"),
    (EXIM_BOUNCE, "sender Mailer-Daemon@exim.example.net"),
    (MAILING_LIST, "List-Id header"),
    (AMAZON_NOTIFICATION, "X-AMAZON-MAIL-RELAY-TYPE: notification"),
], ids=["exchange", "gmail", "zimbra", "postfix", "qmail", "exim", "list", "amazon"])
def test_real_world_samples(headers, rule):
    assert hard(headers) == rule


def test_plain_buyer_mail_is_not_automatic():
    assert detect_in_email(BUYER, body="Dzień dobry, kiedy wyślecie zamówienie 123?") is None


def test_exchange_oof_without_auto_submitted_is_caught_by_suppress_header():
    headers = [h for h in EXCHANGE_OOF if h[0] != "Auto-Submitted"]
    assert hard(headers) == "X-Auto-Response-Suppress: All"


def test_postfix_bounce_without_auto_submitted():
    headers = [h for h in POSTFIX_BOUNCE if h[0] != "Auto-Submitted"]
    assert hard(headers) == "empty Return-Path (<>)"
    headers = [h for h in headers if h[0] not in ("Return-Path", "From")]
    assert hard(headers) == "bounce report (multipart/report; report-type=delivery-status)"


# ----------------------------------------------------------------------------------------- each hard rule


@pytest.mark.parametrize("value, rule", [
    ("auto-replied", "Auto-Submitted: auto-replied"),
    ("auto-generated", "Auto-Submitted: auto-generated"),
    ("auto-notified", "Auto-Submitted: auto-notified"),
    ("Auto-Replied", "Auto-Submitted: auto-replied"),
    ("auto-replied; owner-email=\"x@example.org\"", "Auto-Submitted: auto-replied"),
    ("auto-replied (zimbra; vacation)", "Auto-Submitted: auto-replied"),
    ("something-new", "Auto-Submitted: something-new"),
])
def test_auto_submitted(value, rule):
    assert hard(BUYER + [("Auto-Submitted", value)]) == rule


def test_auto_submitted_no_is_not_a_signal():
    for value in ["no", "No", " NO ", "no (manual)", "no; reason=human"]:
        assert detect_in_email(BUYER + [("Auto-Submitted", value)]) is None, value


def test_list_headers():
    for name in ["List-Id", "List-Unsubscribe", "List-Post", "List-Help", "List-Archive", "List-Owner",
                 "List-Subscribe", "LIST-ID"]:
        assert hard(BUYER + [(name, "<x@lists.example.com>")]).lower() == "%s header" % name.lower()


@pytest.mark.parametrize("value", ["<>", "", "< >"])
def test_empty_return_path(value):
    headers = [h for h in BUYER if h[0] != "Return-Path"] + [("Return-Path", value)]
    assert hard(headers) == "empty Return-Path (<>)"


SYSTEM_SENDERS = [
    "MAILER-DAEMON@mx.example.net", "mailer-daemon@example.org", "postmaster@example.org",
    "Postmaster <POSTMASTER@example.org>", "LISTSERV@lists.example.edu", "majordomo@vger.example.org",
    "owner-linux-kernel@vger.example.org", "deals-request@lists.example.com", "deals-request+bounce@lists.example.com",
    "noreply@shop.example", "no-reply@allegro.pl", "no_reply@example.org", "donotreply@bank.example",
    "do-not-reply@example.org", "do_not_reply@example.org", "NoReply@Example.org", "DoNotReply@example.org",
    "digital-no-reply@amazon.co.jp", "noreply-dmarc-support@google.com", "mail.noreply@example.org",
    "Sklep <noreply@sklep.example>",
]
ORDINARY_SENDERS = [
    "zofia.nowak@example.org", "owner@shop.example", "requests@example.org", "reply@example.org",
    "honoreply@example.org", "nora.reply@example.org", "post.master.jan@example.org", "daemon-fan@example.org",
]


def test_system_and_no_reply_senders():
    for sender in SYSTEM_SENDERS:
        rule = hard(BUYER, sender=sender)
        assert rule.startswith("sender ") and "<" not in rule and "Sklep" not in rule, sender  # bare address


def test_ordinary_senders():
    for sender in ORDINARY_SENDERS:
        assert detect_in_email(BUYER, sender=sender) is None, sender


def test_sender_rule_text_keeps_the_address():
    assert hard(BUYER, sender="Shop <noreply@shop.example>") == "sender noreply@shop.example"


def test_sender_from_header_when_not_given():
    headers = [h for h in BUYER if h[0] != "From"] + [("From", "Allegro <no-reply@allegro.pl>")]
    assert hard(headers) == "sender no-reply@allegro.pl"


def test_list_envelope_sender_in_return_path():
    headers = [h for h in BUYER if h[0] != "Return-Path"] + [("Return-Path", "<owner-deals@lists.example.com>")]
    assert hard(headers) == "Return-Path owner-deals@lists.example.com"


@pytest.mark.parametrize("content_type, rule", [
    ("multipart/report; report-type=delivery-status; boundary=x",
     "bounce report (multipart/report; report-type=delivery-status)"),
    ('multipart/report; report-type="disposition-notification"; boundary=x',
     "bounce report (multipart/report; report-type=disposition-notification)"),
    ("Multipart/Report; boundary=x", "bounce report (multipart/report)"),
])
def test_bounce_reports(content_type, rule):
    headers = [h for h in BUYER if h[0] != "Content-Type"] + [("Content-Type", content_type)]
    assert hard(headers) == rule


def test_x_failed_recipients():
    assert hard(BUYER + [("X-Failed-Recipients", "nobody@example.org")]) == "X-Failed-Recipients header"


def test_multipart_mixed_is_not_a_report():
    headers = [h for h in BUYER if h[0] != "Content-Type"] + [("Content-Type", "multipart/mixed; boundary=x")]
    assert detect_in_email(headers) is None


@pytest.mark.parametrize("name, value, rule", [
    ("Precedence", "bulk", "Precedence: bulk"),
    ("Precedence", "junk", "Precedence: junk"),
    ("Precedence", "list", "Precedence: list"),
    ("Precedence", "auto_reply", "Precedence: auto_reply"),
    ("PRECEDENCE", "Bulk", "Precedence: bulk"),
    ("X-Precedence", "bulk", "X-Precedence: bulk"),
])
def test_precedence(name, value, rule):
    assert hard(BUYER + [(name, value)]) == rule


def test_other_precedence_values_are_not_signals():
    for value in ["first-class", "normal", "urgent"]:
        assert detect_in_email(BUYER + [("Precedence", value)]) is None, value


@pytest.mark.parametrize("value, rule", [
    ("All", "X-Auto-Response-Suppress: All"),
    ("OOF", "X-Auto-Response-Suppress: OOF"),
    ("DR, OOF, AutoReply", "X-Auto-Response-Suppress: OOF"),
    ("RN,NRN,autoreply", "X-Auto-Response-Suppress: autoreply"),
])
def test_auto_response_suppress(value, rule):
    assert hard(BUYER + [("X-Auto-Response-Suppress", value)]) == rule


def test_auto_response_suppress_for_receipts_only_is_not_a_signal():
    assert detect_in_email(BUYER + [("X-Auto-Response-Suppress", "DR, RN, NRN")]) is None


@pytest.mark.parametrize("name, value, rule", [
    ("X-Autoreply", "yes", "X-Autoreply header"),
    ("X-Autorespond", "", "X-Autorespond header"),
    ("X-Autoresponse", "1", "X-Autoresponse header"),
    ("X-AutoReply-From", "jan@example.org", "X-AutoReply-From header"),
    ("X-Mail-Autoreply", "anything", "X-Mail-Autoreply header"),
    ("X-Loop", "Postfix Admin Virtual Vacation", "X-Loop header"),
    ("x-fc-machinegenerated", "true", "X-FC-MachineGenerated header"),
    ("X-Autogenerated", "Reply", "X-Autogenerated: Reply"),
    ("Delivered-To", "Autoresponder", "Delivered-To: Autoresponder"),
    ("X-POST-MessageClass", "9; Autoresponder", "X-POST-MessageClass: 9; Autoresponder"),
    ("x-amazon-mail-relay-type", "Notification", "X-AMAZON-MAIL-RELAY-TYPE: Notification"),
])
def test_vendor_markers(name, value, rule):
    assert hard(BUYER + [(name, value)]) == rule


def test_vendor_markers_need_their_value():
    for name, value in [("X-Autogenerated", "Forward"), ("Delivered-To", "sklep@shop.example.com"),
                        ("X-POST-MessageClass", "1; Normal"), ("X-AMAZON-MAIL-RELAY-TYPE", "buyer-seller")]:
        assert detect_in_email(BUYER + [(name, value)]) is None, name


# ------------------------------------------------------------------------------------------ our own loop


def test_own_loop_header_any_value():
    assert hard(BUYER + [(LOOP_HEADER, "another-database")], own=OWN) == "our own message (X-Responso-Loop header)"


def test_own_loop_header_is_case_insensitive_and_configurable():
    assert hard(BUYER + [("x-responso-loop", "")]) == "our own message (X-Responso-Loop header)"
    own = OwnIdentity(loop_header="X-Shop-Loop")
    assert hard(BUYER + [("X-SHOP-LOOP", "1")], own=own) == "our own message (X-Shop-Loop header)"
    assert detect_in_email(BUYER + [(LOOP_HEADER, "1")], own=own) is None


def test_own_message_id_domain():
    headers = [h for h in BUYER if h[0] != "Message-ID"] + [("Message-ID", "<1700.123-responso@Shop.Example.com>")]
    assert hard(headers, own=OWN) == "our own message (Message-ID domain shop.example.com)"


def test_loop_tag_in_message_id():
    headers = [h for h in BUYER if h[0] != "Message-ID"] + [("Message-ID", "<rsp-7f3a9c.42@mailer.example.net>")]
    assert hard(headers, own=OWN) == "our own message (loop tag in Message-ID)"


def test_buyer_reply_to_our_message_is_still_answered():
    """In-Reply-To/References name our Message-ID (domain and tag) when a person answers our reply."""
    headers = BUYER + [("In-Reply-To", "<rsp-7f3a9c.42@shop.example.com>"),
                       ("References", "<CAF0@mail.example.org> <rsp-7f3a9c.42@shop.example.com>")]
    assert detect_in_email(headers, own=OWN) is None


def test_own_address():
    for sender in ["sklep@shop.example.com", "SKLEP@Shop.Example.com", "Shop <catchall@shop.example.com>"]:
        assert hard(BUYER, sender=sender, own=OWN).startswith("our own message (sender "), sender


@pytest.mark.parametrize("name", ["References", "In-Reply-To", "To", "Cc", "Return-Path", "From"])
def test_odoo_loop_detection_bounce_marker(name):
    value = "<1700000000.1-loop-detection-bounce-email@shop.example.com>"
    headers = [h for h in BUYER if h[0] not in (name, "Return-Path")] + [(name, value)]
    assert hard(headers) == "reply to Odoo's loop-detection bounce (%s)" % name


def test_without_own_identity_nothing_is_ours():
    headers = [h for h in BUYER if h[0] != "Message-ID"] + [("Message-ID", "<1@shop.example.com>")]
    assert detect_in_email(headers, sender="sklep@shop.example.com") is None
    assert detect_in_email(headers, sender="sklep@shop.example.com", own=None) is None


# --------------------------------------------------------------------------------------- header containers


def test_header_names_are_case_insensitive():
    assert hard([("auto-submitted", "AUTO-REPLIED")]) == "Auto-Submitted: auto-replied"
    assert hard([("LIST-UNSUBSCRIBE", "<mailto:u@example.org>")]) == "List-Unsubscribe header"


def test_repeated_headers_are_all_read():
    headers = BUYER + [("Auto-Submitted", "no"), ("Auto-Submitted", "auto-generated")]
    assert hard(headers) == "Auto-Submitted: auto-generated"
    headers = BUYER + [("Precedence", "normal"), ("precedence", "bulk")]
    assert hard(headers) == "Precedence: bulk"


def test_mapping_headers():
    assert hard({"Precedence": "bulk", "From": "a@example.org"}) == "Precedence: bulk"
    assert hard({"Auto-Submitted": ["no", "auto-replied"]}) == "Auto-Submitted: auto-replied"
    assert detect_in_email(dict(BUYER)) is None


def test_email_message_headers():
    raw = "From: Jan <jan@example.org>\nAuto-Submitted: auto-replied\nSubject: hi\n\nbody\n"
    assert hard(message_from_string(raw)) == "Auto-Submitted: auto-replied"


def test_folded_header_values():
    assert hard([("Precedence", "\r\n\tbulk")]) == "Precedence: bulk"


def test_empty_and_missing_headers():
    assert detect_in_email([]) is None
    assert detect_in_email(None) is None
    assert detect_in_email([("Subject", None), (None, "x")]) is None


# --------------------------------------------------------------------------------- hard and soft together


def test_hard_wins_over_soft():
    signal = detect_in_email(GMAIL_VACATION, subject="Automatic reply: order",
                             body="This is an automatic reply. I am out of the office.")
    assert signal == AutomaticSignal(HARD, "Auto-Submitted: auto-replied")


def test_soft_signal_from_subject_and_body_when_headers_are_clean():
    signal = detect_in_email(BUYER, subject="Out of Office: Gdzie jest moja paczka?")
    assert signal.strength == SOFT and signal.rule == "automatic-reply subject “Out of Office:”"
    signal = detect_in_email(BUYER, body="Jestem poza biurem do 12 maja.")
    assert signal == AutomaticSignal(SOFT, "out-of-office phrase “Jestem poza biurem”")


def test_subject_header_is_used_when_no_subject_is_given():
    headers = BUYER + [("Subject", "=?utf-8?q?Odpowied=C5=BA_automatyczna:_Zam=C3=B3wienie?=")]
    headers = [h for h in headers if h != ("Subject", "Gdzie jest moja paczka?")]
    assert detect_in_email(headers) == AutomaticSignal(SOFT, "automatic-reply subject “Odpowiedź automatyczna:”")


def test_signal_str_is_its_rule():
    assert str(AutomaticSignal(HARD, "List-Id header")) == "List-Id header"


# -------------------------------------------------------------------------------------------- soft: text


# Per language: subjects with the prefix the rule quotes, bodies with the phrase the rule quotes.
SOFT_SAMPLES = {
    "en": {
        "subjects": [("Automatic reply: Zamówienie 123", "Automatic reply:"),
                     ("Auto-reply: your message", "Auto-reply:"), ("Autoreply: your message", "Autoreply:"),
                     ("AutoReply", "AutoReply"), ("Auto: Re: order", "Auto:"),
                     ("Out of Office: Re: order", "Out of Office:"), ("Out of office", "Out of office"),
                     ("[Auto-Reply] order", "Auto-Reply")],
        "bodies": [("This is an automatic reply. I will answer on Monday.", "This is an automatic reply"),
                   ("This is an automated message, please do not reply.", "This is an automated message"),
                   ("I am currently out of the office until 5 May.", "I am currently out of the office"),
                   ("I’m out of the office until Monday.", "I’m out of the office"),
                   ("Hello,\n\nI am out of office with limited access to e-mail.", "I am out of office"),
                   ("Thank you for your email. I am away until 12 June.", "Thank you for your email. I am away"),
                   ("THIS IS AN AUTOMATIC REPLY", "THIS IS AN AUTOMATIC REPLY"),
                   ("<p>Hello,</p><p>This is an automatic reply.</p>", "This is an automatic reply")],
    },
    "fr": {
        "subjects": [("Réponse automatique : Commande 42", "Réponse automatique:"),
                     ("Absence du bureau - retour le 5 mai", "Absence du bureau")],
        "bodies": [("Ceci est une réponse automatique.", "Ceci est une réponse automatique"),
                   ("Bonjour,\nJe suis absente du bureau jusqu'au 3 mai.", "Je suis absente du bureau"),
                   ("Je suis absent(e) du bureau.", "Je suis absent(e) du bureau")],
    },
    "pl": {
        "subjects": [("Odpowiedź automatyczna: Zamówienie", "Odpowiedź automatyczna:"),
                     ("Automatyczna odpowiedź: Re: paczka", "Automatyczna odpowiedź:"), ("Poza biurem", "Poza biurem"),
                     ("Odpowiedz automatyczna: bez polskich znakow", "Odpowiedz automatyczna:")],
        "bodies": [("To jest automatyczna odpowiedź.", "To jest automatyczna odpowiedź"),
                   ("Dzień dobry,\n\nJestem poza biurem do 12 maja.", "Jestem poza biurem"),
                   ("Dziękuję za wiadomość. Jestem na urlopie do 20 lipca.",
                    "Dziękuję za wiadomość. Jestem na urlopie")],
    },
    "de": {
        "subjects": [("Automatische Antwort: Bestellung", "Automatische Antwort:"),
                     ("Abwesenheitsnotiz: Ihre Anfrage", "Abwesenheitsnotiz:")],
        "bodies": [("Dies ist eine automatische Antwort.", "Dies ist eine automatische Antwort"),
                   ("Sehr geehrte Damen und Herren,\nich bin bis 20.05. nicht im Büro.",
                    "ich bin bis 20.05. nicht im Büro"),
                   ("Guten Tag, ich bin derzeit nicht im Büro.", "ich bin derzeit nicht im Büro")],
    },
    "it": {
        "subjects": [("Risposta automatica: ordine", "Risposta automatica:"), ("Fuori sede", "Fuori sede"),
                     ("Fuori ufficio: ordine", "Fuori ufficio:")],
        "bodies": [("Questa è una risposta automatica.", "Questa è una risposta automatica"),
                   ("Buongiorno,\nsono fuori ufficio fino al 3 maggio.", "sono fuori ufficio")],
    },
    "es": {
        "subjects": [("Respuesta automática: pedido", "Respuesta automática:"),
                     ("Fuera de la oficina", "Fuera de la oficina")],
        "bodies": [("Esta es una respuesta automática.", "Esta es una respuesta automática"),
                   ("Hola,\nEstoy fuera de la oficina hasta el lunes.", "Estoy fuera de la oficina")],
    },
    "cs": {
        "subjects": [("Automatická odpověď: Objednávka", "Automatická odpověď:"), ("Mimo kancelář", "Mimo kancelář")],
        "bodies": [("Toto je automatická odpověď.", "Toto je automatická odpověď"),
                   ("Dobrý den,\njsem mimo kancelář do pátku.", "jsem mimo kancelář")],
    },
}


@pytest.mark.parametrize("language", SOFT_SAMPLES)
def test_subject_prefixes(language):
    for subject, prefix in SOFT_SAMPLES[language]["subjects"]:
        expected = AutomaticSignal(SOFT, "automatic-reply subject “%s”" % prefix)
        assert detect_in_text(subject=subject) == expected, subject


@pytest.mark.parametrize("language", SOFT_SAMPLES)
def test_body_openings(language):
    for body, phrase in SOFT_SAMPLES[language]["bodies"]:
        assert detect_in_text(body=body) == AutomaticSignal(SOFT, "out-of-office phrase “%s”" % phrase), body


@pytest.mark.parametrize("subject, body", [
    ("Re: parcel", "Hi, sorry for the delay, I was out of office last week. Where is my parcel?"),
    ("Question", "Is the automatic reply you sent correct?"),
    ("Automatic transmission", "Does this gearbox fit an automatic transmission?"),
    ("Automatic reply you sent is wrong", "Please check."),
    ("Auto parts", "Czy ten filtr pasuje do auta?"),
    ("Autoryzacja płatności", "Płatność nie przeszła."),
    ("Re: Automatic reply: order", "Thanks, got it."),
    ("Zamówienie 123", "Dzień dobry, kiedy wyślecie zamówienie? Byłem poza biurem, stąd opóźnienie."),
    ("Bestellung", "Hallo, ich war letzte Woche nicht im Büro. Wo ist mein Paket?"),
    ("Commande", "Bonjour, j'étais absent du bureau. Où est mon colis ?"),
    ("Order", "I am away next week, can you ship after the 20th?"),
    ("Order", "Where is my order? " + "x" * 400 + " This is an automatic reply."),
    ("", ""),
])
def test_human_messages_give_none(subject, body):
    assert detect_in_text(subject, body) is None


def test_text_accepts_none():
    assert detect_in_text(None, None) is None


# ------------------------------------------------------------------------------------------- marketplaces


@pytest.mark.parametrize("channel, author, login, rule", [
    # Allegro public.v1 (A1 MessageAuthor)
    ("allegro_public_v1", {"login": "kupujacy_1", "isInterlocutor": True}, "sklep", None),
    ("allegro_public_v1", {"login": "sklep", "isInterlocutor": False}, "sklep",
     "Allegro: author is not the interlocutor (sklep)"),
    ("allegro_public_v1", {"login": "Allegro", "isInterlocutor": False}, None,
     "Allegro: author is not the interlocutor (Allegro)"),
    ("allegro_public_v1", {"login": "Sklep", "isInterlocutor": True}, "sklep", "Allegro: our own message (Sklep)"),
    ("allegro_public_v1", {"login": "kupujacy_1"}, "sklep", "Allegro: author unknown"),
    ("allegro_public_v1", {"login": "kupujacy_1", "isInterlocutor": "yes"}, "sklep", "Allegro: author unknown"),
    # Allegro beta.v1 (A2 MessageAuthorVBeta1)
    ("allegro_beta_v1", {"role": "BUYER", "login": "kupujacy_1"}, "sklep", None),
    ("allegro_beta_v1", {"role": "BUYER", "login": None}, "sklep", None),
    ("allegro_beta_v1", {"role": "SELLER", "login": "sklep"}, "sklep", "Allegro: author role SELLER"),
    ("allegro_beta_v1", {"role": "ALLEGRO", "login": None}, "sklep", "Allegro: author role ALLEGRO"),
    ("allegro_beta_v1", {"role": "CONSULTANT", "login": "doradca"}, "sklep", "Allegro: author role CONSULTANT"),
    ("allegro_beta_v1", {"role": "seller", "login": "sklep"}, "sklep", "Allegro: author role SELLER"),
    # COMMON thread: both participants are USER, the account's login tells us apart
    ("allegro_beta_v1", {"role": "USER", "login": "kupujacy_1"}, "sklep", None),
    ("allegro_beta_v1", {"role": "USER", "login": "Sklep"}, "sklep", "Allegro: our own message (Sklep)"),
    ("allegro_beta_v1", {"role": "USER", "login": None}, "sklep",
     "Allegro: author unknown (USER without a login to compare)"),
    ("allegro_beta_v1", {"role": "USER", "login": "kupujacy_1"}, None,
     "Allegro: author unknown (USER without a login to compare)"),
    ("allegro_beta_v1", {"login": "kupujacy_1"}, "sklep", "Allegro: author unknown"),
    ("allegro_beta_v1", {"role": None, "login": "kupujacy_1"}, "sklep", "Allegro: author unknown"),
    ("allegro_beta_v1", {"role": "ROBOT", "login": "x"}, "sklep", "Allegro: author unknown (role ROBOT)"),
    # Allegro Discussions / issue chat (A1 PostPurchaseIssueMessageAuthor)
    ("allegro_discussions", {"role": "BUYER", "login": "kupujacy_1"}, "sklep", None),
    ("allegro_discussions", {"role": "SELLER", "login": "sklep"}, "sklep", "Allegro issue: author role SELLER"),
    ("allegro_discussions", {"role": "SELLER", "login": "sklep"}, None, "Allegro issue: author role SELLER"),
    ("allegro_discussions", {"role": "ADMIN"}, "sklep", "Allegro issue: author role ADMIN"),
    ("allegro_discussions", {"role": "SYSTEM"}, "sklep", "Allegro issue: author role SYSTEM"),
    ("allegro_discussions", {"role": "FULFILLMENT"}, "sklep", "Allegro issue: author role FULFILLMENT"),
    ("allegro_discussions", {"role": "BUYER", "login": "SKLEP"}, "sklep", "Allegro issue: our own message (SKLEP)"),
    ("allegro_discussions", {}, "sklep", "Allegro issue: author unknown"),
    # eBay (E1 conversation_type)
    ("ebay", {"conversation_type": "FROM_MEMBERS", "sender": "buyer_77"}, "shop_seller", None),
    ("ebay", {"conversation_type": "FROM_EBAY", "sender": "eBay"}, "shop_seller",
     "eBay: message from eBay (FROM_EBAY)"),
    ("ebay", {"conversation_type": "FROM_EBAY", "sender": None}, None, "eBay: message from eBay (FROM_EBAY)"),
    ("ebay", {"conversation_type": "FROM_MEMBERS", "sender": "Shop_Seller"}, "shop_seller",
     "eBay: our own message (Shop_Seller)"),
    ("ebay", {"conversation_type": "FROM_MEMBERS", "sender": None}, "shop_seller",
     "eBay: author unknown (no sender or account login to compare)"),
    ("ebay", {"conversation_type": "FROM_MEMBERS", "sender": "buyer_77"}, None,
     "eBay: author unknown (no sender or account login to compare)"),
    ("ebay", {"sender": "buyer_77"}, "shop_seller", "eBay: author unknown"),
])
def test_marketplace_authors(channel, author, login, rule):
    signal = marketplace_author_signal(channel, author, account_login=login)
    if rule is None:
        assert signal is None
    else:
        assert signal == AutomaticSignal(HARD, rule)


@pytest.mark.parametrize("channel, label", [
    ("allegro_public_v1", "Allegro"), ("allegro_beta_v1", "Allegro"),
    ("allegro_discussions", "Allegro issue"), ("ebay", "eBay"),
])
def test_malformed_authors_are_never_answered(channel, label):
    for author in [None, "kupujacy_1", ["BUYER"], 42]:
        expected = AutomaticSignal(HARD, "%s: author unknown" % label)
        assert marketplace_author_signal(channel, author, account_login="sklep") == expected, author


def test_unknown_channel():
    for channel in ["amazon", "", None, "ALLEGRO_PUBLIC_V1"]:
        with pytest.raises(ValueError, match="unknown marketplace channel"):
            marketplace_author_signal(channel, {"role": "BUYER"})
