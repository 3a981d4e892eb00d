"""The `services:` section: a good file reads into ServiceSpecs (owner, tier,
links, tags, metadata, depends_on as written), and each mistake is named by
file, line and key path: unknown keys, bounds, a link that is not http(s), an
owner naming no person or schedule of the file, a depends_on naming no service,
a cycle (named by its keys, from the service of it written first), and a
monitor or heartbeat whose `service:` names no service."""

from __future__ import annotations

import pytest

from upstatd.config.catalog import Link
from upstatd.config.load import ConfigError, load_config

HEAD = """\
storage: {path: /tmp/upstatd-test/db}
people:
  - {key: anna, name: Anna}
monitors:
  - {key: web, type: http, url: "http://127.0.0.1:9/", service: web}
heartbeats:
  - {key: backup, period: 1d, service: postgres}
services:
  web:
    name: Web shop
    owner: {user: anna}
    depends_on: [postgres]
  postgres:
    tier: 1
"""
# one more service after HEAD's (from line 15), the line of the error, its key path and words
CASES = [
    ("  api:\n    colour: red\n", 16, "services.api.colour", "unknown key (expected one of: depends_on, "
     "description, links, metadata, name, owner, tags, tier)"),
    ("  api:\n    tier: 5\n", 16, "services.api.tier", "must be <= 4"),
    ("  api:\n    tier: first\n", 16, "services.api.tier", "must be a whole number"),
    ("  api:\n    links: [{title: Wiki, url: 'ftp://example.com/x'}]\n", 16, "services.api.links[0].url",
     "must be an http:// or https:// URL"),
    ("  api:\n    links: [{title: Wiki, href: 'https://example.com/'}]\n", 16, "services.api.links[0].href",
     "unknown key (expected one of: title, url)"),
    ("  api:\n    owner: {user: bob}\n", 16, "services.api.owner.user",
     "no people entry with key 'bob' (people keys: anna; one made over the API is named by its id, usr_...)"),
    ("  api:\n    owner: {schedule: ops}\n", 16, "services.api.owner.schedule", "no on_call entry with key 'ops'"),
    ("  api:\n    owner: {team: ops}\n", 16, "services.api.owner.team", "unknown owner type"),
    ("  api:\n    owner: {user: anna, schedule: sch_ops}\n", 16, "services.api.owner", "exactly one of user, schedule"),
    ("  api:\n    depends_on: [postgres, redis]\n", 16, "services.api.depends_on[1]",
     "no service with key 'redis' in services (keys: web, postgres, api)"),
    ("  api:\n    depends_on: postgres\n", 16, "services.api.depends_on", "must be a list of strings"),
    ("  bad key!:\n    name: x\n", 15, "services.bad key!", "is not a valid service key"),
]


def problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "upstatd.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    return [message.removeprefix(f"{path}:") for message in caught.value.messages]   # "<line>: <key>: ..."


@pytest.mark.parametrize("service, line, where, words", CASES, ids=[case[2] for case in CASES])
def test_it_names_file_line_and_key(tmp_path, service, line, where, words):
    [message] = problems(tmp_path, HEAD + service)
    assert message.startswith(f"{line}: {where}: ") and words in message, message


def test_a_cycle_is_named_by_its_keys(tmp_path):
    cycle = HEAD.replace("  postgres:\n    tier: 1\n", "  postgres:\n    tier: 1\n    depends_on: [api]\n") + \
        "  api:\n    depends_on: [web]\n"
    assert problems(tmp_path, cycle) == [
        "12: services.web.depends_on: cycle web -> postgres -> api -> web (a service cannot need itself, "
        "directly or through others)"]
    itself = HEAD + "  api:\n    depends_on: [api]\n"
    assert problems(tmp_path, itself) == [
        "16: services.api.depends_on: cycle api -> api (a service cannot need itself, directly or through others)"]


def test_a_subject_must_name_a_service_of_the_file(tmp_path):
    removed = HEAD.split("services:")[0]
    assert problems(tmp_path, removed) == [
        "5: monitors[0].service: no services entry with key 'web' (services keys: none defined; one made over "
        "the API is named by its id, svc_...)",
        "7: heartbeats[0].service: no services entry with key 'postgres' (services keys: none defined; one made "
        "over the API is named by its id, svc_...)"]


def test_the_file_reads_into_service_specs(tmp_path):
    path = tmp_path / "upstatd.yaml"
    path.write_text(HEAD + "  api:\n    name: Public API\n    description: JSON\n    owner: {schedule: sch_ops}\n"
                           "    links: [{title: Dashboard, url: 'https://grafana.example.com/d/api'}]\n"
                           "    tags: [backend]\n    metadata: {team: platform}\n    depends_on: [postgres, postgres]\n")
    config = load_config(str(path))
    web, postgres, api = config.services
    assert (web.key, web.name, web.owner, web.depends_on) == ("web", "Web shop", ("user", "anna"), ("postgres",))
    assert (postgres.name, postgres.tier, postgres.owner, postgres.depends_on) == ("postgres", 1, None, ())
    assert (api.description, api.owner, api.links, api.tags, api.metadata, api.depends_on) == (
        "JSON", ("schedule", "sch_ops"), (Link("Dashboard", "https://grafana.example.com/d/api"),), ("backend",),
        {"team": "platform"}, ("postgres",))
    assert (config.monitors[0].service, config.heartbeats[0].service) == ("web", "postgres")
