"""Templates are the caller's (config): any part can be overridden, and every
one runs in Jinja2's sandbox, so a template that reaches for Python's
internals is refused with a clear error; so is a template that does not
compile, names a variable that does not exist or is not a known part."""

from __future__ import annotations

import pytest
from alertkit import facts

from upstatd.alerts.message import TemplateProblem, check_templates, render


def test_a_caller_overrides_any_part():
    message = render(facts(), "https://s.example", templates={
        "subject": "{{ name|upper }} {{ headline }}", "text": "{{ kind }} {{ down_for }}", "html": "<p>{{ error }}</p>"})
    assert message.subject == "SHOP FRONTEND DOWN"
    assert message.text == "monitor 12m 5s"
    assert message.html == "<p>timeout: no answer within 10s</p>"


@pytest.mark.parametrize("part", ["subject", "text", "html"])
@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ name.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('id') }}",
    "{{ phases.__class__.__init__.__globals__ }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
])
def test_reaching_python_internals_is_refused(part, source):
    with pytest.raises(TemplateProblem, match=rf"^{part} template: refused by the sandbox: access to attribute '__\w+__' .* is unsafe"):
        render(facts(), templates={part: source})


def test_format_strings_cannot_reach_attributes_either():
    with pytest.raises(TemplateProblem, match="^text template: refused by the sandbox"):
        render(facts(), templates={"text": "{{ '{0.__class__}'.format(name) }}"})


@pytest.mark.parametrize("templates, error, compiles", [
    ({"text": "{% if %}"}, r"^text template, line 1: ", False),
    ({"html": "ok\n{{ name"}, r"^html template, line 2: ", False),
    ({"body": "{{ name }}"}, r"^unknown template 'body'", False),
    ({"subject": "{{ no_such_fact }}"}, r"^subject template: 'no_such_fact' is undefined", True),
    ({"text": "{{ 1 // 0 }}"}, r"^text template: ZeroDivisionError", True),
])
def test_a_broken_template_is_a_clear_error(templates, error, compiles):
    with pytest.raises(TemplateProblem, match=error):
        render(facts(), templates=templates)
    if compiles:
        check_templates(templates)  # only rendering finds it
    else:
        with pytest.raises(TemplateProblem, match=error):
            check_templates(templates)  # found before any alert is sent
