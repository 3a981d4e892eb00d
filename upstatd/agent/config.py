"""`upstatd agent`'s settings: a YAML file (`-c agent.yaml`), flags and the environment,
flags first, then the environment, then the file.

    server: https://upstatd.example.com        # --server, UPSTATD_AGENT_SERVER
    token_file: /etc/upstatd-agent/token        # --token-file, UPSTATD_AGENT_TOKEN (the token itself)
    region: eu-west                              # --region, UPSTATD_AGENT_REGION; optional
    max_in_flight: 1000                          # --max-in-flight: probes running at once, at most
    spool:
      path: /var/lib/upstatd-agent/spool.db      # --spool
      max_size: 64MiB                            # bytes of spooled results (config.check.byte_size)
      max_age: 1d                                # older spooled results are dropped

The file is read as the daemon reads its own (config/source.py: `${VAR}`, lines), so an
error reads `agent.yaml:4: spool.max_size: must be a size like ...`. The token file must
be readable by its owner only (token_file.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

from upstatd.config.check import Invalid, Problems, block, byte_size, duration, take, text
from upstatd.config.load import ConfigError, read_file
from upstatd.config.regions import region_name
from upstatd.config.schema import SCHEDULER_FIELDS
from upstatd.token_file import TokenFileError, read_token_file

ENV_SERVER = "UPSTATD_AGENT_SERVER"
ENV_TOKEN = "UPSTATD_AGENT_TOKEN"
ENV_REGION = "UPSTATD_AGENT_REGION"
ENV_MAX_IN_FLIGHT = "UPSTATD_AGENT_MAX_IN_FLIGHT"
DEFAULT_SPOOL = "/var/lib/upstatd-agent/spool.db"
DEFAULT_MAX_SIZE = 64 * 1024 * 1024
DEFAULT_MAX_AGE = 86400.0

KEYS = ("server", "token_file", "region", "max_in_flight", "spool")
SPOOL_KEYS = ("path", "max_size", "max_age")
MAX_SIZE = byte_size(min=64 * 1024)
MAX_AGE = duration(min=60)
IN_FLIGHT = SCHEDULER_FIELDS["max_in_flight"]  # the daemon's rule for its own
DEFAULT_IN_FLIGHT = 1000


def in_flight(value: str) -> int:
    """A flag's or the environment's text, by the daemon's rule once it is a number."""
    try:
        number = int(value.strip())
    except ValueError:
        raise Invalid(f"must be a whole number, got '{value}'") from None
    return IN_FLIGHT(number)


class AgentConfig(msgspec.Struct, frozen=True, kw_only=True):
    server: str                      # the daemon's base URL: http(s)://host:port
    token: str = msgspec.field(default="")  # never logged: see __repr__
    region: str | None = None        # when given, the assignment's region must be it
    max_in_flight: int = DEFAULT_IN_FLIGHT  # the Runner's cap, as the daemon's server.max_in_flight
    spool_path: str = DEFAULT_SPOOL
    spool_max_size: int = DEFAULT_MAX_SIZE   # bytes
    spool_max_age: float = DEFAULT_MAX_AGE   # seconds
    file: str | None = None

    def __repr__(self) -> str:  # a config in a traceback or a log line must not carry the token
        return (f"AgentConfig(server={self.server!r}, region={self.region!r}, spool_path={self.spool_path!r}, "
                f"file={self.file!r})")


def server_url(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("must be the daemon's URL, like https://upstatd.example.com")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"'{value}' is not an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise Invalid("must not carry credentials (user:password@): the agent token is the agent's")
    if parts.query or parts.fragment:
        raise Invalid(f"'{value}' must not have a query or fragment")
    return value.strip().rstrip("/")


def load_agent_config(file: str | None = None, *, server: str | None = None, token_file: str | None = None,
                      region: str | None = None, spool: str | None = None, max_in_flight: str | None = None,
                      environ: Mapping[str, str] = os.environ) -> AgentConfig:
    """The settings, or ConfigError with every problem (`file:line: key: message`)."""
    problems = Problems(file or "agent")
    section: dict = {}
    if file is not None:
        section = block(read_file(file, problems, environ), (), problems, KEYS) or {}
    spool_section = block(section.get("spool"), ("spool",), problems, SPOOL_KEYS) or {}
    messages: list[str] = []

    def pick(flag, flag_name: str, env_name: str, key: str, parse, parse_file=None):
        """The flag's value, else the environment's, else the file's (errors of a flag or
        the environment name it; of the file, its line). A flag and the environment are text;
        `parse_file`, when given, is the file's own rule (a YAML number, not a quoted one)."""
        for value, where in ((flag, flag_name), (environ.get(env_name) or None, env_name)):
            if value is not None:
                try:
                    return parse(value)
                except Invalid as exc:
                    messages.append(f"{where}: {exc}")
                    return None
        return take(section, key, parse_file or parse, (), problems)

    url = pick(server, "--server", ENV_SERVER, "server", server_url)
    wanted = pick(region, "--region", ENV_REGION, "region", region_name)
    cap = pick(max_in_flight, "--max-in-flight", ENV_MAX_IN_FLIGHT, "max_in_flight", in_flight, IN_FLIGHT)
    token = _token(token_file, section, problems, messages, environ, file)
    max_size = take(spool_section, "max_size", MAX_SIZE, ("spool",), problems, DEFAULT_MAX_SIZE)
    max_age = take(spool_section, "max_age", MAX_AGE, ("spool",), problems, DEFAULT_MAX_AGE)
    path = spool or take(spool_section, "path", text(max_len=4096), ("spool",), problems, DEFAULT_SPOOL)
    if url is None and not messages and not problems:
        messages.append(f"no server: give --server URL, set {ENV_SERVER} or write `server:` in the config file")
    if token is None and not messages and not problems:
        messages.append(f"no agent token: give --token-file FILE, set {ENV_TOKEN} or write `token_file:` "
                        "in the config file")
    if problems or messages:
        raise ConfigError(problems.messages() + messages)
    return AgentConfig(server=url, token=token, region=wanted, max_in_flight=DEFAULT_IN_FLIGHT if cap is None else cap,
                       spool_path=os.path.abspath(path),
                       spool_max_size=max_size, spool_max_age=max_age, file=file)


def _token(flag: str | None, section: dict, problems: Problems, messages: list[str],
           environ: Mapping[str, str], file: str | None) -> str | None:
    if flag is not None:
        try:
            return read_token_file(flag, f"--token-file {flag}")
        except TokenFileError as exc:
            messages.append(str(exc))
            return None
    token = environ.get(ENV_TOKEN, "").strip()
    if token:
        return token
    path = section.get("token_file")
    if path is None:
        return None
    if not isinstance(path, str) or not path:
        problems.add(("token_file",), "must be the path of a file holding the agent token")
        return None
    if file is not None:  # relative to the file, as the daemon reads its config's paths
        path = os.path.join(os.path.dirname(os.path.abspath(file)), path)
    try:
        return read_token_file(path, path)
    except TokenFileError as exc:
        problems.add(("token_file",), str(exc))
        return None
