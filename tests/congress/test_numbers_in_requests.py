"""Numbers in paths and queries are bounded in one place: out of range is a 404 or a 400."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from congress.db import Database
from congress.limits import Limits
from congress.web import IdConvertor, digits_at_most
from tests.conftest import login

TOO_BIG = ("2147483648", "99999999999999999999")  # PostgreSQL's int4 + 1; Python's OverflowError


@pytest.mark.parametrize("largest", [0, 7, 10, 99, 100, 2**31 - 1, 1_000_000_007])
def test_the_id_pattern_matches_exactly_the_numbers_up_to_the_bound(largest: int) -> None:
    pattern = re.compile(digits_at_most(largest))
    rng = random.Random(largest)
    samples = {0, largest, largest + 1, largest - 1, 10 * largest + 9}
    samples |= {rng.randrange(0, 3 * largest + 10) for _ in range(300)}
    for n in samples - {-1}:
        assert bool(pattern.fullmatch(str(n))) == (n <= largest), n
    assert not pattern.fullmatch("9" * 40) and not pattern.fullmatch("-1")


def test_every_number_in_a_route_is_bounded(app: Starlette) -> None:
    def routes(items: list[Any]) -> list[Route]:
        found: list[Route] = []
        for item in items:
            if isinstance(item, Mount):
                found += routes(list(item.routes))
            elif isinstance(item, Route):
                found.append(item)
        return found

    numbered = 0
    for route in routes(list(app.routes)):
        for name, convertor in route.param_convertors.items():
            assert not isinstance(convertor, IntegerConvertor), f"{route.path}: {name}:int"
            numbered += isinstance(convertor, IdConvertor)
    assert numbered > 20
    assert Limits().largest_id == 2**31 - 1


@pytest.mark.parametrize("number", TOO_BIG)
def test_ids_out_of_range_are_a_404_even_anonymously(
    client: TestClient, register: dict[str, Any], number: str
) -> None:
    slug = register["slug"]
    for path in (
        f"/p/{slug}/d/{number}",
        f"/p/{slug}/d/1/v/{number}",
        f"/p/{slug}/d/1/v/1/page/{number}.webp",
        f"/c/{slug}/counts/{number}/public",
        f"/api/counts/{number}",
    ):
        answer = client.get(path, headers={"accept-language": "vi"})
        assert answer.status_code == 404, (path, answer.status_code)


@pytest.mark.parametrize("number", TOO_BIG)
def test_ids_out_of_range_are_a_404_for_staff(
    client: TestClient, make_user: Any, register: dict[str, Any], number: str
) -> None:
    login(client, "btc", make_user("btc", "organizer"))
    slug = register["slug"]
    for path in (
        f"/c/{slug}/documents/{number}",
        f"/c/{slug}/counts/{number}",
        f"/c/{slug}/counts/{number}/public",
        f"/c/{slug}/counts/1/ballots/{number}",
        f"/c/{slug}/elections/{number}/count",
        f"/c/{slug}/attendance/{number}",
        f"/api/c/{slug}/attendance/{number}",
        f"/c/{slug}/gate/photo/{number}",
        f"/api/counts/{number}",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
    # In range, absent: the handler's own 404, on PostgreSQL's largest int4 too.
    assert client.get(f"/p/{slug}/d/2147483647").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "page=99999999999999999999",
        "page=2147483648",
        "page=0",
        "per_page=-5",
        "delegation=2147483648",
        "page=abc",
    ],
)
def test_query_numbers_out_of_range_are_a_400_in_the_users_language(
    client: TestClient, make_user: Any, register: dict[str, Any], query: str
) -> None:
    login(client, "btc", make_user("btc", "organizer"))
    slug = register["slug"]
    page = client.get(f"/c/{slug}/delegates?{query}&lang=vi")
    assert page.status_code == 400, page.text
    assert "phải là số nguyên" in page.text
    api = client.get(f"/api/congresses/{slug}/delegates?{query}")
    assert api.status_code == 400 and api.json()["error"]["code"] == "bad_number"
    attendance = client.get(f"/c/{slug}/attendance?sitting=99999999999999999999")
    assert attendance.status_code == 400
    assert client.get(f"/c/{slug}/delegates?page=2&per_page=5").status_code == 200


def test_a_nul_character_anywhere_is_a_clear_refusal_on_every_backend(
    client: Any, db: Database, make_user: Any, register: dict[str, Any]
) -> None:
    """PostgreSQL cannot store NUL in text (its DataError was a 500, found by the abuse suite's
    fuzz); SQLite would store it silently. Both now refuse it before the statement runs."""
    from sqlalchemy import func, select

    from congress.models import Delegation

    csrf = login(client, "org", make_user("org", "organizer"))
    path = client.get("/api/c/%00/attendance/1")
    assert path.status_code == 400
    assert path.json()["error"]["code"] == "unstorable_text"
    assert "NUL" in path.json()["error"]["message"]
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Delegation))
    page = client.post(
        f"/c/{register['slug']}/delegations",
        data={"csrf_token": csrf, "name": "Đoàn\x00 Khối"},
        follow_redirects=False,
    )
    assert page.status_code == 400
    assert "không thể lưu" in page.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Delegation)) == before
