"""The email sender against a real SMTP server on loopback (aiosmtpd): the
mail has the message's subject, a text part and an HTML part; STARTTLS with
a login works against a test CA; a refused recipient (550) is given up, a
busy one (451) and a closed port are retried; nothing raises."""

from __future__ import annotations

import asyncio
import ssl
import time

import pytest
from alertkit import SmtpServer, facts
from loopback import closed_port, make_test_pki, server_tls_context

from upstatd.alerts.email import EmailChannel
from upstatd.alerts.message import render

PUBLIC = "https://status.example"


def channel(port: int, **changes) -> EmailChannel:
    options = dict(host="127.0.0.1", port=port, security="none", sender="upstatd <alerts@upstatd.test>",
                   to=["ops@example.test", "oncall@example.test"], timeout=5.0)
    options.update(changes)
    return EmailChannel(**options)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("pki"))


async def test_the_outage_mail_has_a_text_and_an_html_part(smtp):
    message = render(facts(name="shop <frontend>"), PUBLIC)
    attempt = await channel(smtp.port).send(message)
    assert attempt.ok and attempt.error is None and attempt.status_code == 250, attempt
    [mail] = smtp.mails
    assert mail.sender == "alerts@upstatd.test"
    assert mail.recipients == ["ops@example.test", "oncall@example.test"]
    assert mail.message["Subject"] == "[DOWN] monitor shop <frontend> is down (timeout)"
    assert mail.message["To"] == "ops@example.test, oncall@example.test"
    assert mail.message["X-Upstatd-Incident"] == "inc_7Hq2"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.message.iter_parts()] == ["text/plain", "text/html"]
    assert mail.part("plain").replace("\r\n", "\n") == message.text
    assert "shop &lt;frontend&gt;" in mail.part("html") and "timeout: no answer within 10s" in mail.part("html")
    assert not mail.tls


async def test_the_recovery_mail_says_how_long_it_was_down(smtp):
    message = render(facts(reason="resolved", resolved_at=facts().started_at + 3720), PUBLIC)
    assert (await channel(smtp.port).send(message)).ok
    [mail] = smtp.mails
    assert mail.message["Subject"] == "[RECOVERED] monitor shop frontend is up again after 1h 2m"
    assert "down for 1h 2m" in mail.part("plain") and "down for 1h 2m" in mail.part("html")


async def test_starttls_with_a_login(pki):
    server = await SmtpServer(tls_context=server_tls_context(*pki.valid)).start()
    try:
        client_tls = ssl.create_default_context(cafile=str(pki.ca))
        sender = channel(server.port, security="starttls", username="alerts", password="s3cret",
                         tls_context=client_tls, host="localhost")
        attempt = await sender.send(render(facts(), PUBLIC))
        assert attempt.ok, attempt
        [mail] = server.mails
        assert mail.tls and mail.login == "alerts"
        assert mail.message["Subject"].startswith("[DOWN] monitor shop frontend")

        wrong = channel(server.port, security="starttls", username="alerts", password="nope",
                        tls_context=client_tls, host="localhost")
        failed = await wrong.send(render(facts(), PUBLIC))
        assert not failed.ok and failed.status_code == 535 and failed.retry is False, failed
        assert "nope" not in failed.error and "nope" not in repr(wrong)

        untrusted = await channel(server.port, security="starttls", host="localhost").send(render(facts(), PUBLIC))
        assert not untrusted.ok and untrusted.retry is True and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        assert len(server.mails) == 1
    finally:
        await server.close()


async def test_starttls_asked_of_a_server_without_it_is_given_up(smtp):
    attempt = await channel(smtp.port, security="starttls").send(render(facts(), PUBLIC))
    assert not attempt.ok and attempt.retry is False and "STARTTLS" in attempt.error, attempt
    assert smtp.mails == []


async def test_a_refused_recipient_is_given_up(smtp):
    attempt = await channel(smtp.port, to=["nobody@example.test"]).send(render(facts(), PUBLIC))
    assert not attempt.ok and attempt.retry is False and attempt.status_code == 550, attempt
    assert "nobody@example.test: 550 5.1.1 no such mailbox" in attempt.error
    assert smtp.mails == []


async def test_a_busy_recipient_is_retried(smtp):
    attempt = await channel(smtp.port, to=["busy@example.test"]).send(render(facts(), PUBLIC))
    assert not attempt.ok and attempt.retry is True and attempt.status_code == 451, attempt


async def test_one_refused_recipient_among_others_is_named_and_the_rest_get_it(smtp):
    attempt = await channel(smtp.port, to=["ops@example.test", "nobody@example.test"]).send(render(facts(), PUBLIC))
    assert attempt.ok and "nobody@example.test: 550" in attempt.error, attempt
    [mail] = smtp.mails
    assert mail.recipients == ["ops@example.test"]


async def test_a_closed_port_is_retried():
    started = time.monotonic()
    attempt = await channel(closed_port()).send(render(facts(), PUBLIC))
    assert not attempt.ok and attempt.retry is True and attempt.status_code is None, attempt
    assert attempt.error
    assert time.monotonic() - started < 2


async def test_a_silent_server_times_out_and_is_retried():
    async def silent(reader, writer):  # accepts, never greets
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        started = time.monotonic()
        attempt = await channel(server.sockets[0].getsockname()[1], timeout=0.3).send(render(facts(), PUBLIC))
        assert not attempt.ok and attempt.retry is True and "0.3s" in attempt.error, attempt
        assert time.monotonic() - started < 1.5
    finally:
        server.close()


def test_a_channel_without_recipients_or_with_an_unknown_security_is_refused():
    with pytest.raises(ValueError, match="recipient"):
        EmailChannel(host="127.0.0.1", sender="a@b.test", to=[])
    with pytest.raises(ValueError, match="security"):
        EmailChannel(host="127.0.0.1", sender="a@b.test", to=["c@d.test"], security="ssl")
