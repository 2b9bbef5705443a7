"""Property-based abuse of every operation the published OpenAPI document describes.

For each request the server must answer below 500, a refusal must be the documented error shape
with a message for people, and a refused request must leave the database exactly as it was. On
SQLite and PostgreSQL. `CONGRESS_FUZZ_EXAMPLES` sets the number of requests per backend (CI
keeps the default small and its draws fixed; `CONGRESS_FUZZ_RANDOM=1` draws anew each run).
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from congress.db import Database
from congress.settings import Settings
from tests.abuse.inputs import as_json_bytes, from_schema, text_values, upload_bytes, wild_json
from tests.abuse.world import World, build_world, cheap_passwords

EXAMPLES = int(os.environ.get("CONGRESS_FUZZ_EXAMPLES", "200"))
RANDOM = os.environ.get("CONGRESS_FUZZ_RANDOM") == "1"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SEEN: collections.Counter[str] = collections.Counter()


@pytest.fixture
def world(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    cheap_passwords(monkeypatch)
    yield from build_world(settings, db)


def operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    answer = world.callers["nobody"].client.get("/api/openapi.json")
    assert answer.status_code == 200
    return [
        (path, method.upper(), spec)
        for path, methods in answer.json()["paths"].items()
        for method, spec in methods.items()
    ]


@st.composite
def path_value(draw: st.DrawFn, world: World, parameter: dict[str, Any]) -> str:
    name, schema = parameter["name"], parameter["schema"]
    if schema.get("type") == "integer":
        known = world.ids.get(name, [1])
        value = draw(st.one_of(st.sampled_from(known), from_schema(schema)))
    else:
        value = draw(st.one_of(st.just(world.slug), st.just(world.slug), text_values()))
    return quote(str(value), safe="") or "x"


@st.composite
def request_for(
    draw: st.DrawFn, world: World, operation: tuple[str, str, dict[str, Any]]
) -> dict[str, Any]:
    path, method, spec = operation
    url = path
    query: dict[str, str] = {}
    for parameter in spec.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", draw(path_value(world, parameter)))
        elif draw(st.booleans()):
            query[parameter["name"]] = str(draw(from_schema(parameter["schema"])))[:500]
    if draw(st.integers(0, 9)) == 0:
        query[draw(st.text(min_size=1, max_size=8))] = draw(text_values())[:200]
    caller = draw(st.sampled_from(sorted(world.callers)))
    sent: dict[str, Any] = {"method": method, "url": url, "params": query, "caller": caller}
    content = spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = content["application/json"]["schema"]
        body = draw(
            st.one_of(
                from_schema(schema).map(as_json_bytes),
                from_schema(schema).map(as_json_bytes),
                wild_json().map(as_json_bytes),
                st.sampled_from([b"", b"{", b"\xff\xfe", b"[]" * 3000, b'{"a":' * 200]),
            )
        )
        sent["content"] = body
        sent["headers"] = {"content-type": "application/json"}
    elif "multipart/form-data" in content:
        schema = content["multipart/form-data"]["schema"]
        files, data = [], {}
        for name, sub in schema.get("properties", {}).items():
            if not draw(st.integers(0, 5)):
                continue  # a field left out
            if sub.get("format") == "binary":
                files.append((name, ("upload.bin", draw(upload_bytes()), "application/pdf")))
            else:
                data[name] = str(draw(from_schema(sub)))[:2000]
        sent["files"] = files or None
        sent["data"] = data
    return sent


def send(world: World, request: dict[str, Any]) -> Any:
    caller = world.callers[request["caller"]]
    headers = {**caller.headers, **request.get("headers", {})}
    return caller.client.request(
        request["method"],
        request["url"],
        params=request["params"],
        content=request.get("content"),
        data=request.get("data"),
        files=request.get("files"),
        headers=headers,
        follow_redirects=False,
    )


def check(world: World, request: dict[str, Any]) -> None:
    before = world.digest()
    answer = send(world, request)
    where = f"{request['caller']} {request['method']} {request['url']} {request['params']}"
    SEEN[f"{answer.status_code}"] += 1
    assert answer.status_code < 500, f"{where} -> {answer.status_code}: {answer.text[:400]}"
    if answer.status_code >= 400:
        if answer.status_code not in (404, 405) or answer.headers.get(
            "content-type", ""
        ).startswith("application/json"):
            error = answer.json()["error"]
            assert error["code"] and error["message"], where
        assert world.digest() == before, f"{where} -> {answer.status_code} changed the database"


def test_every_json_route_is_described(app: Any) -> None:
    from starlette.testclient import TestClient

    from congress.openapi import api_routes, operation_of

    undescribed = [path for path, route in api_routes(app.routes) if operation_of(route) is None]
    assert undescribed == []
    with TestClient(app, base_url="http://testserver") as client:
        document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            assert spec["summary"] and spec["responses"], (path, method)
            for parameter in spec["parameters"]:
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path
            if method == "post":
                assert "requestBody" in spec, (path, method)


def test_the_json_api_under_fuzz(world: World) -> None:
    ops = operations(world)
    assert len(ops) >= 15
    SEEN.clear()

    @FUZZ
    @given(st.data())
    def one(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(ops))
        check(world, data.draw(request_for(world, operation)))

    one()
    print(f"\nJSON API fuzz on {world.settings.database_url.split(':')[0]}: {dict(SEEN)}")
    assert sum(SEEN.values()) >= EXAMPLES
