# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The ``skae`` command-line interface.

``skae compare`` benchmarks autoencoders against a PCA baseline over several latent sizes
(with :func:`skae.metrics.compare`), prints the results table and writes a small report
folder: ``results.csv``, ``report.md`` and PNG plots. Run ``skae compare --help`` (or
``python -m skae compare --help``) for the options.

Errors caused by the input (unknown data set, missing or malformed files, unwritable output
folder, invalid options) are reported as one line on stderr starting with ``skae: error:``
and exit with status 1, without a traceback. Invalid command-line syntax exits with status 2
(argparse's convention). Ctrl-C exits with status 130, also when it stopped a training
loop (the estimators keep their last epoch, :func:`skae.metrics.compare` does not): the
report files are staged in a hidden folder and moved into the output folder only once every
fit and plot is done, so an interrupted or failed run writes no report.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings

from ._cli_data import DATASETS as DATASETS  # re-exported: the named data sets
from ._cli_data import (
    MIN_SAMPLES,
    PROG,
    TITLES,
    CLIError,
    dataset_kind,
    describe_exception,
    one_line,
    warn,
)
from ._cli_data import load_data as _load_data
from ._report import CSV_FILE, REPORT_FILE, format_table, report_folder, write_file, write_plots
from ._report import write_report as _write_report

__all__ = ["main"]

#: Methods accepted by ``--methods`` (the report keeps the order they are given in).
METHODS = ("pca", "ae", "umap-ae", "conv", "vae")
#: ``umap-ae`` is left out of the default methods: its neighbour graph makes it slower.
DEFAULT_METHODS = ("pca", "ae")
DEFAULT_N_COMPONENTS = (2, 8, 32)
DEFAULT_OUTPUT = "skae-report"
#: Exit status on Ctrl-C (128 + SIGINT, the shell's convention).
EXIT_INTERRUPTED = 130


class _Printer:
    """Informational messages on stdout, silenced by ``--quiet``."""

    def __init__(self, quiet):
        self.quiet = quiet

    def __call__(self, message):
        if not self.quiet:
            print(message, flush=True)


# --------------------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------------------


def _build_parser():
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "scikit-learn compatible autoencoders on PyTorch. "
            "Run 'skae compare --help' for the benchmark command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    compare = subparsers.add_parser(
        "compare",
        help="benchmark autoencoders against PCA and write a report",
        description=(
            "Fit PCA and autoencoders at several latent sizes on a training set, evaluate\n"
            "them on a test set (reconstruction error, latent-space probes and\n"
            "trustworthiness), print the table and write results.csv, report.md and PNG\n"
            "plots to the output folder.\n"
            "Other files in that folder are never deleted; the report files are overwritten,\n"
            "only once every fit is done: a failed or interrupted run (Ctrl-C, exit status\n"
            "130) writes nothing."
        ),
        epilog=(
            "examples:\n"
            "  skae compare                                  # digits, pca+ae, k = 2 8 32\n"
            "  skae compare --dataset mnist --methods pca,ae,conv,vae --max-samples 10000\n"
            "  skae compare --methods pca ae umap-ae --n-components 2\n"
            "  skae compare --dataset data.csv --n-components 2 4 --max-epochs 50\n"
            "\n"
            "methods: pca (PCA, always included as the baseline), ae (AutoencoderTransformer),\n"
            "umap-ae (AutoencoderTransformer with latent_regularizer='umap': the codes also\n"
            "keep the data's nearest-neighbour graph; slower, not run by default), conv\n"
            "(convolutional AutoencoderTransformer, image data only), vae\n"
            "(VariationalAutoencoderTransformer)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument(
        "--dataset",
        default="digits",
        metavar="DATASET",
        help=(
            "digits (scikit-learn's 8x8 digits, default), mnist, fashion-mnist, or a path to "
            "a .csv file (numeric columns; a column named target, label or y holds the "
            "labels) or a .npy file (a 2-D array, or 3-D for a stack of images)"
        ),
    )
    compare.add_argument(
        "--n-components",
        nargs="+",
        default=None,
        metavar="K",
        help="latent sizes to evaluate (default: 2 8 32)",
    )
    compare.add_argument(
        "--methods",
        nargs="+",
        default=None,
        metavar="METHODS",
        help=(
            f"methods among {', '.join(METHODS)}, separated by spaces or commas "
            f"(default: {','.join(DEFAULT_METHODS)}); pca is always included"
        ),
    )
    compare.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        metavar="N",
        help="maximum training epochs of the autoencoders (default: the estimators' default)",
    )
    compare.add_argument(
        "--data-home",
        default=None,
        metavar="DIR",
        help="folder holding the MNIST / Fashion-MNIST files (default: $SKAE_DATA or ~/skae_data)",
    )
    compare.add_argument(
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"report folder, created if needed (default: ./{DEFAULT_OUTPUT})",
    )
    compare.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="device of the autoencoders (default: auto, CUDA when available)",
    )
    compare.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the train/test split, the subsampling and the models (default: 0)",
    )
    compare.add_argument(
        "--max-samples",
        type=int,
        default=None,
        metavar="N",
        help="use at most N training samples (stratified when there are labels)",
    )
    compare.add_argument(
        "--quiet",
        action="store_true",
        help="print only the results table and the report path (no progress bar)",
    )
    compare.add_argument(
        "--traceback",
        action="store_true",
        help="show the full traceback of errors (for bug reports)",
    )
    return parser


