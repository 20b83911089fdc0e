"""The service load benchmark runs end to end with ``--quick`` against uvicorn on 127.0.0.1 (about 10 s). Like the
other benchmark tests it checks no timing, only that every phase ran and every request was answered."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")


def test_service_load_quick_runs_without_errors():
    done = subprocess.run([sys.executable, "benchmarks/service_load.py", "--quick", "--json"], cwd=REPO, check=False,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [run["phase"] for run in report["runs"]] == ["classify, 1 post", "classify, 1 post", "score, 100 posts"]
    assert all(run["requests"] > 0 and run["errors"] == 0 for run in report["runs"])
    assert report["rss_mb"]["peak"] > 0
