"""URL builders compiled on first use (issue 15: the hot swap builds an app per version).

Every rule of the real app builds the same URL as Werkzeug's own eager rule, and building
the app compiles almost no builder."""

from __future__ import annotations

from typing import Any

from tests.web_support import WebClient
from werkzeug.routing import Map, Rule

from uchet.web.lazyrules import LazyBuilderRule


def _sample(rule: Rule) -> dict[str, Any]:
    """A value for each of the rule's arguments that its converter accepts."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        values[name] = 7 if "Integer" in converter or "Id" in converter else "x"
    return values


def test_every_rule_builds_what_werkzeug_builds(client: WebClient, monkeypatch: Any) -> None:
    compiled: list[str] = []
    eager = Rule._compile_builder

    def counting(rule: Rule, append_unknown: bool = True) -> Any:
        compiled.append(rule.rule)
        return eager(rule, append_unknown)

    monkeypatch.setattr(Rule, "_compile_builder", counting)
    inner = client.app.extensions["uchet"].hotswap.current()
    lazy_map = inner.url_map
    rules = list(lazy_map.iter_rules())
    # All but Flask's own static rule, made before the app could choose the class.
    assert len(rules) > 500
    assert [r.endpoint for r in rules if not isinstance(r, LazyBuilderRule)] == ["static"]
    static = [r.rule for r in rules if r.endpoint == "static"]
    assert set(compiled) <= set(static)  # the app is built: no builder of ours compiled yet
    compiled.clear()
    copies = [Rule(r.rule, endpoint=r.endpoint, defaults=r.defaults, methods=r.methods)
              for r in rules]  # fmt: skip
    plain = Map(copies, converters=lazy_map.converters, strict_slashes=lazy_map.strict_slashes)
    lazy = lazy_map.bind("example.test", "/")
    eager_adapter = plain.bind("example.test", "/")
    for rule in rules:
        values = {**_sample(rule), "extra": "a b"}  # an unknown argument: the query string
        method = sorted(rule.methods or {"GET"})[0]
        assert lazy.build(rule.endpoint, values, method=method) == eager_adapter.build(
            rule.endpoint, values, method=method
        ), rule.rule
    assert compiled  # built now, on first use
