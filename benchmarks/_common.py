# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Helpers shared by the benchmark scripts: timing, memory, machine info, tables, results."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
MIB = 2**20


# --------------------------------------------------------------------------- set-up
def resolve_device(device: str) -> str:
    """``"auto"`` is ``"cuda"`` when available, else ``"cpu"``; anything else is checked."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda was requested but CUDA is not available.")
    return device


def set_threads(n_threads: int | None) -> int:
    """Use ``n_threads`` in torch and in the BLAS used by NumPy/scikit-learn; return it."""
    if n_threads is None:
        n_threads = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        from threadpoolctl import threadpool_limits

        # Kept alive for the whole process: the limit stays in force.
        set_threads._limits = threadpool_limits(limits=n_threads)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    return n_threads


def sync(device: str) -> None:
    """Wait for queued GPU work, so that a timer measures it."""
    if device == "cuda":
        torch.cuda.synchronize()


def load_mnist_arrays(data_home, subset="train", n=None):
    """MNIST ``(X, y)`` as float32 in [0, 1] and int labels, the first ``n`` rows."""
    from skae.datasets import load_mnist

    X, y = load_mnist(subset, data_home=data_home, return_X_y=True)
    if n is not None:
        X, y = X[:n], y[:n]
    return np.ascontiguousarray(X, dtype=np.float32), np.asarray(y)


def repeat_rows(X: np.ndarray, n: int) -> np.ndarray:
    """``n`` rows made by cycling through the rows of ``X``."""
    reps = -(-n // X.shape[0])
    return np.ascontiguousarray(np.tile(X, (reps, 1))[:n])


# --------------------------------------------------------------------------- timing
class Timer:
    """``with Timer(device) as t: ...`` then ``t.seconds`` (GPU work included)."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.seconds = float("nan")

    def __enter__(self):
        sync(self.device)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        sync(self.device)
        self.seconds = time.perf_counter() - self._start
        return False


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- memory
def _proc_status() -> dict[str, int]:
    """Memory lines of ``/proc/self/status`` in bytes (Linux only; empty elsewhere)."""
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS", "RssAnon", "RssFile", "VmHWM")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def memory_now() -> dict[str, int | None]:
    """Current resident memory of this process in bytes.

    ``rss`` is the total; ``anon`` is the anonymous part (heap, tensors,
    arrays), which excludes pages of memory-mapped files: those are page cache
    the kernel can drop at any time, and reading a ``np.memmap`` makes them
    resident without allocating anything. ``anon`` is ``None`` where the
    platform does not tell (non-Linux).
    """
    status = _proc_status()
    if "VmRSS" in status:
        return {"rss": status["VmRSS"], "anon": status.get("RssAnon")}
    try:
        import psutil

        return {"rss": psutil.Process().memory_info().rss, "anon": None}
    except ImportError:
        return {"rss": max_rss(), "anon": None}


