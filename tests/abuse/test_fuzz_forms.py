"""Property-based abuse of every form the pages offer.

The suite walks the app's pages as each kind of caller, collects every form that posts (its
action and fields), then posts hostile values: numbers past their range, hostile text, broken
files, a missing or wrong CSRF token, another caller's form, an id in the action pushed past
the range. The server must answer below 500, and a refused request (4xx) must leave the
database as it was. A test fails on a POST route that no page offers a form for and that is
not named below with its reason.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from congress.db import Database
from congress.settings import Settings
from tests.abuse.inputs import NUMBERS, number_text, text_values, upload_bytes
from tests.abuse.test_fuzz_api import EXAMPLES, FUZZ
from tests.abuse.world import World, build_world, cheap_passwords

# POST routes no page offers a form for, and why they are still covered.
NOT_FORMS = {
    "/api/": "the JSON API: the OpenAPI fuzz drives it",
    "/c/{slug}/attendance/{number:id}/{action}": "the doors' buttons post it: covered below",
    "/c/{slug}/counts/{count_id:id}/audit/": "the hand audit's forms show on a closed count with "
    "ballots (this world's closed count has none): tests/ballots/test_audit_pages.py posts them",
}
# Forms that end the caller's own session: posted by the session tests, not here, where they
# would turn the rest of the run into anonymous requests.
SIGNING_OUT = ("/logout", "/signout")
SEEN: collections.Counter[str] = collections.Counter()


@dataclass
class Form:
    action: str
    multipart: bool
    fields: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # name: (kind, options)
    found_by: str = ""


class _Forms(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            action = a.get("action") or self.page
            self.current = Form(action, "multipart" in a.get("enctype", ""))
        elif tag == "button" and self.current is None and a.get("formaction"):
            self.forms.append(Form(a["formaction"], False))
        elif self.current is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            options = self.current.fields.get(a["name"], (kind, []))[1] + [a.get("value", "")]
            self.current.fields[a["name"]] = (kind, options)
            if kind == "file":
                self.current.multipart = True
        elif tag == "textarea" and a.get("name"):
            self.current.fields[a["name"]] = ("text", [])
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.current.fields[a["name"]] = ("select", [])
        elif tag == "option" and self.select:
            self.current.fields[self.select][1].append(a.get("value", ""))
        elif tag == "button" and a.get("name"):
            self.current.fields[a["name"]] = ("select", [a.get("value", "")])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None
        elif tag == "select":
            self.select = None


def _pages(world: World) -> list[tuple[str, str]]:
    """(caller, URL) of every HTML page worth reading, path parameters from the world."""
    values = {name: str(ids[0]) for name, ids in world.ids.items()}
    values |= {"slug": world.slug, "action": "x", "name": "x", "fmt": "csv", "target": "x"}
    values |= world.words
    urls: list[str] = []

    def walk(routes: list[Any], prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes or [], prefix + route.path)
            elif isinstance(route, Route) and "GET" in (route.methods or set()):
                path = prefix + route.path
                if path.startswith(("/api/", "/static")) or re.search(r"\.\w+$|\}\.\{", path):
                    continue
                if path.endswith(("/events", "/image", "/photo", "/bundle", "/logout")):
                    continue
                for name in route.param_convertors:
                    path = re.sub(r"\{" + name + r"(:\w+)?\}", "{" + name + "}", path)
                urls.extend(_filled(path, list(route.param_convertors)))

    def _filled(path: str, names: list[str]) -> list[str]:
        """The path with every combination of known ids (the world has few)."""
        if not names:
            return [path]
        name, rest = names[0], names[1:]
        options = [str(i) for i in world.ids.get(name, [])] or [values.get(name, "1")]
        return [f for o in options for f in _filled(path.replace("{" + name + "}", o), rest)]

    walk(world.app.routes)
    callers = ["organizer", "counting", "checkin", "admin", "delegate", "nobody"]
    return [(caller, url) for url in sorted(set(urls)) for caller in callers]


def discover(world: World) -> list[Form]:
    forms: dict[tuple[str, str], Form] = {}
    for caller, url in _pages(world):
        page = world.callers[caller].client.get(url)
        if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
            continue
        parser = _Forms(url)
        parser.feed(page.text)
        for form in parser.forms:
            action = urlsplit(form.action).path or url
            form.action = action
            form.found_by = caller
            kept = forms.setdefault((action, caller), form)
            for name, spec in form.fields.items():
                kept.fields.setdefault(name, spec)
    return list(forms.values())


@pytest.fixture
def world(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    cheap_passwords(monkeypatch)
    yield from build_world(settings, db)


def _post_routes(world: World) -> list[str]:
    found: list[str] = []

    def walk(routes: list[Any], prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes or [], prefix + route.path)
            elif isinstance(route, Route) and "POST" in (route.methods or set()):
                found.append(prefix + route.path)

    walk(world.app.routes)
    return found


def _route_of(world: World, action: str) -> str | None:
    for path in _post_routes(world):
        pattern = re.sub(r"\{\w+(:\w+)?\}", "[^/]+", path.replace(".", r"\."))
        if re.fullmatch(pattern, action):
            return path
    return None


@st.composite
def value_for(draw: st.DrawFn, kind: str, options: list[str]) -> Any:
    if kind == "file":
        return draw(upload_bytes())
    known = [o for o in options if o]
    choices = [text_values(), number_text()]
    if known:
        choices += [st.sampled_from(known)] * 3
    elif kind == "number":
        choices += [number_text()] * 3
    return draw(st.one_of(*choices))


@st.composite
def submission(draw: st.DrawFn, world: World, forms: list[Form]) -> dict[str, Any]:
    form = draw(st.sampled_from(forms))
    own = st.just(form.found_by)
    caller = draw(st.one_of(own, own, own, st.sampled_from(sorted(world.callers))))
    action = form.action
    if re.search(r"/\d+", action) and draw(st.integers(0, 7)) == 0:
        action = re.sub(r"/\d+", "/" + str(abs(draw(st.sampled_from(NUMBERS)))), action, count=1)
    data: dict[str, str] = {}
    files: list[tuple[str, tuple[str, bytes, str]]] = []
    for name, (kind, options) in form.fields.items():
        if name == "csrf_token" or not draw(st.integers(0, 6)):
            continue
        value = draw(value_for(kind, options))
        if isinstance(value, bytes):
            files.append((name, ("upload.pdf", value, "application/octet-stream")))
        else:
            data[name] = value
    token = world.callers[caller].csrf
    csrf = draw(st.sampled_from([token] * 6 + ["", "forged" * 5]))
    if csrf or draw(st.booleans()):
        data["csrf_token"] = csrf
    return {"caller": caller, "action": action, "data": data, "files": files or None}


def test_every_form_under_fuzz(world: World) -> None:
    found = discover(world)
    reached = {_route_of(world, form.action) for form in found}
    missing = [
        path
        for path in _post_routes(world)
        if path not in reached and not any(path.startswith(p) or path == p for p in NOT_FORMS)
    ]
    assert missing == [], f"POST routes no page offers a form for: {missing}"
    forms = [f for f in found if not f.action.endswith(SIGNING_OUT)]
    assert len(forms) >= 20
    SEEN.clear()
    routes: collections.Counter[str] = collections.Counter()

    @FUZZ
    @given(st.data())
    def one(data: st.DataObject) -> None:
        sent = data.draw(submission(world, forms))
        before = world.digest()
        caller = world.callers[sent["caller"]]
        answer = caller.client.post(
            sent["action"], data=sent["data"], files=sent["files"], follow_redirects=False
        )
        where = f"{sent['caller']} POST {sent['action']} {sorted(sent['data'])}"
        SEEN[str(answer.status_code)] += 1
        routes[f"{_route_of(world, sent['action'])} {answer.status_code}"] += 1
        assert answer.status_code < 500, f"{where} -> {answer.status_code}: {answer.text[:600]}"
        to_sign_in = answer.headers.get("location", "").startswith("/login")
        if answer.status_code >= 400 or to_sign_in:
            assert world.digest() == before, f"{where} -> {answer.status_code} changed the data"

    one()
    print(f"\nforms fuzz on {world.settings.database_url.split(':')[0]}: {dict(SEEN)}")
    for line, times in sorted(routes.items()):
        print(f"  {times:4d}  {line}")
    assert sum(SEEN.values()) >= EXAMPLES
