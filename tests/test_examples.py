# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Every gallery example runs to the end in fast mode (small data, at most 3 epochs)."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib  # noqa: F401  (the examples need it: part of the test extra)
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))
TIMEOUT = 120  # seconds per example; each takes about 5 s on an idle core


def test_examples_found():
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_runs(script, tmp_path):
    env = {
        **os.environ,
        "SKAE_EXAMPLES_FAST": "1",
        "MPLBACKEND": "Agg",
        # Tiny models: one thread each, as the rest of the suite (see conftest.py), is
        # faster than torch's thread pool fighting the other pytest-xdist worker.
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,  # examples must not depend on the working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (
        f"{script.name} failed (exit code {result.returncode}).\n"
        f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
    )
