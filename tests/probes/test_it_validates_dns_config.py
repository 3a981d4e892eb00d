"""dns prepare(): the url and the dns: block, with exact messages on exact key paths."""

import pytest

from upstatd.config.check import Problems
from upstatd.probes import PROBES
from upstatd.probes.dns import DnsTarget, prepare

PATH = ("monitors", 3)


def check(url, options=None):
    problems = Problems("config.yaml")
    return prepare(url, options, PATH, problems), problems.messages()


def dns_target(name="example.com", record_type="A", nameserver=None, port=53, transport="udp",
               expected_rcode="NOERROR", contains=(), equals=None, min_answers=1) -> DnsTarget:
    return DnsTarget(name, record_type, nameserver, port, transport, expected_rcode, contains, equals,
                     min_answers)


def test_dns_is_a_registered_probe_type():
    assert PROBES["dns"].prepare is prepare


@pytest.mark.parametrize("url, options, target", [
    ("example.com", None, dns_target()),
    ("Example.COM.", {}, dns_target()),
    ("bücher.example", None, dns_target("xn--bcher-kva.example")),
    ("_sip._tcp.example.com", {"record_type": "srv"}, dns_target("_sip._tcp.example.com", "SRV")),
    ("192.0.2.1", {"record_type": "PTR"}, dns_target("1.2.0.192.in-addr.arpa", "PTR")),
    ("2001:db8::1", {"record_type": "ptr"},
     dns_target("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR")),
    ("1.2.0.192.in-addr.arpa", {"record_type": "PTR"}, dns_target("1.2.0.192.in-addr.arpa", "PTR")),
    ("example.com", {"nameserver": "192.0.2.53"}, dns_target(nameserver="192.0.2.53")),
    ("example.com", {"nameserver": "127.0.0.1:5353"}, dns_target(nameserver="127.0.0.1", port=5353)),
    ("example.com", {"nameserver": "2001:DB8::53"}, dns_target(nameserver="2001:db8::53")),
    ("example.com", {"nameserver": "[::1]:5353"}, dns_target(nameserver="::1", port=5353)),
    ("example.com", {"nameserver": "[::1]"}, dns_target(nameserver="::1")),
    ("example.com", {"transport": "TCP"}, dns_target(transport="tcp")),
    ("example.com", {"expected_rcode": "nxdomain"}, dns_target(expected_rcode="NXDOMAIN", min_answers=0)),
    ("example.com", {"min_answers": 0}, dns_target(min_answers=0)),
    ("example.com", {"min_answers": 3}, dns_target(min_answers=3)),
    ("example.com", {"contains": "192.0.2.1"}, dns_target(contains=("192.0.2.1",))),
    ("example.com", {"equals": ["192.0.2.2", "192.0.2.1", "192.0.2.2"]},
     dns_target(equals=("192.0.2.2", "192.0.2.1"))),
    ("example.com", {"equals": []}, dns_target(equals=(), min_answers=0)),
    ("example.com", {"record_type": "AAAA", "contains": ["2001:DB8:0::1"]},
     dns_target(record_type="AAAA", contains=("2001:db8::1",))),
    ("example.com", {"record_type": "MX", "contains": ["10 Mail.Example.com."]},
     dns_target(record_type="MX", contains=("10 mail.example.com",))),
    ("example.com", {"record_type": "TXT", "contains": ["v=spf1 -all", 12345]},
     dns_target(record_type="TXT", contains=("v=spf1 -all", "12345"))),
    ("example.com", {"record_type": "CAA", "equals": ["0 ISSUE letsencrypt.org"]},
     dns_target(record_type="CAA", equals=('0 issue "letsencrypt.org"',))),
    ("example.com", {"record_type": "SOA", "contains": ["ns1. Host.Master. 1 2 3 4 5"]},
     dns_target(record_type="SOA", contains=("ns1 host.master 1 2 3 4 5",))),
])
def test_good_configs(url, options, target):
    assert check(url, options) == (target, [])


def test_targets_from_equal_input_are_equal_and_hashable():
    a, _ = check("example.com", {"contains": ["192.0.2.1"], "nameserver": "127.0.0.1:53"})
    b, _ = check("EXAMPLE.com.", {"contains": "192.0.2.1", "nameserver": "127.0.0.1"})
    assert a == b and hash(a) == hash(b)
    assert a != check("example.com", {"contains": ["192.0.2.2"], "nameserver": "127.0.0.1"})[0]


NAMESERVER_HINT = ("must be an IP address with an optional port, like 192.0.2.53, 192.0.2.53:5353 "
                   "or [2001:db8::53]:5353")
RECORD_TYPES = "A, AAAA, CNAME, MX, TXT, NS, SOA, SRV, PTR, CAA"
RCODES = "NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, NOTZONE"


