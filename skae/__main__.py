# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""``python -m skae``: the :mod:`skae.cli` command line (same as the ``skae`` script)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
