"""TLS: client contexts, the peer certificate's expiry, and the `tls` probe type.

The `tls` probe connects to any host:port, does the handshake (phases resolve,
connect, tls), reads the certificate's notAfter, judges it and closes. The
HTTP probe uses the same contexts, handshake and judgement for https.

The expiry comes from the probe's own handshake, as DER: `getpeercert()`
gives a parsed dict only when the chain was verified, `binary_form=True`
always works, and Python has no public DER parser, so `certificate_validity`
walks the few fields in front of `validity` itself (no dependency).
"""

from __future__ import annotations

import asyncio
import calendar
import os
import re
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

import msgspec

from upstatd.config.check import Invalid, Path, Problems, block, boolean, integer, take, text, type_name
from upstatd.probes.resolve import ip_literal, resolve
from upstatd.probes.result import ProbeError, ProbeResult, Phases
from upstatd.probes.tcp import connect, normalize_host, split_host_port

OPTION_KEYS = ("verify", "server_name", "tls_expiry_days", "ip_version", "ca_file")
URL_SCHEMA = {"pattern": r"^tls://[^\s/?#@]+(:[0-9]{1,5})?/?$", "description": "tls://host:port (port 443 by default)"}
DEFAULT_EXPIRY_DAYS = 14
DEFAULT_PORT = 443
DAY = 86400.0


class CaFile(msgspec.Struct, frozen=True):
    """A PEM bundle that replaces the system trust store for one monitor."""
    path: str
    stamp: int  # mtime_ns when the config was read: an edited file makes a new target and context


class TlsTarget(msgspec.Struct, frozen=True):
    host: str          # name or IP literal, without brackets: what gets resolved
    port: int
    server_name: str   # SNI and the name the certificate must be valid for
    verify: bool
    ca_file: CaFile | None
    expiry_days: int   # warn (degraded) this many days before expiry; 0: never
    family: int        # socket.AF_INET, AF_INET6 or 0 for any


# -- config ----------------------------------------------------------------------

def prepare(url: Any, options: Any, path: Path, problems: Problems) -> TlsTarget | None:
    before = len(problems.items)
    where = path + ("tls",)
    opts = block(options, where, problems, known=OPTION_KEYS)
    host = port = None
    try:
        host, port = parse_url(url)
    except Invalid as exc:
        problems.add(path + ("url",), str(exc))
    if opts is None:
        return None
    verify = take(opts, "verify", boolean, where, problems, True)
    server_name = take(opts, "server_name", parse_server_name, where, problems, None)
    expiry_days = take(opts, "tls_expiry_days", parse_expiry_days, where, problems, DEFAULT_EXPIRY_DAYS)
    family = take(opts, "ip_version", parse_ip_version, where, problems, 0)
    ca_file = take(opts, "ca_file", parse_ca_file, where, problems, None)
    if len(problems.items) != before:
        return None
    warm_context(verify, ca_file)
    return TlsTarget(host=host, port=port, server_name=server_name or host, verify=verify,
                     ca_file=ca_file, expiry_days=expiry_days, family=family)


def parse_url(url: Any) -> tuple[str, int]:
    form = "tls://host:port"
    if not isinstance(url, str):
        raise Invalid(f"must be a string, got {type_name(url)}")
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # unbalanced brackets
        raise Invalid(f"must be {form}, got '{url}'") from None
    if parts.scheme.lower() != "tls" or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise Invalid(f"must be {form}, got '{url}'")
    host, port = split_host_port(parts.netloc, url, form)
    return host, port or DEFAULT_PORT


# parsers shared with the http: block

def parse_server_name(value: Any) -> str:
    name = text(max_len=253)(value)
    ip = ip_literal(name)
    if ip is not None:
        return str(ip)
    return normalize_host(name, name, "a host name")


parse_expiry_days = integer(0, 3650)

_IP_VERSIONS = {"auto": 0, "4": socket.AF_INET, "6": socket.AF_INET6}

# The JSON Schemas of the options above (the OpenAPI document's monitor type blocks): what
# JSON Schema can say of them; what it cannot is in docs/api.md (OpenAPI: what the document
# cannot say).
IP_VERSION_SCHEMA = {"enum": ["auto", "4", "6", 4, 6], "description": "auto, 4 or 6"}
CA_FILE_SCHEMA = {"type": "string", "pattern": "^/", "maxLength": 4096,
                  "description": "Absolute path of a readable PEM file of CA certificates on the daemon's host"}
EXPIRY_DAYS_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 3650,
                      "description": "Degraded this many days before the certificate expires; 0: never"}
HOST_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 253, "pattern": "^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$",
               "description": "A host name or IP address"}


