"""A per-key rate limit: a token bucket per key name, so one runaway dashboard cannot starve the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """``rate`` requests per second on average per key, with bursts of up to ``burst`` after a quiet spell.

    ``check(name)`` takes one token from ``name``'s bucket and returns 0.0, or returns how many seconds to wait until
    a token is free (the ``Retry-After`` of the 429 answer). ``clock`` is injectable so tests need no sleeping.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got rate={rate}, burst={burst}")
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, time of last update)
        self._lock = threading.Lock()

    def check(self, name: str) -> float:
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[name] = (tokens - 1.0, now)
                return 0.0
            self._buckets[name] = (tokens, now)
            return (1.0 - tokens) / self.rate
