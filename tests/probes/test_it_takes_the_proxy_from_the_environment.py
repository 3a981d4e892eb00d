"""proxy: env takes https_proxy/HTTPS_PROXY, http_proxy/HTTP_PROXY and no_proxy/NO_PROXY
from the environment when the config is read (not per probe), and NO_PROXY is asked
again on every redirect hop. Without `env` the environment is not looked at."""

from urllib.parse import quote

from upstatd.config.check import Problems
from upstatd.probes import run_probe
from upstatd.probes.http import prepare
from upstatd.probes.proxy import Proxy


def target(url: str, environ: dict, **options):
    problems = Problems("config.yaml")
    made = prepare(url, options, ("monitors", 0), problems, environ=environ)
    assert not problems, problems.messages()
    return made


async def test_env_picks_the_proxy_of_the_scheme(web, tls_web, proxy):
    plain, secure = await proxy(), await proxy()
    environ = {"HTTP_PROXY": plain.url(), "HTTPS_PROXY": secure.url()}
    for url in (web.url("/ok"), tls_web.url("/ok")):
        result = await run_probe("http", target(url, environ, proxy="env", verify_tls=False), 2)
        assert (result.ok, result.status_code) == (True, 200), result.error_message
    assert [p.method for p in plain.seen] == ["GET"]
    assert [p.method for p in secure.seen] == ["CONNECT"]


def test_lowercase_wins_a_bare_host_port_is_http_and_credentials_are_taken():
    environ = {"https_proxy": "ana:pw@127.0.0.1:3128", "HTTPS_PROXY": "http://127.0.0.1:9999",
               "http_proxy": "", "HTTP_PROXY": "http://127.0.0.2:8080/"}
    made = target("https://example.com/", environ, proxy="env")
    assert (made.proxy.https, made.proxy.http) == (
        Proxy("127.0.0.1", 3128, "Basic YW5hOnB3"), Proxy("127.0.0.2", 8080))  # an empty variable is unset
    assert made.via == made.proxy.https


def test_the_environment_is_read_when_the_config_is_and_only_for_env():
    environ = {"HTTPS_PROXY": "http://127.0.0.1:3128"}
    made = target("https://example.com/", environ, proxy="env")
    environ["HTTPS_PROXY"] = "http://127.0.0.1:4444"  # a later change is not seen by that target
    assert made.via == Proxy("127.0.0.1", 3128)
    assert target("https://example.com/", environ).via is None
    assert target("https://example.com/", environ, proxy="http://127.0.0.9:81").via == Proxy("127.0.0.9", 81)


def test_only_one_scheme_set_leaves_the_other_direct():
    made = target("http://example.com/", {"HTTPS_PROXY": "http://127.0.0.1:3128"}, proxy="env")
    assert (made.via, made.request.startswith(b"GET / HTTP/1.1\r\n")) == (None, True)


async def test_no_proxy_sends_a_target_direct(web, proxy):
    via = await proxy()
    environ = {"HTTP_PROXY": via.url(), "NO_PROXY": "localhost,127.0.0.0/8"}
    result = await run_probe("http", target(web.url("/ok"), environ, proxy="env"), 2)
    assert (result.ok, via.seen, [s.path for s in web.seen]) == (True, [], ["/ok"])


async def test_no_proxy_is_asked_again_on_each_redirect_hop(web, other_web, proxy):
    via = await proxy()
    # 127.0.0.1 goes direct; localhost (the same origins, by name) through the proxy
    environ = {"http_proxy": via.url(), "no_proxy": "127.0.0.1"}
    to_direct = f"http://localhost:{web.port}/redirect-to?url={quote(other_web.url('/ok'), safe='')}"
    result = await run_probe("http", target(to_direct, environ, proxy="env"), 2)
    assert (result.ok, result.status_code) == (True, 200), result.error_message
    assert [p.target for p in via.seen] == [to_direct]
    assert [s.path for s in other_web.seen] == ["/ok"]

    via.seen.clear()
    to_proxied = web.url(f"/redirect-to?url={quote(f'http://localhost:{other_web.port}/echo', safe='')}")
    result = await run_probe("http", target(to_proxied, environ, proxy="env"), 2)
    assert (result.ok, result.status_code) == (True, 200), result.error_message
    assert [p.target for p in via.seen] == [f"http://localhost:{other_web.port}/echo"]
