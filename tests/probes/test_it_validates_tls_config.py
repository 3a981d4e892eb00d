"""tls prepare(): the tls:// URL and the tls: block, exact messages."""

import socket

import pytest

from upstatd.config.check import Problems
from upstatd.probes.tls import CaFile, TlsTarget, prepare

PATH = ("monitors", 1)
KNOWN = "ca_file, ip_version, server_name, tls_expiry_days, verify"


def check(url, options=None):
    problems = Problems("config.yaml")
    return prepare(url, options, PATH, problems), problems.messages()


def good(url, options=None) -> TlsTarget:
    target, messages = check(url, options)
    assert messages == []
    return target


def test_defaults():
    assert good("tls://Example.COM") == TlsTarget(
        host="example.com", port=443, server_name="example.com", verify=True, ca_file=None,
        expiry_days=14, family=0)


def test_every_option():
    target = good("tls://[::1]:8443/", {"verify": False, "server_name": "Mail.Example.com", "tls_expiry_days": 30,
                                        "ip_version": 6})
    assert target == TlsTarget(host="::1", port=8443, server_name="mail.example.com", verify=False, ca_file=None,
                               expiry_days=30, family=socket.AF_INET6)


def test_a_server_name_may_be_an_ip_address():
    assert good("tls://example.com:993", {"server_name": "[::1]"}).server_name == "::1"


def test_a_ca_file_is_loaded_at_config_time(tmp_path, cert):
    target = good("tls://example.com", {"ca_file": str(cert[0])})
    assert target.ca_file == CaFile(str(cert[0]), cert[0].stat().st_mtime_ns)


URL_ERRORS = [
    ("https://example.com", "must be tls://host:port, got 'https://example.com'"),
    ("tls://example.com/path", "must be tls://host:port, got 'tls://example.com/path'"),
    ("tls://example.com:0", "port must be 1-65535, got '0'"),
    ("tls://:443", "must be tls://host:port with a host, got 'tls://:443'"),
    ("tls://[::1", "must be tls://host:port, got 'tls://[::1'"),
    (443, "must be a string, got a number"),
]


@pytest.mark.parametrize("url, message", URL_ERRORS)
def test_bad_urls(url, message):
    target, messages = check(url)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[1].url: {message}"]


OPTION_ERRORS = [
    ({"verfy": True}, "verfy", f"unknown key (did you mean 'verify'? expected one of: {KNOWN})"),
    ({"verify": "no"}, "verify", "must be true or false, got a string"),
    ({"server_name": "bad name"}, "server_name", "'bad name' is not a valid host name"),
    ({"server_name": 5}, "server_name", "must be a string, got a number"),
    ({"tls_expiry_days": -1}, "tls_expiry_days", "must be >= 0"),
    ({"tls_expiry_days": 1.5}, "tls_expiry_days", "must be a whole number, got 1.5"),
    ({"ip_version": 5}, "ip_version", "must be auto, 4 or 6, got 5"),
    ({"ip_version": "ipv4"}, "ip_version", "must be auto, 4 or 6, got 'ipv4'"),
    ({"ip_version": True}, "ip_version", "must be auto, 4 or 6, got a boolean"),
    ({"ca_file": "certs/ca.pem"}, "ca_file", "must be an absolute path, got 'certs/ca.pem'"),
    ({"ca_file": "/nonexistent/ca.pem"}, "ca_file", "cannot read '/nonexistent/ca.pem': no such file or directory"),
]


@pytest.mark.parametrize("options, key, message", OPTION_ERRORS, ids=[o[1] + str(i) for i, o in enumerate(OPTION_ERRORS)])
def test_bad_options(options, key, message):
    target, messages = check("tls://example.com", options)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[1].tls.{key}: {message}"]


def test_a_ca_file_without_certificates(tmp_path):
    path = tmp_path / "empty.pem"
    path.write_text("not a certificate\n")
    _, messages = check("tls://example.com", {"ca_file": str(path)})
    assert messages == [f"config.yaml:1: monitors[1].tls.ca_file: no CA certificate could be loaded "
                        f"from '{path}': no certificate or crl found"]


def test_ip_version_forms():
    assert [good("tls://example.com", {"ip_version": v}).family for v in ("auto", 4, "4", 6, "6", "AUTO")] == [
        0, socket.AF_INET, socket.AF_INET, socket.AF_INET6, socket.AF_INET6, 0]


def test_every_error_at_once():
    target, messages = check("tcp://x:1", {"verify": 1, "tls_expiry_days": "14"})
    assert target is None
    assert sorted(messages) == [
        "config.yaml:1: monitors[1].tls.tls_expiry_days: must be a whole number, got a string",
        "config.yaml:1: monitors[1].tls.verify: must be true or false, got a number",
        "config.yaml:1: monitors[1].url: must be tls://host:port, got 'tcp://x:1'",
    ]


def test_the_tls_type_is_registered_and_named_in_monitors(make_config, tmp_path):
    config = make_config("""
        monitors:
          - key: mail
            type: tls
            url: "tls://mail.example.com:993"
            tls: {tls_expiry_days: 21}
    """)
    (monitor,) = config.monitors
    assert (monitor.type, monitor.target.port, monitor.target.expiry_days) == ("tls", 993, 21)
