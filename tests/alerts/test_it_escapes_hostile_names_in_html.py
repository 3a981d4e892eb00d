"""Names, URLs and errors come from config, API callers and probed servers:
in the HTML part they are text, never markup; the plain text keeps them as is."""

from __future__ import annotations

import pytest
from alertkit import facts

from upstatd.alerts.message import render

HOSTILE = "<script>alert('x')</script>"


@pytest.mark.parametrize("field", ["name", "url", "error_message", "acknowledged_by"])
def test_a_hostile_value_is_escaped_in_html(field):
    message = render(facts(reason="acknowledged" if field == "acknowledged_by" else "opened", **{field: HOSTILE}))
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in message.html
    assert HOSTILE in message.text  # plain text is not HTML


def test_a_hostile_link_cannot_break_out_of_its_attribute():
    message = render(facts(acknowledge_url='https://x/"><script>1</script>'))
    assert "<script>" not in message.html
    assert 'href="https://x/&#34;&gt;&lt;script&gt;1&lt;/script&gt;"' in message.html


def test_an_overriding_html_template_escapes_too():
    message = render(facts(name=HOSTILE), templates={"html": "<b>{{ name }}</b>"})
    assert message.html == "<b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</b>"