def _parse_n_components(values):
    if values is None:
        return list(DEFAULT_N_COMPONENTS)
    ks = []
    for token in (t for value in values for t in value.split(",")):
        token = token.strip()
        if not token:
            continue
        try:
            k = int(token)
        except ValueError:
            raise CLIError(
                f"invalid --n-components value {token!r}: expected positive integers, "
                "e.g. --n-components 2 8 32"
            ) from None
        if k < 1:
            raise CLIError(f"invalid --n-components value {k}: latent sizes must be at least 1")
        ks.append(k)
    if not ks:
        raise CLIError("--n-components needs at least one latent size, e.g. --n-components 2 8")
    return sorted(set(ks))


def _parse_methods(values):
    """Return ``(methods, explicit)``; ``pca`` first, then the others in the given order."""
    if values is None:
        return list(DEFAULT_METHODS), False
    methods = []
    for token in (t for value in values for t in value.split(",")):
        token = token.strip().lower()
        if not token:
            continue
        if token not in METHODS:
            raise CLIError(f"unknown method {token!r}: choose among {', '.join(METHODS)}")
        if token not in methods:
            methods.append(token)
    if not methods:
        raise CLIError(f"--methods needs at least one of {', '.join(METHODS)}")
    return ["pca"] + [m for m in methods if m != "pca"], True


def _check_options(args):
    if args.max_epochs is not None and args.max_epochs < 1:
        raise CLIError(f"--max-epochs must be at least 1, got {args.max_epochs}")
    if args.max_samples is not None and args.max_samples < MIN_SAMPLES:
        raise CLIError(f"--max-samples must be at least {MIN_SAMPLES}, got {args.max_samples}")
    if not 0 <= args.seed < 2**32:
        raise CLIError(f"--seed must be between 0 and 2**32 - 1, got {args.seed}")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise CLIError(
                "--device cuda was requested but CUDA is not available; "
                "use --device cpu or --device auto"
            )


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


def _select_methods(methods, explicit, data):
    if "conv" in methods and data.image_shape is None:
        if explicit:
            raise CLIError(
                f"method 'conv' needs images, but the data set {data.name} has no image shape "
                f"({data.n_features} features is not a perfect square; save a 3-D .npy array "
                "of shape (n_samples, height, width) for non-square images)"
            )
        methods = [m for m in methods if m != "conv"]
    return methods


def _check_n_components(ks, data):
    too_big = [k for k in ks if k > data.n_features]
    if too_big:
        raise CLIError(
            f"invalid --n-components {', '.join(map(str, too_big))}: the latent size cannot "
            f"exceed the number of features of {data.name} ({data.n_features})"
        )


def _make_estimators(methods, data, args):
    from sklearn.decomposition import PCA

    from ._transformer import AutoencoderTransformer
    from ._vae import VariationalAutoencoderTransformer

    common = {"random_state": args.seed, "device": args.device}
    if args.max_epochs is not None:
        common["max_epochs"] = args.max_epochs
    estimators = {}
    for method in methods:
        if method == "pca":
            estimators[method] = PCA(random_state=args.seed)
        elif method == "ae":
            estimators[method] = AutoencoderTransformer(**common)
        elif method == "umap-ae":
            estimators[method] = AutoencoderTransformer(latent_regularizer="umap", **common)
        elif method == "conv":
            estimators[method] = AutoencoderTransformer(
                architecture="conv", input_shape=data.image_shape, **common
            )
        elif method == "vae":
            estimators[method] = VariationalAutoencoderTransformer(**common)
        else:  # pragma: no cover - _parse_methods accepts only METHODS
            raise ValueError(f"no estimator for method {method!r}")
    return estimators


