"""Six gates scanning the same delegates at once: one admission each, every scan recorded."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select

from congress import auth
from congress.db import Database
from congress.settings import Settings
from scanner.models import Admission, Scan
from tests.scanner.checkin_helpers import open_doors, scan, tokens

GATES = 6


def test_six_gates_never_admit_twice_nor_lose_a_scan(
    live_server: Any, db: Database, settings: Settings, register: dict[str, Any]
) -> None:
    open_doors(db, register["congress_id"])
    badges = list(tokens(db, settings).values())
    with db.session() as session:
        secrets = [
            auth.create_token(session, f"gate-{g}", ["checkin"], "test")[1] for g in range(GATES)
        ]

    def gate(index: int) -> list[str]:
        order = badges[:]
        random.Random(index).shuffle(order)  # every gate sees every delegate, in its own order
        results = []
        with httpx.Client(
            base_url=live_server.url,
            headers={"authorization": f"Bearer {secrets[index]}"},
            timeout=60,
        ) as client:
            for text in order:
                response = client.post(
                    "/api/c/dai-hoi-the/scans", json=scan(text, gate=f"Cổng {index + 1}")
                )
                assert response.status_code == 200, response.text
                results.append(response.json()["result"])
        return results

    with ThreadPoolExecutor(GATES) as pool:
        results = Counter(r for rs in pool.map(gate, range(GATES)) for r in rs)
    assert results == {"admitted": len(badges), "already_admitted": len(badges) * (GATES - 1)}
    with db.session() as session:
        admissions = session.scalar(select(func.count()).select_from(Admission))
        scans = session.scalar(select(func.count()).select_from(Scan))
        distinct = session.scalar(select(func.count(func.distinct(Admission.delegate_id))))
    assert (admissions, distinct, scans) == (len(badges), len(badges), len(badges) * GATES)
