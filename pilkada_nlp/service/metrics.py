"""Counters and a latency histogram for ``GET /metrics``, in the Prometheus text format (version 0.0.4).

Written by hand rather than with ``prometheus_client``: the service needs three metric families, and one dependency
fewer. Paths are the route templates (``/v1/classify``), never raw URLs, so the label set stays bounded.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter

from pilkada_nlp.labels import FLAG_LABELS

#: Upper bounds of the latency buckets, in seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(**values: str) -> str:
    """``{k="v",...}`` with values escaped as the text format requires."""
    escaped = (v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for v in values.values())
    return "{" + ",".join(f'{k}="{v}"' for k, v in zip(values, escaped)) + "}"


class Metrics:
    """Thread-safe tallies of requests (by method, path and status), request latency (by path), posts and flags."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.latency_buckets: dict[str, list[int]] = {}
        self.latency_sum: Counter[str] = Counter()
        self.latency_count: Counter[str] = Counter()
        self.posts = 0
        self.flags: Counter[str] = Counter({label: 0 for label in FLAG_LABELS})

    def observe_request(self, method: str, path: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, path, status)] += 1
            buckets = self.latency_buckets.setdefault(path, [0] * len(BUCKETS))
            index = bisect.bisect_left(BUCKETS, seconds)
            if index < len(BUCKETS):
                buckets[index] += 1
            self.latency_sum[path] += seconds
            self.latency_count[path] += 1

    def observe_flags(self, flags: list[tuple[str, ...]]) -> None:
        """Count classified posts and each flag they got."""
        with self._lock:
            self.posts += len(flags)
            for post_flags in flags:
                self.flags.update(post_flags)

    def render(self) -> str:
        with self._lock:
            lines = ["# HELP pilkada_requests_total HTTP requests answered.", "# TYPE pilkada_requests_total counter"]
            for (method, path, status), n in sorted(self.requests.items()):
                lines.append(f"pilkada_requests_total{_labels(method=method, path=path, status=str(status))} {n}")
            lines += ["# HELP pilkada_request_duration_seconds Time to answer a request.",
                      "# TYPE pilkada_request_duration_seconds histogram"]
            for path, buckets in sorted(self.latency_buckets.items()):
                running = 0
                for bound, n in zip(BUCKETS, buckets):
                    running += n
                    lines.append(f"pilkada_request_duration_seconds_bucket{_labels(path=path, le=str(bound))} {running}")
                lines.append(f"pilkada_request_duration_seconds_bucket{_labels(path=path, le='+Inf')} "
                             f"{self.latency_count[path]}")
                lines.append(f"pilkada_request_duration_seconds_sum{_labels(path=path)} {self.latency_sum[path]:.6f}")
                lines.append(f"pilkada_request_duration_seconds_count{_labels(path=path)} {self.latency_count[path]}")
            lines += ["# HELP pilkada_posts_classified_total Posts classified or scored.",
                      "# TYPE pilkada_posts_classified_total counter", f"pilkada_posts_classified_total {self.posts}",
                      "# HELP pilkada_flags_total Posts flagged, per label (a post can have several flags).",
                      "# TYPE pilkada_flags_total counter"]
            for label, n in sorted(self.flags.items()):
                lines.append(f"pilkada_flags_total{_labels(label=label)} {n}")
        return "\n".join(lines) + "\n"
