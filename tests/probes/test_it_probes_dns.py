"""DNS probe against a DNS server on loopback (tests/dns_server.py), on asyncio and uvloop."""

import asyncio
import time

import dns.asyncresolver
import dns.flags
import dns.rdatatype
import pytest

from dns_server import DnsServer, start_dns
from loopback import closed_port, has_ipv6_loopback
from upstatd.config.check import Problems
from upstatd.probes import dns as dns_probe
from upstatd.probes import dns_socket as dns_sockets
from upstatd.probes import run_probe
from upstatd.probes.dns import DnsTarget, prepare


pytestmark = pytest.mark.usefixtures("closes_dns_sockets")


@pytest.fixture
def server(dns_server: DnsServer) -> DnsServer:
    return dns_server


def target(url: str, **options) -> DnsTarget:
    problems = Problems("config.yaml")
    result = prepare(url, options or None, ("monitors", 0), problems)
    assert not problems, problems.messages()
    return result


def against(server: DnsServer, url: str, **options) -> DnsTarget:
    return target(url, nameserver=server.address, **options)


async def probe(server: DnsServer, url: str, timeout: float = 2, **options):
    return await run_probe("dns", against(server, url, **options), timeout)


# -- each record type ---------------------------------------------------------------

# type, url, owner, records as the server holds them, the normalized answers,
# answers as a user might write them (for equals), and a wrong answer
RECORDS = [
    ("A", "example.com", "example.com", ["192.0.2.1", "192.0.2.2"],
     ["192.0.2.1", "192.0.2.2"], ["192.0.2.2", "192.0.2.1"], "192.0.2.9"),
    ("AAAA", "example.com", "example.com", ["2001:DB8:0:0::1"],
     ["2001:db8::1"], ["2001:0db8::0001"], "2001:db8::2"),
    ("CNAME", "www.example.com", "www.example.com", ["Example.COM."],
     ["example.com"], ["EXAMPLE.com."], "other.example.com"),
    ("MX", "example.com", "example.com", ["10 Mail.Example.com.", "20 backup.example.com."],
     ["10 mail.example.com", "20 backup.example.com"], ["20 backup.example.com.", "10 MAIL.example.com"],
     "10 backup.example.com"),
    ("TXT", "example.com", "example.com", ['"v=spf1 " "-all"', '"hello world"'],
     ["hello world", "v=spf1 -all"], ["v=spf1 -all", "hello world"], "Hello world"),
    ("NS", "example.com", "example.com", ["ns1.example.com.", "NS2.example.com."],
     ["ns1.example.com", "ns2.example.com"], ["ns2.example.com", "ns1.example.com."], "ns3.example.com"),
    ("SOA", "example.com", "example.com",
     ["ns1.example.com. Hostmaster.example.com. 2024010101 3600 600 604800 60"],
     ["ns1.example.com hostmaster.example.com 2024010101 3600 600 604800 60"],
     ["NS1.example.com. hostmaster.example.com. 2024010101 3600 600 604800 60"],
     "ns1.example.com hostmaster.example.com 2024010102 3600 600 604800 60"),
    ("SRV", "_sip._tcp.example.com", "_sip._tcp.example.com", ["10 5 5060 SIP.example.com."],
     ["10 5 5060 sip.example.com"], ["10 5 5060 sip.example.com."], "10 5 5061 sip.example.com"),
    ("PTR", "192.0.2.1", "1.2.0.192.in-addr.arpa", ["Host.Example.com."],
     ["host.example.com"], ["host.example.com."], "other.example.com"),
    ("PTR", "2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
     ["host6.example.com."], ["host6.example.com"], ["host6.example.com"], "host.example.com"),
    ("PTR", "1.2.0.192.in-addr.arpa", "1.2.0.192.in-addr.arpa", ["host.example.com."],
     ["host.example.com"], ["host.example.com"], "other.example.com"),
    ("CAA", "example.com", "example.com", ['0 issue "letsencrypt.org"', '128 IODEF "mailto:sec@example.com"'],
     ['0 issue "letsencrypt.org"', '128 iodef "mailto:sec@example.com"'],
     ['128 iodef "mailto:sec@example.com"', "0 ISSUE letsencrypt.org"], '0 issue "pki.goog"'),
]
RECORD_IDS = [f"{row[0]}-{row[1]}" for row in RECORDS]


@pytest.mark.parametrize("rdtype, url, owner, records, answers, written, wrong", RECORDS, ids=RECORD_IDS)
async def test_each_record_type_is_asked_for_and_matches(server, rdtype, url, owner, records, answers,
                                                         written, wrong):
    server.records[(owner, rdtype)] = records
    server.records[("unrelated.example.com", "A")] = ["192.0.2.77"]
    result = await probe(server, url, record_type=rdtype, equals=written)
    assert result.ok, result
    assert result.error_kind is None
    assert result.details == {"nameserver": server.address, "transport": "udp", "rcode": "NOERROR",
                              "answers": answers}
    assert set(result.phases) == {"resolve"}
    question = server.last_query.question[0]
    assert question.name.to_text() == owner + "."
    assert question.rdtype == dns.rdatatype.from_text(rdtype)
    assert server.queries == {"udp": 1, "tcp": 0}


