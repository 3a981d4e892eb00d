"""`upstatd schema`: the config file's JSON Schema, built from the code that validates
the file. It is a valid draft 2020-12 schema, takes the example config and the
examples of docs/configuration.md as an editor reads them (before ${VAR}
expansion), rejects what the loader rejects in the common cases, and names
exactly the keys the loader takes, block by block."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path

import jsonschema
import pytest
import yaml

import upstatd
from upstatd.config.alert_channels import CHANNEL_KEYS, TYPES
from upstatd.config.heartbeats import HEARTBEAT_KEYS
from upstatd.config.json_schema import config_schema
from upstatd.config.load import ConfigError, load_config
from upstatd.config.schema import MONITOR_KEYS, SECTIONS
from upstatd.config.webhooks import WEBHOOK_KEYS
from upstatd.probes import PROBES, dns, http, icmp, tls

ROOT = Path(upstatd.__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "configuration.md"
SCHEMA = config_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
# what editors implement today (yaml-language-server): the same answers, but for the one
# 2019-09 keyword it skips (dependentSchemas: http auth beside an Authorization header)
DRAFT_7 = jsonschema.Draft7Validator(SCHEMA)


class FakeEnvironment(Mapping):
    """Any ${VAR} of the examples is set, to a value of the form its name asks for."""

    KNOWN = {  # the Apprise URLs and tokens of docs/configuration.md's examples
        "SLACK_URL": "slack://T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx",
        "TEAMS_WORKFLOW_URL": "workflows://example.logic.azure.com:443/abc123def456/sigsigsigsig/",
        "TELEGRAM_BOT_TOKEN": "123456789:AAbbccddeeffgghhiijjkkllmmnnooppqq",
        "ANNA_NTFY_URL": "ntfys://ntfy.sh/anna-pager",  # a person's phone (`people:`)
        # what `http.proxy: env` reads
        **{name: "http://127.0.0.1:3128" for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")},
        "no_proxy": "localhost", "NO_PROXY": "localhost",
    }

    def __getitem__(self, name: str) -> str:
        if name in self.KNOWN:
            return self.KNOWN[name]
        if "URL" in name:
            return "https://hooks.example.com/services/T000/B000/XXXX"
        if "PORT" in name:
            return "2525"
        return "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"  # a secret, token or routing key

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def upstatd_cli(*args: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("UPSTATD_")}
    environ["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "upstatd", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)


def errors(data) -> list[tuple[list, str]]:
    found = [(list(error.absolute_path), error.message) for error in VALIDATOR.iter_errors(data)]
    assert bool(found) == bool(list(DRAFT_7.iter_errors(data))), "draft 7 validators would differ"
    return found


def loads(text: str):
    """The file as an editor's YAML server reads it: merge keys applied, ${VAR} left as written."""
    return yaml.safe_load(textwrap.dedent(text))


# -- the document ---------------------------------------------------------------------

def test_the_command_prints_a_valid_draft_2020_12_schema():
    result = upstatd_cli("schema")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)
    jsonschema.Draft7Validator.check_schema(document)  # editors' validators read it too
    assert document == json.loads(json.dumps(SCHEMA))  # the same document the tests check


def test_the_example_config_is_valid():
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    load_config(str(ROOT / "config.example.yaml"), environ=FakeEnvironment())  # the loader takes it
    assert errors(yaml.safe_load(text)) == []


def test_the_example_config_points_editors_at_the_schema():
    first_lines = (ROOT / "config.example.yaml").read_text(encoding="utf-8").splitlines()[:5]
    assert "# yaml-language-server: $schema=/etc/upstatd/config.schema.json" in first_lines


# -- the examples of docs/configuration.md ----------------------------------------------

