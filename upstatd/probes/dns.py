"""DNS probe: one query to the system resolver or to a given nameserver, answer checked.

Config (a monitor of `type: dns`):

    url: example.com            the name to query, as a bare host name (no scheme:
                                in a `dns://host/...` URI the host would be the
                                nameserver, so that form is refused with a hint);
                                IDN names are IDNA-encoded, a trailing dot is fine.
                                For `record_type: PTR` the url may be an IP address:
                                its reverse name (…in-addr.arpa / …ip6.arpa) is asked.
    dns:
      record_type: A            A (default), AAAA, CNAME, MX, TXT, NS, SOA, SRV, PTR, CAA
      nameserver: 192.0.2.53    "ip", "ip:port" or "[v6]:port" (port 53 when absent;
                                an IPv6 address with a port needs the brackets);
                                absent: the first nameserver of /etc/resolv.conf,
                                read on first use (again after a failed read)
      transport: udp            udp (default): UDP, again over TCP when the answer is
                                truncated; tcp: TCP only
      expected_rcode: NOERROR   the response code that counts as up (NXDOMAIN
                                monitors that a name does not exist)
      contains: [...]           each of these must be among the answers
      equals: [...]             the answers must be exactly these (order and
                                duplicates do not matter)
      min_answers: 1            at least this many answers; the default is 1 when
                                expected_rcode is NOERROR (a name without records of
                                the type is down), 0 with `equals: []` or another
                                expected_rcode. `min_answers: 0` accepts an empty
                                answer (NODATA).
    contains / equals / a min_answers above 0 need expected_rcode NOERROR; a
    single answer may be written without the list; record_type, transport and
    expected_rcode are case-insensitive.

Answers are the records of the asked type in the answer section, whatever their
owner (a server following a CNAME chain puts the chain first; the chain's CNAMEs
are not answers to an A query). Each is compared as normalized text, and the
values in `contains` / `equals` are parsed as records of the type and normalized
the same way, so `2001:DB8::1` matches `2001:db8::1` and `Mail.Example.com.`
matches `mail.example.com`:

    A, AAAA      the address in its canonical form (IPv6 compressed, lower case)
    CNAME NS PTR the name, lower-cased, without the trailing dot (the root is ".")
    MX           "preference exchange":  10 mail.example.com
    SRV          "priority weight port target":  10 5 5060 sip.example.com
    SOA          "mname rname serial refresh retry expire minimum"
    CAA          'flags tag "value"' with the tag lower-cased:  0 issue "letsencrypt.org"
    TXT          the record's strings joined with nothing between them, without
                 quotes, decoded as UTF-8 (a long DKIM or SPF record split into
                 255-byte strings reads as one); compared as written, case and all

Outcomes (every DNS failure is kind dns_error, the incident taxonomy is fixed;
the message starts with a stable word and details["dns_failure"] says it for
machines):

    rcode NXDOMAIN, not expected   "NXDOMAIN: example.invalid does not exist"      nxdomain
    rcode SERVFAIL                 "SERVFAIL from 127.0.0.1:5353"                  servfail
    rcode REFUSED                  "REFUSED by 127.0.0.1:5353"                     refused
    another rcode X                "X from 127.0.0.1:5353"                         x (lower case)
    NOERROR where another rcode    "wrong answer: example.com exists (NOERROR),    wrong_answer
      was expected                  expected NXDOMAIN"
    an expectation not met         "wrong answer: expected 192.0.2.1 among          wrong_answer
                                    [192.0.2.7]" (see _check_answers)
    no answer in time              kind timeout, from run_probe (the one deadline)
    TCP refused, network errors    kind connection_error (a closed UDP port is
                                   silent, so it ends as a timeout)
    an answer that does not parse  kind invalid_response

The time goes to the "resolve" phase (DNS has no connect phase).
phases.details: rcode, answers (sorted, addresses by value; the first 20), transport (the one that carried
the answer: "tcp" after a truncated UDP answer), nameserver, and dns_failure.

Transport. Over UDP every monitor asking one nameserver shares that
nameserver's socket (dns_socket: one per address and port, opened on first
use, closed at stop), and the query is built once, at prepare time, each
probe sending it under a fresh random id. The answer is read as far as the
monitor needs (_lean_answers: the rcode and A / AAAA addresses straight from
the wire); dnspython parses what that reading does not say exactly (other
record types, extended rcodes, anything malformed) and carries TCP, for
`transport: tcp` and for a truncated UDP answer, on a connection per query.

No timeout of its own is given to dnspython: run_probe's deadline cancels the
query (its UDP query leaves the shared table, a TCP socket is closed by
dnspython's context managers).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.reversename
import msgspec
from msgspec.structs import force_setattr

from upstatd.config.check import Invalid, Path, Problems, block, integer, take, type_name
from upstatd.probes import dns_socket as dns_sockets
from upstatd.probes.dns_socket import close, open  # noqa: F401  (the registry's open/close)
from upstatd.probes.resolve import ip_literal
from upstatd.probes.result import ProbeResult, Phases
from upstatd.probes.tcp import format_address, normalize_host

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "SRV", "PTR", "CAA")
RCODES = ("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
          "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE")
TRANSPORTS = ("udp", "tcp")
OPTION_KEYS = ("record_type", "nameserver", "transport", "expected_rcode", "contains", "equals",
               "min_answers")
URL_SCHEMA = {"pattern": r"^[^\s/]+$", "maxLength": 253,
              "description": "The name to look up, like example.com (an IP address for record_type PTR)"}
MAX_SHOWN = 20          # answers kept in details and shown in a message
EDNS_PAYLOAD = 1232     # the UDP size DNS flag day 2020 settled on; larger answers come over TCP
RESOLV_CONF = "/etc/resolv.conf"

# the form of a value in contains/equals, for the error when one does not parse
_VALUE_FORMS = {
    "A": "an IPv4 address",
    "AAAA": "an IPv6 address",
    "CNAME": "a host name",
    "NS": "a host name",
    "PTR": "a host name",
    "MX": "'preference host', like '10 mail.example.com'",
    "SRV": "'priority weight port target', like '10 5 5060 sip.example.com'",
    "SOA": "'mname rname serial refresh retry expire minimum'",
    "CAA": "'flags tag value', like '0 issue \"letsencrypt.org\"'",
}


class DnsTarget(msgspec.Struct, frozen=True):
    name: str                       # query name: lower case, IDNA, no trailing dot
    record_type: str                # one of RECORD_TYPES
    nameserver: str | None          # IP address (no brackets); None: the system resolver
    port: int                       # the nameserver's port (53 for the system resolver's default)
    transport: str                  # "udp" (TCP on truncation) or "tcp"
    expected_rcode: str             # one of RCODES
    contains: tuple[str, ...]       # normalized answers that must all be present
    equals: tuple[str, ...] | None  # normalized answer set, as written (order kept for messages)
    min_answers: int
    # the UDP query's wire form after its 16-bit id, and its question section: built once here,
    # each probe sends them under a fresh id (derived from the fields above, so equal targets
    # stay equal)
    query: bytes = b""
    question: bytes = b""
    server: str = ""  # the nameserver as messages and details show it ("" for the system resolver)

    def __post_init__(self) -> None:
        wire = dns.message.make_query(self.name + ".", self.record_type, use_edns=0,
                                      payload=EDNS_PAYLOAD).to_wire()
        end = _skip_name(wire, 12) + 4  # the name, then type and class
        force_setattr(self, "query", wire[2:])
        force_setattr(self, "question", wire[12:end - 4].lower() + wire[end - 4:end])
        if self.nameserver is not None:
            force_setattr(self, "server", format_address((self.nameserver, self.port)))


# -- config ----------------------------------------------------------------------

def prepare(url: Any, options: Any, path: Path, problems: Problems) -> DnsTarget | None:
    before = len(problems.items)
    where = path + ("dns",)
    opts = block(options, where, problems, known=OPTION_KEYS)
    if opts is None:
        opts = {}
    # None: record_type is given but wrong (its error is filed); the checks that
    # depend on the type are skipped then rather than run against a guess
    record_type = take(opts, "record_type", _record_type, where, problems, None)
    if opts.get("record_type") is None:
        record_type = "A"
    name = None
    try:
        name = _query_name(url, record_type)
    except Invalid as exc:
        problems.add(path + ("url",), str(exc))
    nameserver, port = take(opts, "nameserver", parse_nameserver, where, problems, (None, 53))
    transport = take(opts, "transport", _transport, where, problems, "udp")
    expected_rcode = take(opts, "expected_rcode", _rcode, where, problems, "NOERROR")
    contains = take(opts, "contains", _answers(record_type), where, problems, [])
    equals = take(opts, "equals", _answers(record_type, empty_ok=True), where, problems, None)
    min_answers = take(opts, "min_answers", integer(min=0), where, problems, None)
    if expected_rcode != "NOERROR":
        # an answer with another rcode has no records to compare or count
        for key in ("contains", "equals", "min_answers"):
            if opts.get(key) is not None and (key != "min_answers" or min_answers):
                problems.add(where + (key,), f"only applies with expected_rcode NOERROR, not {expected_rcode}")
    elif equals is not None and min_answers is not None and min_answers > len(equals):
        problems.add(where + ("min_answers",), f"can never be met: equals lists {len(equals)} "
                                               f"answer{'' if len(equals) == 1 else 's'}")
    if len(problems.items) != before or name is None:
        return None
    if min_answers is None:
        min_answers = 1 if expected_rcode == "NOERROR" and equals != [] else 0
    return DnsTarget(name, record_type, nameserver, port, transport, expected_rcode,
                     tuple(contains), None if equals is None else tuple(equals), min_answers)


def _query_name(url: Any, record_type: str | None) -> str | None:
    if not isinstance(url, str):
        raise Invalid(f"must be a string, got {type_name(url)}")
    if not url:
        raise Invalid("must not be empty")
    if "://" in url or "/" in url:
        raise Invalid(f"must be a host name like example.com (a nameserver goes in dns.nameserver), "
                      f"got '{url}'")
    ip = ip_literal(url)
    if ip is not None:
        if record_type is None:
            return None
        if record_type != "PTR":
            raise Invalid(f"must be a host name, got the IP address '{url}' "
                          f"(record_type PTR looks up its reverse name)")
        address = str(ip).split("%")[0]  # a scope (fe80::1%eth0) is not part of the reverse name
        return dns.reversename.from_address(address).to_text(omit_final_dot=True)
    host = normalize_host(url[:-1] if url.endswith(".") and url != "." else url, url, "a host name")
    try:
        dns.name.from_text(host)
    except dns.exception.DNSException:  # over 255 octets in all
        raise Invalid(f"'{url}' is not a valid host name") from None
    return host


def parse_nameserver(value: Any) -> tuple[str, int]:
    """(address, port) of "192.0.2.53", "192.0.2.53:5353", "2001:db8::53" or "[2001:db8::53]:5353"."""
    hint = "must be an IP address with an optional port, like 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:5353"
    if not isinstance(value, str):
        raise Invalid(f"{hint}, got {type_name(value)}")
    ip = ip_literal(value) if not value.startswith("[") else None
    if ip is not None:
        return str(ip), 53
    if value.startswith("["):
        end = value.find("]")
        host, rest = value[1:end], value[end + 1:]
        ip = ip_literal(host) if end > 0 else None
        if ip is None or ip.version != 6 or (rest and not rest.startswith(":")):
            raise Invalid(f"{hint}, got '{value}'")
        port_text = rest[1:] if rest else None
    else:
        host, _, port_text = value.rpartition(":")
        ip = ip_literal(host) if host else None
        if ip is None or ip.version != 4:
            raise Invalid(f"{hint}, got '{value}'")
    if port_text is None:
        return str(ip), 53
    if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise Invalid(f"port must be 1-65535, got '{port_text}'")
    return str(ip), int(port_text)


def _upper_choice(options: tuple[str, ...]):
    def parse(value: Any) -> str:
        if isinstance(value, str) and value.upper() in options:
            return value.upper()
        shown = f"'{value}'" if isinstance(value, str) else type_name(value)
        raise Invalid(f"must be one of {', '.join(options)}, got {shown}")
    return parse


_record_type = _upper_choice(RECORD_TYPES)
_rcode = _upper_choice(RCODES)


def _transport(value: Any) -> str:
    if isinstance(value, str) and value.lower() in TRANSPORTS:
        return value.lower()
    shown = f"'{value}'" if isinstance(value, str) else type_name(value)
    raise Invalid(f"must be udp (TCP when truncated) or tcp, got {shown}")


def _answers(record_type: str | None, empty_ok: bool = False):
    """A parser for a list of expected answers, normalized like the answers of record_type."""
    def parse(value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]  # one answer written without a list
        if not isinstance(value, list):
            raise Invalid(f"must be a list of answers, got {type_name(value)}")
        if not value and not empty_ok:
            raise Invalid("must not be empty")
        out: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise Invalid(f"must be a string, got {type_name(item)}", at=(index,))
            item = str(item)
            if not item:
                raise Invalid("must not be empty", at=(index,))
            if record_type is None:
                continue  # record_type is wrong itself: that one error is enough
            try:
                normalized = normalize_text(record_type, item)
            except ValueError:
                raise Invalid(f"'{item}' is not a valid {record_type} answer: use {_VALUE_FORMS[record_type]}",
                              at=(index,)) from None
            if normalized not in out:
                out.append(normalized)
        return out
    return parse


# -- answers as text ---------------------------------------------------------------

def _name(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


def normalize(rdata: dns.rdata.Rdata) -> str:
    """One answer as the text `contains` / `equals` are compared with (see the module doc)."""
    rdtype = rdata.rdtype
    if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return str(ipaddress.ip_address(rdata.address))
    if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
        return _name(rdata.target)
    if rdtype == dns.rdatatype.MX:
        return f"{rdata.preference} {_name(rdata.exchange)}"
    if rdtype == dns.rdatatype.SRV:
        return f"{rdata.priority} {rdata.weight} {rdata.port} {_name(rdata.target)}"
    if rdtype == dns.rdatatype.SOA:
        return (f"{_name(rdata.mname)} {_name(rdata.rname)} {rdata.serial} {rdata.refresh} "
                f"{rdata.retry} {rdata.expire} {rdata.minimum}")
    if rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode("utf-8", "replace")
    if rdtype == dns.rdatatype.CAA:
        text = rdata.to_text()  # flags tag "value", the value escaped
        flags, tag, value = text.split(" ", 2)
        return f"{flags} {tag.lower()} {value}"
    return rdata.to_text()


def normalize_text(record_type: str, text: str) -> str:
    """An expected answer from the config in normalized form; ValueError when it does not parse."""
    if record_type == "TXT":
        return text
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(record_type), text,
                                    origin=dns.name.root)
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        raise ValueError(str(exc)) from None
    return normalize(rdata)


def show(answers: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(answers[:MAX_SHOWN])
    if len(answers) > MAX_SHOWN:
        shown += f", … ({len(answers)} in all)"
    return f"[{shown}]"


# -- probe -----------------------------------------------------------------------

_system: dns.asyncresolver.Resolver | None = None


def system_nameserver() -> tuple[str, int]:
    """The first nameserver of /etc/resolv.conf, read once (again after a failed read)."""
    global _system
    if _system is None:
        try:
            _system = dns.asyncresolver.Resolver(filename=RESOLV_CONF)
        except dns.resolver.NoResolverConfiguration:
            raise _Failed(f"no DNS server configured in {RESOLV_CONF} "
                          "(set dns.nameserver on the monitor)", "no_nameserver") from None
    first = _system.nameservers[0]
    if isinstance(first, str):
        return first, _system.nameserver_ports.get(first, _system.port)
    address, port = getattr(first, "address", None), getattr(first, "port", None)
    if address is None or port is None:  # DoH and friends: not what a resolv.conf can say
        raise _Failed(f"the system's first DNS server {first} is not a plain DNS server "
                      f"(set dns.nameserver on the monitor)", "no_nameserver")
    return address, port


class _Failed(Exception):
    def __init__(self, message: str, failure: str) -> None:
        super().__init__(message)
        self.message = message
        self.failure = failure


async def probe(target: DnsTarget, phases: Phases) -> ProbeResult:
    phases.enter("resolve")
    details = phases.details
    if target.nameserver is None:
        try:
            address, port = system_nameserver()
        except _Failed as exc:
            details["dns_failure"] = exc.failure
            return phases.failure("dns_error", exc.message)
        server = format_address((address, port))
    else:
        address, port, server = target.nameserver, target.port, target.server
    details["nameserver"] = server
    try:
        if target.transport == "udp":
            response = await _ask_udp(target, address, port)
            used_tcp = response is None
        if target.transport == "tcp" or response is None:  # TCP only, or a truncated UDP answer
            query = dns.message.make_query(target.name + ".", target.record_type, use_edns=0,
                                           payload=EDNS_PAYLOAD)
            response = await dns.asyncquery.tcp(query, address, timeout=None, port=port)
            used_tcp = True
    except EOFError:
        return phases.failure("connection_error", f"connection closed by {server} before an answer")
    except ConnectionRefusedError:
        return phases.failure("connection_error", f"connection refused by {server}")
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return phases.failure("connection_error", f"could not reach {server}: {reason[0].lower()}{reason[1:]}")
    except dns.exception.DNSException as exc:
        # FormError, BadResponse (an answer to another question), trailing junk, ...
        reason = str(exc).rstrip(".") or type(exc).__name__
        return phases.failure("invalid_response", f"malformed answer from {server}: {reason[0].lower()}{reason[1:]}")
    details["transport"] = "tcp" if used_tcp else "udp"
    if isinstance(response, tuple):  # the lean reading of a UDP answer
        rcode, answers = response
    else:
        rcode = dns.rcode.to_text(response.rcode())
        answers = _answers_of(response, target.record_type)
    details["rcode"] = rcode
    details["answers"] = answers[:MAX_SHOWN]
    if rcode != target.expected_rcode:
        return _rcode_failure(phases, target, rcode, server)
    problem = _check_answers(target, answers)
    if problem:
        details["dns_failure"] = "wrong_answer"
        return phases.failure("dns_error", f"wrong answer: {problem}")
    return phases.success()


async def _ask_udp(target: DnsTarget, address: str, port: int) -> tuple[str, list[str]] | dns.message.Message | None:
    """The answer over the nameserver's shared UDP socket: (rcode, answers) where the lean
    reading can say them exactly, else dnspython's message; None when it is truncated.
    Raises OSError (not sent) or DNSException (the answer does not parse)."""
    dns_socket = dns_sockets.socket_for(address, port)
    qid, query = dns_socket.send(target.query, target.question)
    try:
        wire = await query.waiter
    finally:
        dns_socket.forget(qid, query)
    if len(wire) >= 12 and wire[2] & 0x02:  # TC: ask again over TCP
        return None
    lean = _lean_answers(wire, target.record_type)
    if lean is not None:
        return lean
    # everything the lean reading does not say exactly, malformed answers included
    return dns.message.from_wire(wire, raise_on_truncation=True)


# -- the lean reading of an answer ---------------------------------------------------

_RCODE_TEXT = tuple(dns.rcode.to_text(code) for code in range(16))
# record type -> (type code, rdata length read here; 0: dnspython reads the records)
_LEAN_TYPES = {name: (int(dns.rdatatype.from_text(name)), {"A": 4, "AAAA": 16}.get(name, 0))
               for name in RECORD_TYPES}
_OPT = 41


def _skip_name(wire: bytes, pos: int) -> int:
    """Where the (possibly compressed) name at pos ends; IndexError or ValueError when it is cut
    short or not plain labels."""
    while True:
        length = wire[pos]
        if length == 0:
            return pos + 1
        if length >= 0xC0:  # a pointer ends the name
            if pos + 2 > len(wire):
                raise IndexError(pos)
            return pos + 2
        if length > 63:
            raise ValueError(length)  # an extended label type: for dnspython to judge
        pos += 1 + length


def _lean_answers(wire: bytes, record_type: str) -> tuple[str, list[str]] | None:
    """(rcode, answers as normalized text) read from the wire without building a message,
    for A and AAAA answers and for answers without records of the asked type; None for
    anything else (another type's records, an extended rcode, anything odd), which goes to
    dnspython. Walks every section, so a cut or overlong message is not taken as good."""
    try:
        asked, size = _LEAN_TYPES[record_type]
        counts = wire[4:12]
        qdcount = (counts[0] << 8) | counts[1]
        records = ((counts[2] << 8) | counts[3], (counts[4] << 8) | counts[5], (counts[6] << 8) | counts[7])
        pos = 12
        for _ in range(qdcount):
            pos = _skip_name(wire, pos) + 4
        found: list[bytes] = []
        opt_seen = False
        for section, count in enumerate(records):
            for _ in range(count):
                pos = _skip_name(wire, pos)
                header = wire[pos:pos + 10]
                if len(header) < 10:
                    return None
                rdtype, rdclass = (header[0] << 8) | header[1], (header[2] << 8) | header[3]
                end = pos + 10 + ((header[8] << 8) | header[9])
                if end > len(wire):
                    return None
                if section == 0 and rdtype == asked and rdclass == 1:
                    if not size or end - pos - 10 != size:
                        return None  # another type's records, or a broken one: dnspython's to read
                    rdata = wire[pos + 10:end]
                    if rdata not in found:
                        found.append(rdata)
                elif section == 2 and rdtype == _OPT:
                    if opt_seen or header[4]:  # two OPTs, or an extended rcode
                        return None
                    opt_seen = True
                pos = end
        if pos != len(wire) or qdcount > 1:
            return None
    except (IndexError, ValueError):
        return None
    found.sort()  # by value, as the addresses' order (servers rotate it)
    if record_type == "A":
        answers = [socket.inet_ntop(socket.AF_INET, rdata) for rdata in found]
    else:
        answers = [str(ipaddress.IPv6Address(rdata)) for rdata in found]
    return _RCODE_TEXT[wire[3] & 0x0F], answers


def _answers_of(response: dns.message.Message, record_type: str) -> list[str]:
    rdtype = dns.rdatatype.from_text(record_type)
    out: list[str] = []
    for rrset in response.answer:
        if rrset.rdtype == rdtype and rrset.rdclass == dns.rdataclass.IN:
            for rdata in rrset:
                text = normalize(rdata)
                if text not in out:
                    out.append(text)
    # sorted: servers rotate the order, and a message that changes with it would
    # read as a new error on every check (addresses by value, the rest as text)
    if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        out.sort(key=ipaddress.ip_address)
    else:
        out.sort()
    return out


def _rcode_failure(phases: Phases, target: DnsTarget, rcode: str, server: str) -> ProbeResult:
    if rcode == "NOERROR":
        phases.details["dns_failure"] = "wrong_answer"
        return phases.failure("dns_error", f"wrong answer: {target.name} exists (NOERROR), "
                                           f"expected {target.expected_rcode}")
    phases.details["dns_failure"] = rcode.lower()
    if rcode == "NXDOMAIN":
        return phases.failure("dns_error", f"NXDOMAIN: {target.name} does not exist")
    if rcode == "REFUSED":
        return phases.failure("dns_error", f"REFUSED by {server}")
    return phases.failure("dns_error", f"{rcode} from {server}")


def _check_answers(target: DnsTarget, answers: list[str]) -> str | None:
    """What is wrong with the answers (the message after "wrong answer: "), or None.

    contains first, then equals, then min_answers: the first one not met is reported.
    """
    missing = [item for item in target.contains if item not in answers]
    if missing:
        return f"expected {', '.join(missing)} among {show(answers)}"
    if target.equals is not None and set(target.equals) != set(answers):
        return f"expected exactly {show(target.equals)}, got {show(answers)}"
    if len(answers) < target.min_answers:
        if not answers:
            return f"no {target.record_type} records for {target.name} (expected at least {target.min_answers})"
        return f"expected at least {target.min_answers} answers, got {len(answers)}: {show(answers)}"
    return None


def options_schema() -> dict:
    """The `dns` block's JSON Schema (the OpenAPI document). contains, equals and min_answers
    check the answers of a NOERROR reply only."""
    answers = {"type": "array", "items": {"type": "string", "minLength": 1}}
    return {"type": "object", "additionalProperties": False, "properties": {
        "record_type": {"enum": list(RECORD_TYPES)},
        "nameserver": {"type": "string", "minLength": 1, "pattern": r"^[0-9A-Fa-f.:\[\]]+$",
                       "description": "An IP address, with :port if not 53 ([v6]:port)"},
        "transport": {"enum": list(TRANSPORTS)},
        "expected_rcode": {"enum": list(RCODES)},
        "contains": {**answers, "minItems": 1}, "equals": answers,
        "min_answers": {"type": "integer", "minimum": 0}},
        "if": {"required": ["expected_rcode"], "properties": {"expected_rcode": {"not": {"const": "NOERROR"}}}},
        "then": {"properties": {"contains": False, "equals": False, "min_answers": {"const": 0}}}}
