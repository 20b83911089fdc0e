"""What every benchmark report shares: the repository root, a provenance header and Markdown tables.

A number is only comparable with the command, commit and machine that produced it, so every report starts with them.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: When the benchmark script started (this module is imported first thing) and how busy the machine was then.
STARTED = datetime.now(timezone.utc)
_STARTED_CLOCK = time.perf_counter()
LOAD_AT_START = os.getloadavg()[0]


def commit() -> str:
    """``git rev-parse --short HEAD`` of the checkout, or ``unknown`` outside a git checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, check=False, capture_output=True,
                                text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, which containers and ``taskset`` narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def provenance(title: str) -> str:
    """A Markdown heading plus start date, duration, commit, machine, load and the exact command line of this run."""
    command = " ".join(["python", shlex.quote(os.path.relpath(sys.argv[0], REPO)), *map(shlex.quote, sys.argv[1:])])
    return "\n".join([
        f"## {title}",
        "",
        f"- date: {STARTED.isoformat(timespec='seconds')} (start), took {time.perf_counter() - _STARTED_CLOCK:.0f} s",
        f"- commit: {commit()}",
        (f"- machine: {usable_cores()} cores ({cpu_model()}), {platform.system()} {platform.machine()}, "
         f"Python {platform.python_version()}"),
        (f"- load average (1 min): {LOAD_AT_START:.2f} at start, {os.getloadavg()[0]:.2f} at the end "
         "(other work on the machine slows every number)"),
        f"- command: `{command}`",
        "",
    ])


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; floats are printed as given, so callers choose the precision."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join("" if cell is None else str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
