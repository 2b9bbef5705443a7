"""The bounded cache: at most `size` values, the least recently used dropped, made once."""

from __future__ import annotations

import threading
import time

from congress.cache import BoundedCache


def test_the_least_recently_used_value_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_a_value_asked_for_at_once_is_made_once() -> None:
    cache: BoundedCache[str, int] = BoundedCache(4)
    made: list[int] = []

    def make() -> int:
        time.sleep(0.05)
        made.append(1)
        return 42

    got: list[int] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get_or_make("k", make))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [42] * 4 and made == [1]