def parse_ip_version(value: Any) -> int:
    """auto, 4 or 6 (number or string) -> the address family resolve() takes."""
    key = value.lower() if isinstance(value, str) else str(value) if type(value) is int else None
    if key not in _IP_VERSIONS:
        shown = f"'{value}'" if isinstance(value, str) else str(value) if type(value) is int else type_name(value)
        raise Invalid(f"must be auto, 4 or 6, got {shown}")
    return _IP_VERSIONS[key]


_checked_ca: dict[tuple[str, int], str | None] = {}  # (path, stamp) -> error or None


def parse_ca_file(value: Any) -> CaFile:
    """An absolute path to a PEM file of CA certificates, loaded once here to prove it works."""
    path = text(max_len=4096)(value)
    if not os.path.isabs(path):
        raise Invalid(f"must be an absolute path, got '{path}'")
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise Invalid(f"cannot read '{path}': {_lower(exc.strerror or str(exc))}") from None
    key = (path, stamp)
    if key not in _checked_ca:
        if len(_checked_ca) > 1000:
            _checked_ca.clear()
        try:
            ssl.create_default_context(cafile=path)
            _checked_ca[key] = None
        except ssl.SSLError as exc:
            _checked_ca[key] = f"no CA certificate could be loaded from '{path}': {_ssl_reason(exc)}"
        except OSError as exc:
            _checked_ca[key] = f"cannot read '{path}': {_lower(exc.strerror or str(exc))}"
    error = _checked_ca[key]
    if error is not None:
        raise Invalid(error)
    return CaFile(path, stamp)


# -- contexts --------------------------------------------------------------------

_contexts: dict[tuple, ssl.SSLContext] = {}


