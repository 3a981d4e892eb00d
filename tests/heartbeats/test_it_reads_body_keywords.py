"""What a ping's body makes of it (upstatd.heartbeats.keywords.classify), as a
table: the kind its URL gave, the body, the heartbeat's body_keywords, the
kind it counts as. Healthchecks' order (failure, success, start), compared
without regard to case."""

from __future__ import annotations

import pytest

from upstatd.heartbeats.keywords import BodyKeywords, classify

FAIL_ONLY = BodyKeywords(failure=("ERROR", "Traceback"))
ALL = BodyKeywords(start=("starting",), success=("backup complete",), failure=("error",), otherwise="ignore")
STRICT = BodyKeywords(success=("ok: 0 problems",), otherwise="failure")

CASES = [
    pytest.param("success", b"anything", None, "success", id="no-keywords-as-the-url-says"),
    pytest.param("success", b"dump done", FAIL_ONLY, "success", id="fail-only-no-match-success"),
    pytest.param("success", b"pg_dump: error: connection refused", FAIL_ONLY, "fail",
                 id="failure-keyword-in-a-success-makes-a-failure"),
    pytest.param("success", b"Error", FAIL_ONLY, "fail", id="case-insensitive"),
    pytest.param("success", "STRASSE Fehler".encode(), BodyKeywords(failure=("straße",)), "fail",
                 id="casefolded-not-only-lowered"),
    pytest.param("success", b"\xff\xfe Traceback (most recent call last)", FAIL_ONLY, "fail",
                 id="bad-utf8-still-read"),
    pytest.param("success", b"", FAIL_ONLY, "success", id="empty-body-otherwise"),
    pytest.param("success", b"Backup complete, 0 error(s)", ALL, "fail", id="failure-before-success"),
    pytest.param("success", b"backup complete", ALL, "success", id="success-keyword"),
    pytest.param("success", b"starting backup complete", ALL, "success", id="success-before-start"),
    pytest.param("success", b"starting the backup", ALL, "start", id="start-keyword"),
    pytest.param("success", b"nothing to say", ALL, "ignored", id="otherwise-ignore"),
    pytest.param("success", b"nothing to say", STRICT, "fail", id="otherwise-failure"),
    pytest.param("success", b"OK: 0 problems", STRICT, "success", id="success-matches-strict"),
    # the kind a URL names is never reread
    pytest.param("fail", b"backup complete", ALL, "fail", id="a-fail-stays-a-fail"),
    pytest.param("start", b"error", ALL, "start", id="a-start-stays-a-start"),
    pytest.param("log", b"error", ALL, "log", id="a-log-stays-a-log"),
    pytest.param("ignored", b"error", ALL, "ignored", id="ignored-stays-ignored"),
]


@pytest.mark.parametrize("kind, body, keywords, expected", CASES)
def test_classify(kind, body, keywords, expected):
    assert classify(kind, body, keywords) == expected