@pytest.mark.parametrize("rdtype, url, owner, records, answers, written, wrong", RECORDS, ids=RECORD_IDS)
async def test_each_record_type_reports_a_wrong_answer(server, rdtype, url, owner, records, answers,
                                                       written, wrong):
    server.records[(owner, rdtype)] = records
    result = await probe(server, url, record_type=rdtype, contains=[wrong])
    assert not result.ok
    assert result.error_kind == "dns_error"
    assert result.error_message == f"wrong answer: expected {wrong} among [{', '.join(answers)}]"
    assert result.details["dns_failure"] == "wrong_answer"


async def test_the_answers_of_another_type_in_the_chain_are_not_answers(server):
    server.records[("www.example.com", "CNAME")] = ["web.example.com"]
    server.records[("web.example.com", "A")] = ["192.0.2.5"]
    result = await probe(server, "www.example.com", equals=["192.0.2.5"])
    assert result.ok, result
    assert result.details["answers"] == ["192.0.2.5"]


async def test_a_name_is_asked_absolute_with_rd_and_edns(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    result = await probe(server, "Example.COM.")
    assert result.ok, result
    query = server.last_query
    assert query.question[0].name.to_text() == "example.com."
    assert query.flags & dns.flags.RD
    assert query.edns == 0 and query.payload == 1232


# -- expectations ------------------------------------------------------------------

@pytest.fixture
def four(server):
    server.records[("example.com", "A")] = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
    return server


@pytest.mark.parametrize("options", [
    {},
    {"contains": ["192.0.2.3"]},
    {"contains": ["192.0.2.4", "192.0.2.1"]},
    {"contains": "192.0.2.2"},
    {"equals": ["192.0.2.4", "192.0.2.3", "192.0.2.2", "192.0.2.1"]},
    {"equals": ["192.0.2.4", "192.0.2.3", "192.0.2.2", "192.0.2.1", "192.0.2.1"]},
    {"min_answers": 4},
    {"min_answers": 0},
    {"contains": ["192.0.2.1"], "equals": ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"], "min_answers": 2},
])
async def test_expectations_that_hold(four, options):
    result = await probe(four, "example.com", **options)
    assert result.ok, result
    assert "dns_failure" not in result.details


ALL = "[192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]"


@pytest.mark.parametrize("options, message", [
    ({"contains": ["192.0.2.9"]}, f"expected 192.0.2.9 among {ALL}"),
    ({"contains": ["192.0.2.1", "192.0.2.8", "192.0.2.9"]}, f"expected 192.0.2.8, 192.0.2.9 among {ALL}"),
    ({"equals": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]},
     f"expected exactly [192.0.2.1, 192.0.2.2, 192.0.2.3], got {ALL}"),
    ({"equals": ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"]},
     f"expected exactly [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4, 192.0.2.5], got {ALL}"),
    ({"min_answers": 5}, f"expected at least 5 answers, got 4: {ALL}"),
    ({"contains": ["192.0.2.9"], "min_answers": 5}, f"expected 192.0.2.9 among {ALL}"),
])
async def test_expectations_that_fail(four, options, message):
    result = await probe(four, "example.com", **options)
    assert (result.ok, result.error_kind, result.error_message) == (False, "dns_error", f"wrong answer: {message}")
    assert result.details["dns_failure"] == "wrong_answer"
    assert result.details["rcode"] == "NOERROR"
    assert result.details["answers"] == ALL[1:-1].split(", ")


async def test_a_name_without_records_of_the_type_is_down_unless_min_answers_is_0(server):
    server.records[("example.com", "MX")] = ["10 mail.example.com"]
    result = await probe(server, "example.com")
    assert (result.ok, result.error_kind) == (False, "dns_error")
    assert result.error_message == "wrong answer: no A records for example.com (expected at least 1)"
    assert result.details["rcode"] == "NOERROR" and result.details["answers"] == []
    assert (await probe(server, "example.com", min_answers=0)).ok
    assert (await probe(server, "example.com", equals=[])).ok
    result = await probe(server, "example.com", equals=[], record_type="MX")
    assert result.error_message == "wrong answer: expected exactly [], got [10 mail.example.com]"


async def test_details_and_messages_show_at_most_20_answers(server):
    addresses = [f"192.0.2.{n}" for n in range(1, 26)]
    server.records[("example.com", "A")] = addresses
    result = await probe(server, "example.com", contains=["192.0.2.99"])
    assert result.details["answers"] == addresses[:20]
    assert result.error_message == (f"wrong answer: expected 192.0.2.99 among "
                                    f"[{', '.join(addresses[:20])}, … (25 in all)]")


# -- response codes -------------------------------------------------------------------

async def test_nxdomain_is_a_dns_error_naming_the_name(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    result = await probe(server, "missing.example.com")
    assert (result.ok, result.error_kind) == (False, "dns_error")
    assert result.error_message == "NXDOMAIN: missing.example.com does not exist"
    assert result.details == {"nameserver": server.address, "transport": "udp", "rcode": "NXDOMAIN",
                              "answers": [], "dns_failure": "nxdomain"}


async def test_expected_nxdomain_is_up_for_a_missing_name(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    result = await probe(server, "gone.example.com", expected_rcode="NXDOMAIN")
    assert result.ok, result
    assert result.details["rcode"] == "NXDOMAIN"


async def test_expected_nxdomain_is_down_when_the_name_exists(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    result = await probe(server, "example.com", expected_rcode="nxdomain")
    assert (result.ok, result.error_kind) == (False, "dns_error")
    assert result.error_message == "wrong answer: example.com exists (NOERROR), expected NXDOMAIN"
    assert result.details["dns_failure"] == "wrong_answer"


@pytest.mark.parametrize("rcode, message, failure", [
    ("SERVFAIL", "SERVFAIL from {}", "servfail"),
    ("REFUSED", "REFUSED by {}", "refused"),
    ("NOTIMP", "NOTIMP from {}", "notimp"),
])
async def test_a_failing_server_names_itself(server, rcode, message, failure):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    server.rcode = rcode
    result = await probe(server, "example.com")
    assert (result.ok, result.error_kind) == (False, "dns_error")
    assert result.error_message == message.format(f"127.0.0.1:{server.port}")
    assert result.details["rcode"] == rcode
    assert result.details["dns_failure"] == failure


async def test_an_expected_servfail_is_up(server):
    server.rcode = "SERVFAIL"
    assert (await probe(server, "example.com", expected_rcode="SERVFAIL")).ok


# -- deadline and sockets --------------------------------------------------------------

async def test_a_silent_server_times_out_within_the_deadline_and_leaves_nothing_in_flight(server):
    server.silent = True
    started = time.perf_counter()
    result = await probe(server, "example.com", timeout=0.3)
    elapsed = time.perf_counter() - started
    assert (result.ok, result.error_kind) == (False, "timeout")
    assert result.error_message == "no answer within 300ms (during resolve)"
    assert 0.3 <= elapsed < 1
    assert result.phases["resolve"] >= 290
    assert server.queries == {"udp": 1, "tcp": 0}
    # the query left the nameserver's shared socket, which stays open for the next probe
    shared = dns_sockets.sockets()[("127.0.0.1", server.port)]
    assert shared.pending == {}
    assert server.udp_clients[0][1] == shared.sock.getsockname()[1]


async def test_a_silent_server_over_tcp_times_out_and_the_connection_is_closed(server):
    server.silent = True
    started = time.perf_counter()
    result = await probe(server, "example.com", timeout=0.3, transport="tcp")
    assert time.perf_counter() - started < 1
    assert (result.error_kind, result.error_message) == ("timeout", "no answer within 300ms (during resolve)")
    assert server.queries == {"udp": 0, "tcp": 1}
    await server.wait_tcp_closed()


async def test_a_slow_answer_within_the_deadline_is_waited_for(server):
    # no timeout of dnspython's own cuts in before the probe's deadline
    server.records[("example.com", "A")] = ["192.0.2.1"]
    server.delay = 1.1
    result = await probe(server, "example.com", timeout=3)
    assert result.ok, result
    assert result.phases["resolve"] >= 1000


# -- transports ---------------------------------------------------------------------------

async def test_a_truncated_udp_answer_is_asked_again_over_tcp(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    server.truncate_udp = True
    result = await probe(server, "example.com", contains=["192.0.2.1"])
    assert result.ok, result
    assert server.queries == {"udp": 1, "tcp": 1}
    assert result.details["transport"] == "tcp"
    assert result.details["answers"] == ["192.0.2.1"]
    await server.wait_tcp_closed()


async def test_an_answer_too_big_for_udp_comes_over_tcp(server):
    texts = [f'"{n:02d}{"x" * 200}"' for n in range(10)]  # over the 1232 bytes the query offers
    server.records[("example.com", "TXT")] = texts
    result = await probe(server, "example.com", record_type="TXT", min_answers=10)
    assert result.ok, result
    assert server.queries == {"udp": 1, "tcp": 1}
    assert result.details["transport"] == "tcp"


async def test_transport_tcp_never_uses_udp(server):
    server.records[("example.com", "A")] = ["192.0.2.1"]
    result = await probe(server, "example.com", transport="tcp")
    assert result.ok, result
    assert server.queries == {"udp": 0, "tcp": 1}
    assert result.details["transport"] == "tcp"
    await server.wait_tcp_closed()


async def test_a_refused_tcp_connection_is_a_connection_error():
    port = closed_port()
    result = await run_probe("dns", target("example.com", nameserver=f"127.0.0.1:{port}", transport="tcp"), 2)
    assert (result.ok, result.error_kind) == (False, "connection_error")
    assert result.error_message == f"connection refused by 127.0.0.1:{port}"


async def test_a_tcp_server_closing_before_the_answer_is_a_connection_error():
    async def hang_up(reader, writer):
        size = int.from_bytes(await reader.readexactly(2), "big")
        await reader.readexactly(size)  # the whole query arrived; no answer follows
        writer.close()

    listener = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    try:
        port = listener.sockets[0].getsockname()[1]
        result = await run_probe("dns", target("example.com", nameserver=f"127.0.0.1:{port}",
                                               transport="tcp"), 2)
    finally:
        listener.close()
        await listener.wait_closed()
    assert (result.ok, result.error_kind) == (False, "connection_error")
    assert result.error_message == f"connection closed by 127.0.0.1:{port} before an answer"


async def test_an_answer_that_does_not_parse_is_an_invalid_response():
    loop = asyncio.get_running_loop()

    class Garbage(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.transport = transport

        def datagram_received(self, data, addr):
            self.transport.sendto(data[:2] + b"\x81\x80\x00\x01\x00\x01", addr)  # counts, no records

    transport, _ = await loop.create_datagram_endpoint(Garbage, local_addr=("127.0.0.1", 0))
    try:
        port = transport.get_extra_info("sockname")[1]
        result = await run_probe("dns", target("example.com", nameserver=f"127.0.0.1:{port}"), 2)
    finally:
        transport.close()
    assert (result.ok, result.error_kind) == (False, "invalid_response")
    # the rest is dnspython's reason ("the DNS packet passed to from_wire() is too short")
    assert result.error_message.startswith(f"malformed answer from 127.0.0.1:{port}: the DNS packet")
    assert not result.error_message.endswith(".")


async def test_an_ipv6_nameserver():
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this host")
    server = await start_dns("::1")
    try:
        server.records[("example.com", "AAAA")] = ["2001:db8::1"]
        result = await probe(server, "example.com", record_type="AAAA", equals=["2001:db8::1"])
        assert result.ok, result
        assert result.details["nameserver"] == f"[::1]:{server.port}"
        server.rcode = "SERVFAIL"
        result = await probe(server, "example.com", record_type="AAAA", transport="tcp")
        assert result.error_message == f"SERVFAIL from [::1]:{server.port}"
        assert server.queries == {"udp": 1, "tcp": 1}
    finally:
        await server.close()


# -- the system resolver ------------------------------------------------------------------

async def test_without_a_nameserver_the_first_of_the_system_resolver_is_asked(server, monkeypatch):
    system = dns.asyncresolver.Resolver(configure=False)
    system.nameservers = ["127.0.0.1", "192.0.2.53"]
    system.nameserver_ports = {"127.0.0.1": server.port}
    monkeypatch.setattr(dns_probe, "_system", system)
    server.records[("example.com", "A")] = ["192.0.2.1"]
    result = await run_probe("dns", target("example.com"), 2)
    assert result.ok, result
    assert result.details["nameserver"] == server.address
    assert server.queries == {"udp": 1, "tcp": 0}


def test_resolv_conf_is_read_once(tmp_path, monkeypatch):
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.9\nnameserver 127.0.0.10\n")
    monkeypatch.setattr(dns_probe, "RESOLV_CONF", str(conf))
    monkeypatch.setattr(dns_probe, "_system", None)
    assert dns_probe.system_nameserver() == ("127.0.0.9", 53)
    conf.write_text("nameserver 127.0.0.11\n")
    assert dns_probe.system_nameserver() == ("127.0.0.9", 53)


async def test_no_resolv_conf_is_a_clear_dns_error(tmp_path, monkeypatch):
    missing = str(tmp_path / "resolv.conf")
    monkeypatch.setattr(dns_probe, "RESOLV_CONF", missing)
    monkeypatch.setattr(dns_probe, "_system", None)
    result = await run_probe("dns", target("example.com"), 2)
    assert (result.ok, result.error_kind) == (False, "dns_error")
    assert result.error_message == (f"no DNS server configured in {missing} "
                                    f"(set dns.nameserver on the monitor)")
    assert result.details == {"dns_failure": "no_nameserver"}
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\n")  # a later fix is picked up
    assert dns_probe.system_nameserver() == ("127.0.0.1", 53)
