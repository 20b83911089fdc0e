"""One-post requests that arrive while the model is busy are classified together, in one ``classify(list)`` call.

A post that finds the model idle is sent at once, alone: it never waits for company, so a lone request pays no batch
overhead. Posts that arrive while a call is running would wait for a thread anyway; they queue here and go in the
next call, all together, which costs a fraction of one call each (the model's per-call work is shared). Results are
the same as classifying each post alone: every post is scored independently of its neighbours in a batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

from pilkada_nlp.predictions import Prediction


class Coalescer:
    """``await coalescer.classify(text)`` gives ``classify([text, ...])[i]`` from at most one call in flight."""

    def __init__(self, classify: Callable[[list[str]], list[Prediction]], pool: Executor) -> None:
        self._classify, self._pool = classify, pool
        self._waiting: list[tuple[str, asyncio.Future]] = []
        self._busy = False

    async def classify(self, text: str) -> Prediction:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((text, future))
        if not self._busy:
            self._send()
        return await future

    def _send(self) -> None:
        batch, self._waiting = self._waiting, []
        self._busy = True
        call = asyncio.get_running_loop().run_in_executor(self._pool, self._classify, [text for text, _ in batch])
        call.add_done_callback(lambda done: self._deliver(batch, done))

    def _deliver(self, batch: list[tuple[str, asyncio.Future]], done: asyncio.Future) -> None:
        error = done.exception()
        for i, (_, future) in enumerate(batch):
            if future.cancelled():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(done.result()[i])
        self._busy = False
        if self._waiting:
            self._send()