def _run_compare_fits(estimators, data, ks, *, verbose):
    """:func:`skae.metrics.compare` with its warnings turned into ``skae: warning:`` lines."""
    from . import metrics

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        results, fitted = metrics.compare(
            estimators,
            data.X_train,
            data.X_test,
            data.y_train,
            data.y_test,
            n_components=ks,
            verbose=verbose,
            return_estimators=True,
        )
    seen = set()
    for w in caught:
        text = one_line(f"{w.category.__name__}: {w.message}")
        if text not in seen:
            seen.add(text)
            warn(text)
    return results, fitted


# --------------------------------------------------------------------------------------
# The compare command
# --------------------------------------------------------------------------------------


def _compare(args, argv):
    say = _Printer(args.quiet)
    ks = _parse_n_components(args.n_components)
    methods, explicit = _parse_methods(args.methods)
    _check_options(args)
    kind, spec = dataset_kind(args.dataset)

    # Nothing is written to out_dir until the fits, the plots and the report are all done.
    out_dir = os.path.abspath(os.path.expanduser(args.output))
    with report_folder(out_dir) as stage:
        say(f"Loading {TITLES.get(kind, spec)} ...")
        data = _load_data(
            kind, spec, seed=args.seed, data_home=args.data_home, max_samples=args.max_samples
        )
        methods = _select_methods(methods, explicit, data)
        _check_n_components(ks, data)
        classes = "no labels" if data.y_train is None else f"{data.n_classes} classes"
        say(
            f"{data.name}: {data.X_train.shape[0]} training / {data.X_test.shape[0]} test "
            f"samples, {data.n_features} features{data.image_size}, {classes}."
        )
        for note in data.notes:
            say(f"Note: {note}.")
        say(
            f"Fitting {', '.join(methods)} at n_components {', '.join(map(str, ks))} "
            f"({len(methods) * len(ks)} fits) ..."
        )

        estimators = _make_estimators(methods, data, args)
        results, fitted = _run_compare_fits(estimators, data, ks, verbose=not args.quiet)

        write_file(stage, out_dir, CSV_FILE, lambda path: results.to_csv(path, index=False))
        print()
        print(format_table(results))
        print()

        plots = write_plots(
            stage, data, results, fitted, methods, ks, show_traceback=args.traceback, say=say
        )
        write_file(
            stage,
            out_dir,
            REPORT_FILE,
            lambda path: _write_report(path, data, methods, ks, args, results, fitted, plots, argv),
        )
    n_plots = 0 if plots is None else len(plots)
    print(f"Report written to {out_dir} ({CSV_FILE}, {REPORT_FILE}, {n_plots} plot(s)).")
    return 0


def _run(argv):
    """Parse ``argv`` and run the command; return the exit status (errors included)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a syntax error (already printed)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)

    show_traceback = getattr(args, "traceback", False)
    try:
        return _compare(args, argv)
    except CLIError as exc:
        if show_traceback:
            traceback.print_exc()
        print(f"{PROG}: error: {one_line(str(exc), limit=1000)}", file=sys.stderr)
        return 1
    except Exception as exc:
        if show_traceback:
            traceback.print_exc()
            print(f"{PROG}: error: {describe_exception(exc)}", file=sys.stderr)
        else:
            print(
                f"{PROG}: error: {describe_exception(exc)} "
                "(rerun with --traceback for the full traceback)",
                file=sys.stderr,
            )
        return 1


def main(argv=None) -> int:
    """Run the ``skae`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments, without the program name; ``sys.argv[1:]`` if None.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 on an error (reported as one line on stderr
        starting with ``skae: error:``), 2 on invalid command-line syntax and 130 when
        interrupted (Ctrl-C; nothing is written to the output folder then).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no report was written", file=sys.stderr)
        return EXIT_INTERRUPTED
