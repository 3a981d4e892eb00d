"""http.proxy in the config chain: a bad URL, scheme or port, `env` with nothing (or
nothing usable) to take, and the options it conflicts with: each a specific message
under monitors[N].http.proxy that never shows the credentials."""

import pytest

from upstatd.config.check import Problems
from upstatd.probes.http import prepare

WHERE = "config.yaml:1: monitors[0].http"


def messages(options, environ=None, url="https://example.com/"):
    problems = Problems("config.yaml")
    prepare(url, options, ("monitors", 0), problems, environ=environ or {})
    return problems.messages()


@pytest.mark.parametrize("proxy, message", [
    ("proxy.example:3128", "must be http://[user:password@]host:port (an HTTP proxy; SOCKS is not supported), "
                           "got 'proxy.example:3128'"),
    ("socks5://ana:s3cret@127.0.0.1:1080", "must be http://[user:password@]host:port (an HTTP proxy; SOCKS is not "
                                           "supported), got 'socks5://ana:********@127.0.0.1:1080'"),
    ("https://127.0.0.1:3128", "an https:// proxy (TLS to the proxy) is not supported: give its http:// address; an "
                               "https target is still tunnelled through it with CONNECT and encrypted end to end"),
    ("http://ana:s3cret@proxy.example", "must name the proxy's port, like http://proxy.example:3128, "
                                        "got 'http://ana:********@proxy.example'"),
    ("http://proxy.example:0", "port must be 1-65535, got '0'"),
    ("http://proxy.example:3128/path", "must be http://[user:password@]host:port without a path, "
                                       "got 'http://proxy.example:3128/path'"),
    ("http://ana:pa/ss@127.0.0.1:3128", "must be http://[user:password@]host:port without a path, "
                                        "got 'http://ana:********@127.0.0.1:3128'"),  # a raw / in the password
    ("http://:3128", "must be http://host:port with a host, got 'http://:3128'"),
    ("http://bad_host!:3128", "'bad_host!' is not a valid host name"),
    ("http://::1:3128", "IPv6 addresses need brackets, like [::1], got 'http://::1:3128'"),
    ("http://:s3cret@127.0.0.1:3128", "the credentials must be user:password@ with a user name, "
                                      "like http://[user:password@]host:port"),
    ("http://ana:********@127.0.0.1:3128", "the credentials are the '********' the API shows in their place: give "
                                           "the real ones (the stored ones are kept only when the proxy URL is sent "
                                           "back exactly as it was shown)"),
    ("http://ana:s3%0Acret@127.0.0.1:3128", "the credentials must not contain control characters or line breaks"),
    (3128, "must be a proxy URL like http://[user:password@]host:port, or env, got a number"),
])
def test_a_bad_proxy_url(proxy, message):
    assert messages({"proxy": proxy}) == [f"{WHERE}.proxy: {message}"]


@pytest.mark.parametrize("environ, message", [
    ({}, "is env, but none of https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY is set in upstatd's environment "
         "(under systemd, set it with Environment= in the unit)"),
    ({"HTTPS_PROXY": "  "}, "is env, but none of https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY is set in "
                            "upstatd's environment (under systemd, set it with Environment= in the unit)"),
    ({"https_proxy": "http://ana:s3cret@proxy.example"},
     "is env, but https_proxy in upstatd's environment is not usable: must name the proxy's port, like "
     "http://proxy.example:3128, got 'http://ana:********@proxy.example'"),
    ({"HTTP_PROXY": "http://127.0.0.1:3128", "NO_PROXY": "localhost,http://internal"},
     "is env, but NO_PROXY in upstatd's environment is not usable: 'http://internal' is not a host name, domain, "
     "IP address or network"),
])
def test_env_with_nothing_usable_to_take(environ, message):
    assert messages({"proxy": "env"}, environ) == [f"{WHERE}.proxy: {message}"]


def test_the_options_a_proxy_conflicts_with():
    assert messages({"proxy": "http://127.0.0.1:3128", "ip_version": 6,
                     "headers": {"Proxy-Authorization": "Basic eDp5"}}) == [
        f"{WHERE}.headers: Proxy-Authorization comes from the credentials in proxy (http://user:password@host:port): "
        "remove it from headers",
        f"{WHERE}.ip_version: cannot be kept through a proxy, which picks the target's address itself: "
        "remove ip_version or proxy"]
    assert messages({"proxy": "http://127.0.0.1:3128", "ip_version": "auto"}) == []


def test_good_forms():
    for proxy in ("http://127.0.0.1:3128", "HTTP://Proxy.Example:3128/", "http://[::1]:8080", " env "):
        assert messages({"proxy": proxy}, {"HTTPS_PROXY": "http://127.0.0.1:1"}) == [], proxy