def doc_examples() -> list:
    """Each ```yaml block: a whole file, or a snippet wrapped into one (a list of monitors or
    alert channels under its section, a type block in a monitor of that type)."""
    text = DOCS.read_text(encoding="utf-8")
    out = []
    for match in re.finditer(r"```yaml\n(.*?)```", text, re.S):
        line = text.count("\n", 0, match.start()) + 1
        data = loads(match.group(1))
        if data is None:  # only a comment: the schema modeline
            continue
        if isinstance(data, dict) and all(key in SECTIONS or str(key).startswith("x-") for key in data):
            kind, wrapped = "file", data
        elif isinstance(data, dict) and len(data) == 1 and next(iter(data)) in PROBES:
            block = next(iter(data))
            kind = f"{block} block"
            url = {"http": "https://example.com/", "tcp": "tcp://example.com:80", "icmp": "icmp://example.com",
                   "dns": "example.com", "tls": "tls://example.com:443"}[block]
            wrapped = {"monitors": [{"key": "example", "type": block, "url": url, **data}]}
        elif isinstance(data, list) and all(item.get("type") in PROBES for item in data):
            kind, wrapped = "monitors", {"monitors": data}
        elif isinstance(data, list) and all(item.get("type") in TYPES for item in data):
            kind, wrapped = "alert_channels", {"alert_channels": data}
        else:  # pragma: no cover - a new kind of example: say how to wrap it
            raise AssertionError(f"docs/configuration.md:{line}: an example of a kind this test cannot wrap")
        out.append(pytest.param(wrapped, id=f"line-{line}-{kind}"))
    return out


EXAMPLES = doc_examples()


def test_the_docs_have_examples_to_check():
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("data", EXAMPLES)
def test_every_example_of_the_docs_is_valid(data, tmp_path):
    # channels the examples name but define elsewhere in the docs
    named = {"ops-mail", "slack-ops", "pagerduty", "oncall-mail", "telegram-ops"}
    defined = {item.get("key") for item in data.get("alert_channels") or ()}
    extra = [{"key": key, "type": "apprise", "apprise": {"url": "ntfy://ntfy.example.com/ops"}}
             for key in sorted(named - defined)]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**data, "alert_channels": [*(data.get("alert_channels") or ()), *extra]}))
    try:
        load_config(str(path), environ=FakeEnvironment())
    except ConfigError as exc:  # the docs show a file the daemon refuses: fix the docs
        pytest.fail("\n".join(exc.messages))
    assert errors(data) == []


# -- what it rejects -------------------------------------------------------------------

def monitor(extra: str = "", url: str = "https://example.com/") -> str:
    return f"monitors:\n  - key: web\n    type: http\n    url: {url}\n{extra}"


@pytest.mark.parametrize("text, where", [
    pytest.param(monitor("    intervall: 30s\n"), ["monitors", 0], id="unknown-monitor-key"),
    pytest.param(monitor("    http: {verify: false}\n"), ["monitors", 0, "http"], id="unknown-http-key"),
    pytest.param(monitor("monitor: []\n"), [], id="unknown-section"),
    pytest.param(monitor("    severity: huge\n"), ["monitors", 0, "severity"], id="bad-enum"),
    pytest.param(monitor("    http: {method: FETCH}\n"), ["monitors", 0, "http", "method"], id="bad-method"),
    pytest.param(monitor("    http: {proxy: 'http://proxy.example'}\n"), ["monitors", 0, "http", "proxy"],
                 id="proxy-without-port"),
    pytest.param(monitor("    interval: 30 seconds\n"), ["monitors", 0, "interval"], id="malformed-duration"),
    pytest.param(monitor("    interval: 0.5\n"), ["monitors", 0, "interval"], id="duration-below-its-minimum"),
    pytest.param(monitor(url="tcp://example.com:80"), ["monitors", 0, "url"], id="url-of-another-type"),
    pytest.param(monitor("    tcp: {}\n"), ["monitors", 0], id="block-of-another-type"),
    pytest.param(monitor("server: {listen: 8080}\n"), ["server", "listen"], id="listen-without-host"),
    pytest.param(monitor("heartbeats: [{key: backup}]\n"), ["heartbeats", 0], id="heartbeat-without-schedule"),
    pytest.param(monitor("alert_channels: [{key: mail, type: email}]\n"), ["alert_channels", 0],
                 id="channel-without-its-block"),
])
def test_it_rejects_what_the_loader_rejects(text, where, config_errors):
    found = errors(loads(text))
    assert where in [path for path, _ in found], found
    config_errors(text)  # the loader refuses it too (config_errors expects a ConfigError)


def test_a_placeholder_stands_for_any_scalar():
    data = loads("""\
        server: {listen: "${LISTEN}", max_connections: "${MAX_CONNECTIONS}"}
        monitors:
          - key: web
            type: http
            url: https://${SITE}/health
            interval: ${INTERVAL}
            severity: ${SEVERITY}
            http: {verify_tls: "${VERIFY}", max_redirects: "${REDIRECTS}", max_response_time: 500ms}
          - key: gateway
            type: icmp
            url: icmp://${GATEWAY}
            icmp: {packet_interval: 200ms, max_rtt: 0.05, packets: "${PACKETS}"}
        webhooks:
          - {key: hook, url: "${HOOK_URL}", events: ["*"], secret: "${S}"}
        """)
    assert errors(data) == []


