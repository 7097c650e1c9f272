"""Shared helpers of the benchmark cases: timing by median of repetitions, peak memory,
and the result record every case returns."""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

__all__ = ["Result", "median_time", "peak_rss_mb", "peak_rss_in_subprocess"]


@dataclass
class Result:
    """One row of the benchmark table.

    ``ratio`` is ``ours_s / baseline_s`` (below 1 means faster than the baseline), both
    measured in the same run; ``met`` says whether ``target`` holds (None when no target).
    """

    case: str
    ours_s: float
    baseline: str = ""
    baseline_s: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline_s else self.ours_s / self.baseline_s

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def median_time(fn: Callable[[], object], repeat: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_in_subprocess(code: str) -> tuple[float, float]:
    """Run Python ``code`` in a fresh interpreter; return (wall seconds of ``code``, peak
    resident memory of that process in MB), so one case's memory is not mixed with another's.

    The peak is ``VmHWM`` of the new process: ``ru_maxrss`` would report at least the
    parent's peak, since Linux carries it across fork and exec.
    """
    import json
    import subprocess
    import sys

    wrapper = ("import json, time\nstart = time.perf_counter()\n" + code +
               "\nhwm = [int(line.split()[1]) for line in open('/proc/self/status') "
               "if line.startswith('VmHWM')][0]"
               "\nprint(json.dumps([time.perf_counter() - start, hwm / 1024]))")
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    seconds, mb = json.loads(out)
    return float(seconds), float(mb)