def max_rss() -> int:
    """Lifetime peak resident memory of this process (``ru_maxrss``) in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class PeakMemory:
    """Sample resident memory in a thread; ``peak_rss`` / ``peak_anon`` in bytes.

    ``with PeakMemory() as m: work()``. Sampling every ``interval`` seconds
    can miss a spike shorter than that; allocations that persist (outputs,
    copies of the input) are always seen.
    """

    def __init__(self, interval: float = 0.002):
        self.interval = interval
        self.peak_rss = 0
        self.peak_anon = None
        self._stop = threading.Event()

    def _sample(self):
        now = memory_now()
        self.peak_rss = max(self.peak_rss, now["rss"])
        if now["anon"] is not None:
            self.peak_anon = max(self.peak_anon or 0, now["anon"])

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        return False


# --------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _total_memory() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            return int(fh.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info(device: str, threads: int, tag: str | None = None) -> dict:
    """What the results depend on: hardware, library versions, device and threads."""
    import sklearn
    import skorch

    import skae

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = None
    info = {
        "machine": tag or socket.gethostname(),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "memory_gib": None if _total_memory() is None else round(_total_memory() / 2**30, 1),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "skorch": skorch.__version__,
        "skae": getattr(skae, "__version__", None),
        "skae_commit": _git_commit(),
        "device": device,
        "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
        "threads": threads,
        "date": datetime.date.today().isoformat(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
    }
    return info


def describe_machine(info: dict) -> str:
    gpu = f", GPU {info['gpu']}" if info.get("gpu") else ""
    return (
        f"{info['machine']}: {info['cpu']} ({info['cpu_count']} CPUs, "
        f"{info['memory_gib']} GiB){gpu}; device={info['device']}, threads={info['threads']}; "
        f"python {info['python']}, numpy {info['numpy']}, torch {info['torch']}, "
        f"scikit-learn {info['sklearn']}, skorch {info['skorch']}, skae {info['skae']} "
        f"({info['skae_commit']})"
    )


# --------------------------------------------------------------------------- tables
class Column:
    """A table column: row key, header and a format (``"{:.3f}"`` or a callable)."""

    def __init__(self, key: str, header: str | None = None, fmt="{}"):
        self.key = key
        self.header = header or key
        self.fmt = fmt

    def render(self, row: dict) -> str:
        value = row.get(self.key)
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "-"
        if callable(self.fmt):
            return self.fmt(value)
        return self.fmt.format(value)


def markdown_table(rows: list[dict], columns: list[Column]) -> str:
    """A GitHub markdown table, padded so that it also reads well on a terminal."""
    cells = [[c.header for c in columns]] + [[c.render(r) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]

    def line(values):
        return "| " + " | ".join(v.rjust(w) for v, w in zip(values, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *map(line, cells[1:])])


def check(label: str, value: float, limit: float, *, at_most: bool = True) -> dict:
    """A target: ``value <= limit`` (or ``>=`` when ``at_most=False``)."""
    ok = bool(value <= limit) if at_most else bool(value >= limit)
    if np.isnan(value):
        ok = False
    return {"target": label, "value": value, "limit": limit, "pass": ok}


def format_check(c: dict) -> str:
    status = "PASS" if c["pass"] else "FAIL"
    return f"[{status}] {c['target']}: measured {c['value']:.4g} (limit {c['limit']:.4g})"


# --------------------------------------------------------------------------- results
class Results:
    """Collects sections, prints them and (re)writes ``<name>.json`` and ``<name>.md``."""

    def __init__(self, name: str, title: str, info: dict, config: dict):
        self.name = _safe(name)
        self.title = title
        self.data = {"machine": info, "config": config, "sections": {}}

    @property
    def json_path(self) -> Path:
        return RESULTS_DIR / f"{self.name}.json"

    @property
    def md_path(self) -> Path:
        return RESULTS_DIR / f"{self.name}.md"

    def add(
        self,
        key: str,
        title: str,
        description: str,
        tables: list[tuple[str, list[dict], list[Column]]],
        checks: list[dict] = (),
        notes: list[str] = (),
        extra: dict | None = None,
        seconds: float | None = None,
    ) -> None:
        """Record a section, print it and rewrite the result files."""
        section = {
            "title": title,
            "description": description,
            "tables": {name: rows for name, rows, _ in tables},
            "checks": list(checks),
            "notes": list(notes),
            "seconds": seconds,
            **(extra or {}),
        }
        section["_markdown"] = self._section_markdown(section, tables)
        self.data["sections"][key] = section
        print("\n" + section["_markdown"], flush=True)
        self.write()

    @staticmethod
    def _section_markdown(section, tables) -> str:
        parts = [f"## {section['title']}", "", section["description"], ""]
        for name, rows, columns in tables:
            if name:
                parts += [f"**{name}**", ""]
            parts += [markdown_table(rows, columns), ""]
        if section["checks"]:
            parts += ["Targets:", ""]
            parts += [f"- {format_check(c)}" for c in section["checks"]]
            parts.append("")
        for note in section["notes"]:
            parts.append(f"- {note}")
        if section["notes"]:
            parts.append("")
        if section["seconds"] is not None:
            parts.append(f"_Section wall time: {section['seconds']:.1f} s._")
        return "\n".join(parts).rstrip() + "\n"

    def write(self) -> None:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        data = {
            **self.data,
            "sections": {
                k: {kk: vv for kk, vv in v.items() if kk != "_markdown"}
                for k, v in self.data["sections"].items()
            },
        }
        self.json_path.write_text(json.dumps(data, indent=1, default=_jsonable) + "\n")
        md = [f"# {self.title}", "", describe_machine(self.data["machine"]), ""]
        config = ", ".join(f"{k}={v}" for k, v in self.data["config"].items())
        md += [f"Configuration: {config}", ""]
        if "total_seconds" in self.data:
            md += [f"Total wall time: {self.data['total_seconds']:.0f} s.", ""]
        md += [s["_markdown"] for s in self.data["sections"].values()]
        self.md_path.write_text("\n".join(md))

    def finish(self, seconds: float) -> None:
        self.data["total_seconds"] = seconds
        self.write()
        print(f"\nTotal wall time {seconds:.0f} s. Results: {self.json_path} and {self.md_path}")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def result_name(prefix: str, quick: bool, date: str | None = None) -> str:
    date = date or datetime.date.today().isoformat()
    return f"{prefix}-{date}" + ("-quick" if quick else "")