@pytest.mark.parametrize("url, options, where, message", [
    # the url
    ("dns://example.com", None, "url",
     "must be a host name like example.com (a nameserver goes in dns.nameserver), got 'dns://example.com'"),
    ("example.com/a", None, "url",
     "must be a host name like example.com (a nameserver goes in dns.nameserver), got 'example.com/a'"),
    ("", None, "url", "must not be empty"),
    (53, None, "url", "must be a string, got a number"),
    ("bad host", None, "url", "'bad host' is not a valid host name"),
    ("a..b", None, "url", "'a..b' is not a valid host name"),
    ("example.com:53", None, "url", "'example.com:53' is not a valid host name"),
    ("a" * 64 + ".com", None, "url", f"'{'a' * 64}.com' is not a valid host name"),
    ("192.0.2.1", None, "url",
     "must be a host name, got the IP address '192.0.2.1' (record_type PTR looks up its reverse name)"),
    ("::1", {"record_type": "MX"}, "url",
     "must be a host name, got the IP address '::1' (record_type PTR looks up its reverse name)"),
    # the block and its keys
    ("example.com", ["x"], "dns", "must be a mapping, got a list"),
    ("example.com", {"timeout": 3}, "dns.timeout",
     "unknown key (expected one of: contains, equals, expected_rcode, min_answers, nameserver, "
     "record_type, transport)"),
    ("example.com", {"record_type": "AXFR"}, "dns.record_type", f"must be one of {RECORD_TYPES}, got 'AXFR'"),
    ("example.com", {"record_type": 1}, "dns.record_type", f"must be one of {RECORD_TYPES}, got a number"),
    ("example.com", {"nameserver": "ns1.example.com"}, "dns.nameserver", f"{NAMESERVER_HINT}, got 'ns1.example.com'"),
    ("example.com", {"nameserver": "[192.0.2.53]:53"}, "dns.nameserver", f"{NAMESERVER_HINT}, got '[192.0.2.53]:53'"),
    ("example.com", {"nameserver": "[::1"}, "dns.nameserver", f"{NAMESERVER_HINT}, got '[::1'"),
    ("example.com", {"nameserver": "[::1]53"}, "dns.nameserver", f"{NAMESERVER_HINT}, got '[::1]53'"),
    ("example.com", {"nameserver": 53}, "dns.nameserver", f"{NAMESERVER_HINT}, got a number"),
    ("example.com", {"nameserver": "192.0.2.53:0"}, "dns.nameserver", "port must be 1-65535, got '0'"),
    ("example.com", {"nameserver": "[::1]:65536"}, "dns.nameserver", "port must be 1-65535, got '65536'"),
    ("example.com", {"nameserver": "192.0.2.53:dns"}, "dns.nameserver", "port must be 1-65535, got 'dns'"),
    ("example.com", {"transport": "quic"}, "dns.transport", "must be udp (TCP when truncated) or tcp, got 'quic'"),
    ("example.com", {"transport": True}, "dns.transport", "must be udp (TCP when truncated) or tcp, got a boolean"),
    ("example.com", {"expected_rcode": "GONE"}, "dns.expected_rcode", f"must be one of {RCODES}, got 'GONE'"),
    ("example.com", {"expected_rcode": 3}, "dns.expected_rcode", f"must be one of {RCODES}, got a number"),
    ("example.com", {"min_answers": -1}, "dns.min_answers", "must be >= 0"),
    ("example.com", {"min_answers": 1.5}, "dns.min_answers", "must be a whole number, got 1.5"),
    ("example.com", {"min_answers": "2"}, "dns.min_answers", "must be a whole number, got a string"),
    ("example.com", {"equals": ["192.0.2.1"], "min_answers": 2}, "dns.min_answers",
     "can never be met: equals lists 1 answer"),
    # expected answers
    ("example.com", {"contains": []}, "dns.contains", "must not be empty"),
    ("example.com", {"contains": {"a": 1}}, "dns.contains", "must be a list of answers, got a mapping"),
    ("example.com", {"equals": 5}, "dns.equals", "must be a list of answers, got a number"),
    ("example.com", {"contains": ["192.0.2.1", None]}, "dns.contains[1]", "must be a string, got null"),
    ("example.com", {"equals": [""]}, "dns.equals[0]", "must not be empty"),
    ("example.com", {"contains": ["192.0.2.1", "192.0.2.300"]}, "dns.contains[1]",
     "'192.0.2.300' is not a valid A answer: use an IPv4 address"),
    ("example.com", {"record_type": "AAAA", "equals": ["192.0.2.1"]}, "dns.equals[0]",
     "'192.0.2.1' is not a valid AAAA answer: use an IPv6 address"),
    ("example.com", {"record_type": "CNAME", "contains": ["a b"]}, "dns.contains[0]",
     "'a b' is not a valid CNAME answer: use a host name"),
    ("example.com", {"record_type": "MX", "contains": ["mail.example.com"]}, "dns.contains[0]",
     "'mail.example.com' is not a valid MX answer: use 'preference host', like '10 mail.example.com'"),
    ("example.com", {"record_type": "SRV", "contains": ["10 5 sip.example.com"]}, "dns.contains[0]",
     "'10 5 sip.example.com' is not a valid SRV answer: use 'priority weight port target', "
     "like '10 5 5060 sip.example.com'"),
    ("example.com", {"record_type": "SOA", "contains": ["ns1 host 1"]}, "dns.contains[0]",
     "'ns1 host 1' is not a valid SOA answer: use 'mname rname serial refresh retry expire minimum'"),
    ("example.com", {"record_type": "CAA", "contains": ["issue"]}, "dns.contains[0]",
     "'issue' is not a valid CAA answer: use 'flags tag value', like '0 issue \"letsencrypt.org\"'"),
    ("example.com", {"expected_rcode": "NXDOMAIN", "contains": ["192.0.2.1"]}, "dns.contains",
     "only applies with expected_rcode NOERROR, not NXDOMAIN"),
    ("example.com", {"expected_rcode": "SERVFAIL", "equals": []}, "dns.equals",
     "only applies with expected_rcode NOERROR, not SERVFAIL"),
    ("example.com", {"expected_rcode": "NXDOMAIN", "min_answers": 1}, "dns.min_answers",
     "only applies with expected_rcode NOERROR, not NXDOMAIN"),
])
def test_bad_configs(url, options, where, message):
    target, messages = check(url, options)
    assert target is None
    assert messages == [f"config.yaml:1: monitors[3].{where}: {message}"]


