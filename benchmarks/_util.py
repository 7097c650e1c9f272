"""Shared helpers of the benchmark cases: timing by median of repetitions, peak memory,
and the result record every case returns."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Result", "median_time", "peak_rss_in_subprocess", "peak_rss_mb", "verdict"]


@dataclass
class Result:
    """One row of the benchmark table.

    ``ratio`` is ``ours_s / baseline_s`` (below 1 means faster than the baseline), both
    measured in the same run; ``met`` says whether ``target`` holds (None when no target)
    and ``miss`` by how much it does not (see :func:`verdict`).
    """

    case: str
    ours_s: float
    baseline: str = ""
    baseline_s: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    miss: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline_s else self.ours_s / self.baseline_s

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def verdict(measured: float, limit: float, unit: str = "",
            at_least: bool = False) -> dict[str, Any]:
    """Whether ``measured`` meets a target of at most (or ``at_least``) ``limit``, and by
    how much it misses: keyword arguments ``met`` and ``miss`` of :class:`Result`.

    Examples
    --------
    >>> verdict(4.8, 5, "x", at_least=True)
    {'met': False, 'miss': 'misses by 0.2x (4% of the target)'}
    >>> verdict(0.9, 1.5, "x")
    {'met': True, 'miss': ''}
    """
    met = measured >= limit if at_least else measured <= limit
    gap = abs(measured - limit)
    miss = "" if met else f"misses by {gap:.3g}{unit} ({gap / limit:.0%} of the target)"
    return {"met": bool(met), "miss": miss}


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


def peak_rss_in_subprocess(code: str, setup: str = "") -> tuple[float, float]:
    """Run Python ``code`` in a fresh interpreter; return (wall seconds of ``code``, peak
    resident memory of that process in MB), so one case's memory is not mixed with another's.
    ``setup`` (imports, say) runs first, outside the timing.

    The peak is ``VmHWM`` of the new process: ``ru_maxrss`` would report at least the
    parent's peak, since Linux carries it across fork and exec.
    """
    import json
    import subprocess
    import sys

    wrapper = ("import json, time\n" + setup + "\nstart = time.perf_counter()\n" + code +
               "\nhwm = [int(line.split()[1]) for line in open('/proc/self/status') "
               "if line.startswith('VmHWM')][0]"
               "\nprint(json.dumps([time.perf_counter() - start, hwm / 1024]))")
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    seconds, mb = json.loads(out)
    return float(seconds), float(mb)