def test_anchors_and_empty_blocks_are_allowed():
    data = loads("""\
        x-web: &web {type: http, interval: 15s}
        server:
        monitors:
          - {<<: *web, key: shop, url: "https://shop.example.com/"}
          - key: db
            type: tcp
            url: tcp://db:5432
            tcp:
        heartbeats:
        """)
    assert errors(data) == []


# -- the same keys as the loader ------------------------------------------------------

def properties(*path: str | int) -> set[str]:
    """The keys the schema allows at `path` (a list index: its items)."""
    node = SCHEMA
    for part in path:
        node = _object(node)
        node = node["items"] if isinstance(part, int) else node["properties"][part]
    return set(_object(node).get("properties", {}))


def _object(node: dict) -> dict:
    """The object or array alternative of a fragment (not its ${VAR} or null ones)."""
    for item in node.get("anyOf", ()):
        if isinstance(item, dict) and ("properties" in item or "items" in item or "anyOf" in item):
            return _object(item)
    return node


def test_the_schema_has_the_key_tuples_of_the_loader():
    assert set(SCHEMA["properties"]) == set(SECTIONS)
    assert properties("monitors", 0) == set(MONITOR_KEYS) | set(PROBES)
    assert properties("heartbeats", 0) == set(HEARTBEAT_KEYS)
    assert properties("webhooks", 0) == set(WEBHOOK_KEYS)
    assert properties("alert_channels", 0) == set(CHANNEL_KEYS)
    for module in (http, icmp, tls, dns):  # their OPTION_KEYS beside their options_schema()
        assert properties("monitors", 0, module.__name__.rsplit(".", 1)[1]) == set(module.OPTION_KEYS)
    assert properties("monitors", 0, "tcp") == set()


# Every block, with what to write around it: the loader's own "expected one of" list
# for an unknown key there must be the schema's keys of that block.
BLOCKS = [
    ((), ""),
    (("server",), "server: {zzz: 1}"),
    (("storage",), "storage: {zzz: 1}"),
    (("scheduler",), "scheduler: {zzz: 1}"),
    (("defaults",), "defaults: {zzz: 1}"),
    (("defaults", "confirmation"), "defaults: {confirmation: {zzz: 1}}"),
    (("pings",), "pings: {zzz: 1}"),
    (("incidents",), "incidents: {zzz: 1}"),
    (("api",), "api: {zzz: 1}"),
    (("api", "rate_limit"), "api: {rate_limit: {zzz: 1}}"),
    (("monitors", 0), "monitors: [{key: a, type: http, url: 'https://a/', zzz: 1}]"),
    (("monitors", 0, "confirmation"), "monitors: [{key: a, type: http, url: 'https://a/', confirmation: {zzz: 1}}]"),
    *((("monitors", 0, kind), f"monitors: [{{key: a, type: {kind}, url: 'x', {kind}: {{zzz: 1}}}}]")
      for kind in PROBES if kind != "tcp"),
    (("heartbeats", 0), "heartbeats: [{key: a, period: 1h, zzz: 1}]"),
    (("heartbeats", 0, "body_keywords"), "heartbeats: [{key: a, period: 1h, body_keywords: {zzz: 1}}]"),
    (("webhooks", 0), "webhooks: [{key: a, zzz: 1}]"),
    (("alert_channels", 0), "alert_channels: [{key: a, type: apprise, zzz: 1}]"),
    *((("alert_channels", 0, kind), f"alert_channels: [{{key: a, type: {kind}, {kind}: {{zzz: 1}}}}]")
      for kind in TYPES),
]


@pytest.mark.parametrize("path, text", [pytest.param(path, text, id=".".join(map(str, path)) or "top")
                                        for path, text in BLOCKS])
def test_each_block_has_the_keys_the_loader_takes(path, text, config_errors):
    _, messages = config_errors((text or "zzz: 1") + "\n")
    where = ".".join(str(part) for part in path).replace(".0", "[0]")
    where = f"{where}.zzz" if where else "zzz"
    said = [message for message in messages if f": {where}: unknown key" in message]
    assert said, messages
    expected = re.search(r"expected one of: ([^)]*)\)", said[0]).group(1).split(", ")
    assert properties(*path) == set(expected)