def test_every_error_is_reported_at_once_on_its_own_key():
    target, messages = check("dns://x", {"record_type": "AXFR", "nameserver": "ns1", "transport": "x",
                                         "expected_rcode": "x", "min_answers": -2, "bogus": 1})
    assert target is None
    assert sorted(messages) == sorted([
        "config.yaml:1: monitors[3].url: must be a host name like example.com (a nameserver goes in "
        "dns.nameserver), got 'dns://x'",
        f"config.yaml:1: monitors[3].dns.record_type: must be one of {RECORD_TYPES}, got 'AXFR'",
        f"config.yaml:1: monitors[3].dns.nameserver: {NAMESERVER_HINT}, got 'ns1'",
        "config.yaml:1: monitors[3].dns.transport: must be udp (TCP when truncated) or tcp, got 'x'",
        f"config.yaml:1: monitors[3].dns.expected_rcode: must be one of {RCODES}, got 'x'",
        "config.yaml:1: monitors[3].dns.min_answers: must be >= 0",
        "config.yaml:1: monitors[3].dns.bogus: unknown key (expected one of: contains, equals, "
        "expected_rcode, min_answers, nameserver, record_type, transport)",
    ])


def test_a_wrong_record_type_is_the_only_error_about_answers_and_ip_urls():
    # the answers cannot be checked against an unknown type: one error, not a guess
    assert check("192.0.2.1", {"record_type": "AXFR", "contains": ["zz"]}) == (
        None, [f"config.yaml:1: monitors[3].dns.record_type: must be one of {RECORD_TYPES}, got 'AXFR'"])


def test_errors_name_their_line_in_a_real_file(tmp_path):
    from upstatd.config.load import ConfigError, load_config

    path = tmp_path / "config.yaml"
    path.write_text("""\
monitors:
  - key: mx
    type: dns
    url: example.com
    dns:
      record_type: MX
      contains:
        - 10 mail.example.com
        - mail.example.com
      transport: quic
""")
    with pytest.raises(ConfigError) as caught:
        load_config(str(path), environ={})
    assert caught.value.messages == [
        f"{path}:9: monitors[0].dns.contains[1]: 'mail.example.com' is not a valid MX answer: "
        "use 'preference host', like '10 mail.example.com'",
        f"{path}:10: monitors[0].dns.transport: must be udp (TCP when truncated) or tcp, got 'quic'",
    ]


def test_a_good_monitor_in_a_real_file_carries_its_target(make_config):
    config = make_config("""\
        monitors:
          - key: mx
            type: dns
            url: example.com
            dns:
              record_type: MX
              nameserver: 127.0.0.1:5353
              equals: [10 mail.example.com]
        """)
    assert config.monitors[0].target == dns_target(record_type="MX", nameserver="127.0.0.1", port=5353,
                                                   equals=("10 mail.example.com",))
