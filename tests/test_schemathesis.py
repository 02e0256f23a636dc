"""Schemathesis against the app's own /openapi.json (in-process ASGI): generated requests,
valid and invalid, checked for server errors and for responses that break the schema.

Written with the strategy API (``operation.as_strategy`` + ``@given``) rather than
``@schema.parametrize()``: with pytest 9 the lazy fixture-backed loader
(``schemathesis.pytest.from_fixture``) fails (it sets ``request.node._nodeid``), and a schema
loaded at import time would load the engine during collection.

One check is replaced, not dropped: ``positive_data_acceptance`` expects every schema-valid
body to be accepted, but the question has content rules JSON Schema does not express (not
blank after trimming whitespace, no control characters, at most 1000 characters after
whitespace is collapsed). For those, a 422 that names the broken rule is the designed answer;
``content_rule_refusal`` below accepts exactly that and fails on any other refusal.
"""

from __future__ import annotations

import unicodedata

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

# Derandomized: the same examples on every run, so a failure here is never a fluke of the seed.
EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                    derandomize=True)


@pytest.fixture(scope="module")
def api_schema(engine, tmp_path_factory):
    from colnato_qa.web.server import create_app

    # Schemathesis's in-process client names its host "testserver": the Host allow-list must know it.
    app = create_app(engine=engine, feedback_path=tmp_path_factory.mktemp("feedback") / "feedback.jsonl",
                     allowed_hosts=["testserver"])
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def operations(schema):
    return {f"{op.method.upper()} {op.path}": op for op in (r.ok() for r in schema.get_all_operations())}


def breaks_a_content_rule(question: str) -> str | None:
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t\r" for c in question):
        return "control characters"
    collapsed = " ".join(question.split())
    if not collapsed:
        return "empty"
    if len(collapsed) > 1000:
        return "limit"
    return None


def content_rule_refusal(ctx, response, case):
    """Schema-valid bodies are answered (200), unless the question breaks a content rule, in
    which case the 422 message names that rule."""
    if case.operation.path != "/api/ask" or case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return None
    body = case.body if isinstance(case.body, dict) else {}
    rule = breaks_a_content_rule(body.get("question", "")) if isinstance(body.get("question"), str) else None
    if rule is None:
        assert response.status_code == 200, f"schema-valid request refused: {response.status_code} {response.text[:300]}"
    else:
        assert response.status_code == 422, f"question breaking '{rule}' got {response.status_code}"
        assert rule in response.json()["detail"], response.text[:300]
    return True


def test_schema_lists_the_api(api_schema):
    assert {"POST /api/ask", "GET /healthz"} <= set(operations(api_schema))


@pytest.mark.parametrize("label, mode", [
    ("POST /api/ask", GenerationMode.POSITIVE),
    ("POST /api/ask", GenerationMode.NEGATIVE),
    ("GET /healthz", GenerationMode.POSITIVE),   # no parameters: nothing to make invalid
    ("GET /api/embed-check", GenerationMode.POSITIVE),   # any Origin header
], ids=lambda v: v.value if isinstance(v, GenerationMode) else v)
def test_api_conforms_to_its_schema(api_schema, label, mode):
    operation = operations(api_schema)[label]
    seen = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @EXAMPLES
    def check(case):
        response = case.call_and_validate(excluded_checks=[positive_data_acceptance],
                                          additional_checks=[content_rule_refusal])
        assert response.status_code < 500
        seen.append(response.status_code)

    check()
    assert seen