def client_context(verify: bool, ca_file: CaFile | None = None, alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
    """One shared context per (verify, CA file, ALPN), made on first use: creating one
    loads a trust store (milliseconds), which must not happen per probe."""
    key = (verify, ca_file if verify else None, alpn)
    context = _contexts.get(key)
    if context is not None:
        return context
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_file is not None:
        try:
            # cafile given: only that bundle is trusted (as curl --cacert does)
            context = ssl.create_default_context(cafile=ca_file.path)
        except (ssl.SSLError, OSError) as exc:
            reason = _ssl_reason(exc) if isinstance(exc, ssl.SSLError) else _lower(exc.strerror or str(exc))
            raise ProbeError("ssl_error", f"could not load ca_file '{ca_file.path}': {reason}") from None
        for old in [k for k in _contexts if k[1] is not None and k[1].path == ca_file.path]:
            del _contexts[old]  # an edited file replaces the context made from its old version
    else:
        context = ssl.create_default_context()
    if alpn:
        context.set_alpn_protocols(list(alpn))
    _contexts[key] = context
    return context


def warm_context(verify: bool, ca_file: CaFile | None = None, alpn: tuple[str, ...] = ()) -> None:
    """Make the context a target will use while the config is read: loading the
    system trust store takes ~20 ms, which the first probe would otherwise
    spend on the event loop, delaying every other probe."""
    try:
        client_context(verify, ca_file, alpn)
    except ProbeError:
        pass  # the file changed since it was checked: the probe reports it


async def handshake(transport: asyncio.Transport, protocol: asyncio.BaseProtocol,
                    context: ssl.SSLContext, server_name: str) -> asyncio.Transport:
    """TLS over a connected transport; failures become classified ProbeErrors.

    The ssl module sends server_name as SNI unless it is an IP literal, and
    with verification on checks the certificate against it."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.start_tls(transport, protocol, context, server_hostname=server_name)
    except ssl.SSLCertVerificationError as exc:
        raise ProbeError("ssl_error", f"certificate verify failed: {_sentence(exc.verify_message)}") from None
    except ssl.SSLError as exc:
        raise ProbeError("ssl_error", f"TLS handshake failed: {_ssl_reason(exc)}") from None
    except ConnectionError:
        raise ProbeError("connection_error", "connection closed during the TLS handshake") from None


def _ssl_reason(exc: ssl.SSLError) -> str:
    return exc.reason.replace("_", " ").lower() if exc.reason else str(exc)


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]


def _sentence(message: str | None) -> str:
    """OpenSSL's and Python's verify messages, as a clause: "Hostname mismatch, ... 'x'." ->
    "hostname mismatch, ... 'x'" (an initialism like "IP" keeps its case)."""
    message = (message or "unknown reason").rstrip(".")
    return message if message[1:2].isupper() else _lower(message)


# -- the certificate's expiry ----------------------------------------------------

def peer_not_after(transport: asyncio.BaseTransport) -> float | None:
    """notAfter (Unix seconds) of the certificate the peer presented, if any and readable."""
    ssl_object = transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return None
    try:
        return certificate_validity(der)[1]
    except ValueError:
        return None


def note_certificate(details: dict[str, Any], not_after: float, warn_days: int,
                     now: float | None = None) -> str | None:
    """Record the expiry in the probe's details and judge it.

    Puts cert_expires_at (Unix seconds) and cert_expires_in_days (1 decimal)
    in details; with several certificates (redirect hops) the one expiring
    first is kept. Raises ssl_error when it has expired; returns the warning
    when it expires within warn_days (and is the one kept), else None.
    """
    now = time.time() if now is None else now
    days = round((not_after - now) / DAY, 1)
    kept = details.get("cert_expires_at")
    if kept is not None and kept <= not_after:
        return None
    details["cert_expires_at"] = int(not_after)
    details["cert_expires_in_days"] = days
    date = time.strftime("%Y-%m-%d", time.gmtime(not_after))
    if not_after <= now:
        raise ProbeError("ssl_error", f"certificate expired {-days:.1f} days ago ({date})")
    if warn_days and not_after - now < warn_days * DAY:
        return f"certificate expires in {days:.1f} days ({date}), below tls_expiry_days {warn_days}"
    return None


# A tiny DER reader for Certificate.tbsCertificate.validity (RFC 5280 4.1):
#   Certificate  ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
#   TBSCertificate ::= SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber INTEGER,
#                                 signature SEQUENCE, issuer SEQUENCE, validity SEQUENCE, ... }
#   Validity ::= SEQUENCE { notBefore Time, notAfter Time }   Time: UTCTime | GeneralizedTime

_SEQUENCE, _INTEGER, _VERSION, _UTC_TIME, _GENERALIZED_TIME = 0x30, 0x02, 0xA0, 0x17, 0x18
_UTC = re.compile(rb"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z")
_GENERALIZED = re.compile(rb"(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z")


def certificate_validity(der: bytes) -> tuple[float, float]:
    """(notBefore, notAfter) in Unix seconds from a DER certificate; ValueError if malformed."""
    _, start, _ = _element(der, 0, _SEQUENCE)           # Certificate
    _, pos, tbs_end = _element(der, start, _SEQUENCE)   # TBSCertificate
    tag, _, end = _element(der, pos)
    if tag == _VERSION:
        tag, _, end = _element(der, end)
    if tag != _INTEGER:
        raise ValueError("no serial number")
    for _name in ("signature", "issuer"):
        _, _, end = _element(der, end, _SEQUENCE)
    _, pos, validity_end = _element(der, end, _SEQUENCE)
    if validity_end > tbs_end:
        raise ValueError("validity runs past the certificate")
    times = []
    for _name in ("notBefore", "notAfter"):
        tag, start, pos = _element(der, pos)
        times.append(_time(tag, der[start:pos]))
    return times[0], times[1]


def _element(data: bytes, pos: int, expect: int | None = None) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at pos."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag, length = data[pos], data[pos + 1]
    if expect is not None and tag != expect:
        raise ValueError(f"expected tag {expect:#x}, found {tag:#x}")
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4 or pos + count > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated")
    return tag, pos, pos + length


def _time(tag: int, raw: bytes) -> float:
    if tag == _UTC_TIME and (match := _UTC.fullmatch(raw)):
        year = int(match.group(1))
        year += 1900 if year >= 50 else 2000  # RFC 5280: YY >= 50 is 19YY
        rest = match.groups()[1:]
    elif tag == _GENERALIZED_TIME and (match := _GENERALIZED.fullmatch(raw)):
        year, rest = int(match.group(1)), match.groups()[1:]
    else:
        raise ValueError(f"not a certificate time: {raw!r}")
    month, day, hour, minute, second = map(int, rest)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        raise ValueError(f"not a certificate time: {raw!r}")
    return float(calendar.timegm((year, month, day, hour, minute, second)))


# -- probe -----------------------------------------------------------------------

async def probe(target: TlsTarget, phases: Phases) -> ProbeResult:
    phases.enter("resolve")
    addresses = await resolve(target.host, target.port, family=target.family)
    phases.enter("connect")
    transport, protocol = await connect(addresses, asyncio.Protocol)
    try:
        phases.enter("tls")
        transport = await handshake(transport, protocol, client_context(target.verify, target.ca_file),
                                    target.server_name)
        not_after = peer_not_after(transport)
    finally:
        transport.abort()  # nothing to say after the handshake; no close_notify wait
    if not_after is None:
        raise ProbeError("ssl_error", "the server's certificate could not be read")
    warning = note_certificate(phases.details, not_after, target.expiry_days)
    return phases.degraded("ssl_error", warning) if warning else phases.success()


def options_schema() -> dict:
    """The `tls` block's JSON Schema (the OpenAPI document)."""
    return {"type": "object", "additionalProperties": False, "properties": {
        "verify": {"type": "boolean"}, "server_name": HOST_SCHEMA, "tls_expiry_days": EXPIRY_DAYS_SCHEMA,
        "ip_version": IP_VERSION_SCHEMA, "ca_file": CA_FILE_SCHEMA}}
