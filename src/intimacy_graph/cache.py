"""A small LRU cache of values computed from one read snapshot.

Every write publishes a new snapshot with a higher generation; a value cached for an older
generation is never served again (the first lookup with a newer generation empties the cache).
A reader must take the generation *before* the snapshot it computes from: if a write lands in
between, the value is newer than its key says, which is harmless, whereas the opposite order
could file stale data under the new generation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class GenerationCache(Generic[K, V]):
    """At most ``size`` values of the newest generation seen, least recently used out first.

    >>> cache: GenerationCache[str, int] = GenerationCache(2)
    >>> cache.put(1, "a", 10); cache.put(1, "b", 20); cache.put(1, "c", 30)
    >>> cache.get(1, "a") is None, cache.get(1, "c")
    (True, 30)
    >>> cache.get(2, "c") is None  # a newer snapshot: everything older is gone
    True
    >>> cache.put(1, "d", 40); cache.get(1, "d") is None  # too old to keep
    True
    """

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self.generation = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def _advance(self, generation: int) -> None:
        if generation > self.generation:
            self.generation = generation
            self._items.clear()

    def get(self, generation: int, key: K) -> V | None:
        with self._lock:
            self._advance(generation)
            value = self._items.get(key) if generation == self.generation else None
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, generation: int, key: K, value: V) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._advance(generation)
            if generation != self.generation:
                return
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
