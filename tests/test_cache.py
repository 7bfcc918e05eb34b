"""The per-snapshot LRU cache behind concept cards."""

from __future__ import annotations

import threading

from intimacy_graph.cache import GenerationCache


def test_least_recently_used_goes_first() -> None:
    cache: GenerationCache[str, int] = GenerationCache(2)
    cache.put(1, "a", 1)
    cache.put(1, "b", 2)
    assert cache.get(1, "a") == 1  # "a" is now the most recent
    cache.put(1, "c", 3)
    assert cache.get(1, "b") is None
    assert (cache.get(1, "a"), cache.get(1, "c")) == (1, 3)
    assert len(cache) == 2 and cache.hits == 3 and cache.misses == 1


def test_a_newer_generation_empties_it_and_older_values_are_refused() -> None:
    cache: GenerationCache[str, int] = GenerationCache(10)
    cache.put(1, "a", 1)
    assert cache.get(2, "a") is None and len(cache) == 0
    cache.put(1, "a", 1)  # computed from the old snapshot, arrives late
    assert cache.get(2, "a") is None
    cache.put(3, "a", 3)
    assert cache.get(2, "a") is None  # a reader still on an older generation
    assert cache.get(3, "a") == 3


def test_size_zero_caches_nothing() -> None:
    cache: GenerationCache[str, int] = GenerationCache(0)
    cache.put(1, "a", 1)
    assert cache.get(1, "a") is None and len(cache) == 0


def test_threads_never_see_a_value_of_another_generation() -> None:
    cache: GenerationCache[int, int] = GenerationCache(64)
    wrong: list[tuple[int, int]] = []

    def work(offset: int) -> None:
        for i in range(2_000):
            generation = (i + offset) // 100
            value = cache.get(generation, i % 50)
            if value is not None and value != generation:
                wrong.append((generation, value))
            cache.put(generation, i % 50, generation)

    threads = [threading.Thread(target=work, args=(n * 7,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not wrong
    assert len(cache) <= 64
