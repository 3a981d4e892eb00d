"""Over the API, a bad person is refused naming the param: a well-formed value
that fails a check is 422, an unknown field or a wrong type 400. Contact
methods are checked one by one: a channel ref must name a shared channel, an
address must look like one, `via` must name an email channel (or be left out
only when exactly one exists), an Apprise URL must be one Apprise can use
(and the refusal does not quote it)."""

from __future__ import annotations

from peoplekit import relay


async def test_each_mistake_names_its_param(start_api, smtp):
    api = await start_api(relay(smtp))
    for body, status, param in [
        ({}, 400, "name"),
        ({"name": ""}, 422, "name"),
        ({"name": "Anna", "timezone": "Mars/Base"}, 422, "timezone"),
        ({"name": "Anna", "email": "not an address"}, 422, "email"),
        ({"name": "Anna", "contact_methods": [{"channel": "nope"}]}, 422, "contact_methods.0.channel"),
        ({"name": "Anna", "contact_methods": [{"channel": "chat"}, {"email": "anna"}]}, 422,
         "contact_methods.1.email"),
        ({"name": "Anna", "contact_methods": [{"email": "anna@example.com", "via": "chat"}]}, 422,
         "contact_methods.0.via"),
        ({"name": "Anna", "contact_methods": [{"email": "anna@example.com", "via": "ch_nothing"}]}, 422,
         "contact_methods.0.via"),
        ({"name": "Anna", "contact_methods": [{"apprise": "nosuchscheme://secret-token"}]}, 422,
         "contact_methods.0.apprise"),
        ({"name": "Anna", "contact_methods": [{"channel": "chat", "apprise": "ntfys://ntfy.sh/x"}]}, 422,
         "contact_methods.0"),
        ({"name": "Anna", "contact_methods": [{"phone": "+371"}]}, 422, "contact_methods.0"),
        ({"name": "Anna", "contact_methods": [{"channel": "chat", "via": "relay"}]}, 400,
         "contact_methods.0.via"),
        ({"name": "Anna", "colour": "red"}, 400, "colour"),
        ({"name": 5}, 400, "name"),
        ({"name": "Anna", "metadata": {"k" * 41: "v"}}, 422, "metadata." + "k" * 41),
    ]:
        got, _, answer = await api.request("POST", "/api/people", json=body)
        assert (got, answer["error"]["param"]) == (status, param), (body, answer)
        assert "secret-token" not in answer["error"]["message"]
    status, _, listed = await api.request("GET", "/api/people")
    assert listed["data"] == []


async def test_via_may_be_left_out_only_with_exactly_one_email_channel(start_api, smtp):
    api = await start_api(relay(smtp) + f"""  - {{key: relay2, type: email, email: {{host: 127.0.0.1, port: {smtp.port},
      security: none, from: upstatd@example.com, to: [ops@example.com]}}}}
""")
    status, _, answer = await api.request("POST", "/api/people", json={
        "name": "Anna", "contact_methods": [{"email": "anna@example.com"}]})
    assert (status, answer["error"]["param"]) == (422, "contact_methods.0.via"), answer
    assert "there are 2 email channels" in answer["error"]["message"]
