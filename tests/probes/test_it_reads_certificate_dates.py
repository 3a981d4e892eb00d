"""The DER walker for a certificate's validity, and the expiry judgement (a fixed clock)."""

import calendar
import shutil
import ssl

import pytest

from loopback import make_test_pki, self_signed_cert
from upstatd.probes.result import ProbeError
from upstatd.probes.tls import certificate_validity, note_certificate

DAY = 86400


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is needed to make test certificates")
    return make_test_pki(tmp_path_factory.mktemp("pki"))


def der_of(path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


@pytest.mark.parametrize("name", ["ca", "valid", "expired", "soon", "wrong_host", "far"])
def test_it_agrees_with_the_ssl_module_on_real_certificates(pki, name):
    path = pki.ca if name == "ca" else getattr(pki, name)[0]
    decoded = ssl._ssl._test_decode_cert(str(path))  # reference only: this needs a file
    assert certificate_validity(der_of(path)) == (
        ssl.cert_time_to_seconds(decoded["notBefore"]), ssl.cert_time_to_seconds(decoded["notAfter"]))


def test_a_self_signed_certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl CLI")
    cert, _ = self_signed_cert(tmp_path)
    decoded = ssl._ssl._test_decode_cert(str(cert))
    assert certificate_validity(der_of(cert))[1] == ssl.cert_time_to_seconds(decoded["notAfter"])


def test_years_from_2050_are_generalized_time(pki):
    der = der_of(pki.far[0])
    assert b"\x18\x0f20600101000000Z" in der
    assert certificate_validity(der)[1] == calendar.timegm((2060, 1, 1, 0, 0, 0))


# hand-made DER: just enough of a certificate for the walker

def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + content


def certificate(not_before: bytes, not_after: bytes, version: bool = True, padding: int = 0) -> bytes:
    tbs = (tlv(0xA0, tlv(0x02, b"\x02")) if version else b"") + tlv(0x02, b"\x01\x00") \
        + tlv(0x30, tlv(0x06, b"\x2a\x86\x48\xce\x3d\x04\x03\x02")) \
        + tlv(0x30, b"\x00" * padding) + tlv(0x30, not_before + not_after) + tlv(0x30, b"")
    return tlv(0x30, tlv(0x30, tbs) + tlv(0x30, b"") + tlv(0x03, b"\x00"))


UTC, GENERALIZED = 0x17, 0x18


@pytest.mark.parametrize("raw, tag, expected", [
    (b"991231235959Z", UTC, (1999, 12, 31, 23, 59, 59)),   # YY >= 50: 19YY
    (b"491231235959Z", UTC, (2049, 12, 31, 23, 59, 59)),   # YY < 50: 20YY
    (b"500101000000Z", UTC, (1950, 1, 1, 0, 0, 0)),
    (b"20991231235959Z", GENERALIZED, (2099, 12, 31, 23, 59, 59)),
    (b"20991231235959.123Z", GENERALIZED, (2099, 12, 31, 23, 59, 59)),
])
def test_time_forms(raw, tag, expected):
    der = certificate(tlv(UTC, b"200101000000Z"), tlv(tag, raw))
    assert certificate_validity(der) == (calendar.timegm((2020, 1, 1, 0, 0, 0)), calendar.timegm(expected))


def test_without_a_version_field_and_with_long_lengths():
    # a v1 certificate has no [0] version; a 300-byte issuer needs a two-byte length
    der = certificate(tlv(UTC, b"200101000000Z"), tlv(UTC, b"300101000000Z"), version=False, padding=300)
    assert certificate_validity(der)[1] == calendar.timegm((2030, 1, 1, 0, 0, 0))


GOOD = certificate(tlv(UTC, b"200101000000Z"), tlv(UTC, b"300101000000Z"))


@pytest.mark.parametrize("der", [
    b"",
    b"\x30",
    GOOD[:40],                                                        # truncated
    b"\x31" + GOOD[1:],                                               # not a SEQUENCE
    certificate(tlv(UTC, b"200101000000Z"), tlv(UTC, b"2001010000Z")),  # UTCTime without seconds
    certificate(tlv(UTC, b"200101000000Z"), tlv(UTC, b"201301000000Z")),  # month 13
    certificate(tlv(UTC, b"200101000000Z"), tlv(UTC, b"200101000000+0100")),  # not Z
    certificate(tlv(UTC, b"200101000000Z"), tlv(0x04, b"300101000000Z")),  # an OCTET STRING
    b"\x30\x85\x00\x00\x00\x00\x01\x00",                               # a 5-byte length
], ids=["empty", "one byte", "truncated", "not a sequence", "no seconds", "month 13", "offset", "wrong tag", "huge length"])
def test_malformed_input_is_a_value_error(der):
    with pytest.raises(ValueError):
        certificate_validity(der)


# the judgement, with a fixed clock

NOW = calendar.timegm((2026, 11, 20, 12, 0, 0))


def test_far_from_expiry_it_only_records():
    details = {}
    assert note_certificate(details, NOW + 40 * DAY, 14, now=NOW) is None
    assert details == {"cert_expires_at": NOW + 40 * DAY, "cert_expires_in_days": 40.0}


def test_within_the_warning_days_it_warns():
    details = {}
    warning = note_certificate(details, NOW + 5.24 * DAY, 14, now=NOW)
    assert warning == "certificate expires in 5.2 days (2026-11-25), below tls_expiry_days 14"
    assert details["cert_expires_in_days"] == 5.2


def test_zero_warning_days_never_warns():
    assert note_certificate({}, NOW + 60, 0, now=NOW) is None


def test_expired_is_a_failure():
    details = {}
    with pytest.raises(ProbeError) as caught:
        note_certificate(details, NOW - 2.5 * DAY, 14, now=NOW)
    assert (caught.value.kind, caught.value.message) == ("ssl_error", "certificate expired 2.5 days ago (2026-11-18)")
    assert details["cert_expires_in_days"] == -2.5


def test_of_several_certificates_the_first_to_expire_is_kept():
    details = {}
    assert note_certificate(details, NOW + 10 * DAY, 14, now=NOW) is not None
    assert note_certificate(details, NOW + 90 * DAY, 14, now=NOW) is None  # later: ignored
    assert details["cert_expires_in_days"] == 10.0
    assert note_certificate(details, NOW + 3 * DAY, 14, now=NOW).startswith("certificate expires in 3.0 days")
    assert details["cert_expires_in_days"] == 3.0
