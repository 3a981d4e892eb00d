"""An answer counts only if it comes from the nameserver's address and port, carries the
query's id and repeats its question; every other datagram is dropped and counted."""

import asyncio
import socket

import dns.flags
import dns.message
import pytest

from dns_server import a_answer, start_udp
from upstatd.config.check import Problems
from upstatd.probes import dns_socket as dns_sockets
from upstatd.probes import run_probe
from upstatd.probes.dns import prepare


pytestmark = pytest.mark.usefixtures("closes_dns_sockets")


def target(port: int, **options):
    problems = Problems("config.yaml")
    result = prepare("example.com", {"nameserver": f"127.0.0.1:{port}", **options}, ("monitors", 0), problems)
    assert not problems, problems.messages()
    return result


def with_id(wire: bytes, qid: int) -> bytes:
    return qid.to_bytes(2, "big") + wire[2:]


async def test_wrong_id_wrong_source_and_wrong_question_are_dropped_and_the_right_answer_taken():
    spoofer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    spoofer.bind(("127.0.0.1", 0))

    def strays_then_the_answer(data, addr, transport):
        query = dns.message.from_wire(data)
        right = a_answer(query, "192.0.2.1").to_wire()
        transport.sendto(with_id(a_answer(query, "192.0.2.66").to_wire(), query.id ^ 0x5A5A), addr)  # wrong id
        spoofer.sendto(a_answer(query, "192.0.2.66").to_wire(), addr)                     # another port
        transport.sendto(a_answer(query, "192.0.2.66", name="other.example.").to_wire(), addr)  # question
        not_a_response = a_answer(query, "192.0.2.66")
        not_a_response.flags &= ~dns.flags.QR
        transport.sendto(not_a_response.to_wire(), addr)                                 # QR not set
        transport.sendto(right[:2] + b"\xff" * 40, addr)                                 # garbage, its id
        transport.sendto(with_id(b"\x00" * 30, query.id ^ 1), addr)                      # garbage, wrong id
        transport.sendto(right, addr)
        transport.sendto(right, addr)                                                    # a late duplicate

    transport, port = await start_udp(strays_then_the_answer)
    try:
        result = await run_probe("dns", target(port, equals=["192.0.2.1"]), 2)
        await asyncio.sleep(0.05)  # the duplicate and whatever followed are read too
    finally:
        transport.close()
        spoofer.close()
    assert result.ok, result
    assert result.details["answers"] == ["192.0.2.1"]
    shared = dns_sockets.sockets()[("127.0.0.1", port)]
    # garbage with the query's id but a question that does not match is a stray too
    assert (shared.answers, shared.ignored, shared.pending) == (1, 7, {})


async def test_the_question_is_matched_without_regard_to_case():
    def shouting(data, addr, transport):
        query = dns.message.from_wire(data)
        transport.sendto(a_answer(query, "192.0.2.1", name="EXAMPLE.Com.").to_wire(), addr)

    transport, port = await start_udp(shouting)
    try:
        result = await run_probe("dns", target(port), 2)
    finally:
        transport.close()
    assert result.ok, result


async def test_an_answer_to_another_type_is_dropped():
    def aaaa_question(data, addr, transport):
        query = dns.message.from_wire(data)
        response = a_answer(query, "192.0.2.1")
        response.question[0].rdtype = dns.rdatatype.AAAA
        transport.sendto(response.to_wire(), addr)

    transport, port = await start_udp(aaaa_question)
    try:
        result = await run_probe("dns", target(port), 0.3)
    finally:
        transport.close()
    assert result.error_kind == "timeout"
    assert dns_sockets.sockets()[("127.0.0.1", port)].ignored == 1


async def test_a_servfail_without_the_question_is_an_answer():
    def bare_servfail(data, addr, transport):
        transport.sendto(data[:2] + b"\x81\x82" + b"\x00" * 8, addr)  # QR RD RA, SERVFAIL, no sections

    transport, port = await start_udp(bare_servfail)
    try:
        result = await run_probe("dns", target(port), 2)
    finally:
        transport.close()
    assert (result.error_kind, result.error_message) == ("dns_error", f"SERVFAIL from 127.0.0.1:{port}")


@pytest.mark.parametrize("cut", ["in the answer's rdata", "with trailing junk", "with a bad label"])
async def test_a_malformed_answer_to_the_query_is_an_invalid_response_in_dnspythons_words(cut):
    def broken(data, addr, transport):
        wire = a_answer(dns.message.from_wire(data), "192.0.2.1").to_wire()
        if cut == "in the answer's rdata":
            wire = wire[:-2]
        elif cut == "with trailing junk":
            wire += b"\x00\x00\x00"
        else:  # the answer's owner: a label length beyond the message
            at = wire.rindex(b"\xc0\x0c")
            wire = wire[:at] + b"\x3f" + wire[at + 1:]
        transport.sendto(wire, addr)

    transport, port = await start_udp(broken)
    try:
        result = await run_probe("dns", target(port), 2)
    finally:
        transport.close()
    assert (result.ok, result.error_kind) == (False, "invalid_response"), result
    assert result.error_message.startswith(f"malformed answer from 127.0.0.1:{port}: ")
