"""Schemathesis against the generated OpenAPI document of the CRM (issue 18, Proof): for a
bounded number of generated examples per operation, the API never answers 5xx and its
answers conform to the document. Bounded and derandomized (the same examples every run),
over a live server on 127.0.0.1, with an administrator's token; on SQLite."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from uchet.platform.records.tokens import TokenStore

#: The tables whose operations are fuzzed (a bounded run: every operation of the CRM would
#: take minutes; these cover references, choices, rollups, files, phones, children, the
#: batch update, file uploads, the reports and the dashboard).
TABLES = ("/clients", "/contacts", "/client_categories", "/-/lookup", "/-/reports", "/-/dashboard")
EXAMPLES = 5


def _checker(op: Any, headers: dict[str, str], failures: list[str], calls: list[int]) -> Any:
    """A Hypothesis test of one operation: every generated request gets no 5xx and an answer
    that conforms to the document."""
    label = f"{op.method.upper()} {op.path}"

    @given(case=op.as_strategy())
    # No shrinking: a failure is reported as found (shrinking re-sends hundreds of requests).
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        calls.append(response.status_code)
        try:
            case.validate_response(response, checks=[not_a_server_error,
                                                     response_schema_conformance])  # fmt: skip
        except Exception as exc:  # the operation's first failure, with its request
            failures.append(f"{label}: {str(exc)[:400]}")
            raise

    return check


def test_generated_requests_get_no_server_error_and_conform(live_server: Any) -> None:
    import requests

    platform = live_server.platform
    admin = platform.test_users["admin"]
    store = TokenStore(platform.engine, platform.runtime.model.system["uchet_api_tokens"],
                       platform.users)  # fmt: skip
    headers = {"Authorization": f"Bearer {store.create(admin.id, 'fuzz')[1]}"}
    doc = requests.get(live_server.url + "/api/v1/openapi.json", headers=headers, timeout=30).json()
    schema = schemathesis.openapi.from_dict(doc)
    schema.config.update(base_url=live_server.url + "/api/v1")
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path.startswith(TABLES):
            try:
                _checker(op, headers, failures, calls)()
            except Exception as exc:  # a failure is in failures; anything else is one too
                if not failures or not failures[-1].startswith(f"{op.method.upper()} {op.path}"):
                    failures.append(
                        f"{op.method.upper()} {op.path}: {type(exc).__name__} {exc}"[:600]
                    )
    assert failures == [], "\n".join(failures)
    assert len(calls) >= 10 * EXAMPLES // 2  # the operations were really exercised
