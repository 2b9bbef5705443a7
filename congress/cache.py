"""A small bounded cache, safe across threads, owned by whoever owns the lifetime of its values."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `size` values; the least recently used goes first when a new one comes in.

    There is no module-level instance on purpose: the web app keeps its caches in its state, a
    command or a station makes its own, so a test or a second app never sees another's values.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache holds at least one value")
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._put(key, value)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value of `key`, made while holding the lock when missing.

        Only for values slow to make and asked for at once by several threads (a reading
        context): the others wait for the one being made instead of each making it again.
        """
        with self._lock:
            value = self._values.get(key)
            if value is None:
                value = make()
                self._put(key, value)
            else:
                self._values.move_to_end(key)
            return value

    def _put(self, key: K, value: V) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)
