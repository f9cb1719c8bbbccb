# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Tests of the ``skae`` command line (``skae compare``), on tiny, fast settings."""

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from skorch.callbacks import Callback

import skae
from skae import AutoencoderTransformer, cli
from skae.datasets import _mnist, write_idx
from skae.exceptions import FitInterruptedWarning
from skae.metrics import COMPARE_COLUMNS

#: Tiny settings shared by the end-to-end runs (digits: 300 of the 1347 training rows).
FAST = ["--max-epochs", "2", "--n-components", "2", "4", "--max-samples", "300"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Train on one thread: the tiny networks gain nothing from more, and on a busy
    shared machine two spinning intra-op threads make each optimizer step much slower."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No network, no real data folder, and a scratch working directory."""

    def offline(url, *args, **kwargs):
        raise OSError("network access is disabled in the tests")

    monkeypatch.setattr(_mnist, "_urlopen", offline)
    monkeypatch.delenv("SKAE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(capsys):
    """``run(*args)`` calls ``cli.main(["compare", *args])``; returns (status, out, err)."""

    def _run(*args, command="compare"):
        argv = [command, *map(str, args)] if command else list(map(str, args))
        status = cli.main(argv)
        out, err = capsys.readouterr()
        return status, out, err

    return _run


def _assert_one_line_error(status, err, *fragments):
    assert status == 1
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skae: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def _linked_pngs(report):
    return re.findall(r"\]\(([^)]+\.png)\)", report)


def _assert_png(path):
    assert path.is_file()
    data = path.read_bytes()
    assert len(data) > len(PNG_MAGIC)
    assert data.startswith(PNG_MAGIC)


# --------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------


def test_compare_digits_end_to_end(run, tmp_path):
    out_dir = tmp_path / "report"
    out_dir.mkdir()
    (out_dir / "notes.txt").write_text("keep me")
    (out_dir / "sub").mkdir()

    status, out, err = run(*FAST, "--output", out_dir)

    assert status == 0, err
    # Existing files survive, and the staging folder leaves nothing behind.
    assert (out_dir / "notes.txt").read_text() == "keep me"
    assert (out_dir / "sub").is_dir()
    assert not [p for p in os.listdir(out_dir) if p.startswith(".")]

    results = pd.read_csv(out_dir / "results.csv")
    assert list(results.columns) == list(COMPARE_COLUMNS)
    assert len(results) == 4  # (pca, ae) x (2, 4)
    assert sorted(zip(results.method, results.n_components, strict=True)) == [
        ("ae", 2),
        ("ae", 4),
        ("pca", 2),
        ("pca", 4),
    ]
    assert results["knn_accuracy"].notna().all()
    np.testing.assert_allclose(results.loc[results.method == "pca", "mse_vs_pca"], 1.0)

    report = (out_dir / "report.md").read_text()
    links = _linked_pngs(report)
    assert set(links) == {
        "mse_vs_n_components.png",
        "reconstructions.png",
        "latent_pca.png",
        "latent_ae.png",
        "loss_curves.png",
    }
    for link in links:
        _assert_png(out_dir / link)
    assert "(results.csv)" in report
    assert "How to read this" in report
    assert "| method | n_components |" in report

    # The table is printed as aligned text with 4 significant digits.
    header = next(line for line in out.splitlines() if line.split()[:1] == ["method"])
    assert header.split() == list(COMPARE_COLUMNS)
    pca_mse = results.loc[(results.method == "pca") & (results.n_components == 2), "test_mse"]
    assert f"{pca_mse.item():.4g}" in out
    assert str(out_dir) in out
    assert "Loading digits" in out
    assert "subsampled from 1347 to 300 rows (stratified by label)" in out
    assert "300 training and 450 test samples" in report


def test_compare_vae_quiet(run, tmp_path):
    out_dir = tmp_path / "vae"
    status, out, err = run(*FAST, "--methods", "vae", "--output", out_dir, "--quiet")

    assert status == 0, err
    results = pd.read_csv(out_dir / "results.csv")
    assert list(results.method.unique()) == ["pca", "vae"]  # pca is always the baseline
    assert len(results) == 4
    for name in ("latent_vae.png", "loss_curves.png", "reconstructions.png"):
        _assert_png(out_dir / name)
    # --quiet: the table and the report path only, no progress bar.
    assert "Loading" not in out
    assert "linear_probe_accuracy" in out
    assert "compare:" not in err


def test_compare_csv_with_target_column(run, tmp_path):
    rng = np.random.default_rng(0)
    n = 80
    target = np.arange(n) % 3
    features = rng.normal(size=(n, 5)) + target[:, None]
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(5)])
    frame.insert(2, "target", target)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    out_dir = tmp_path / "csv-report"

    status, _out, err = run(
        "--dataset", path, "--methods", "pca,ae", *FAST, "--output", out_dir, "--quiet"
    )

    assert status == 0, err
    results = pd.read_csv(out_dir / "results.csv")
    assert len(results) == 4
    # The target column is the label (probes computed), not a feature.
    assert results["knn_accuracy"].notna().all()
    report = (out_dir / "report.md").read_text()
    assert "5 numeric feature columns" in report
    assert "labels in column 'target'" in report
    # 5 features: no image shape, so no reconstructions.
    assert "reconstructions.png" not in _linked_pngs(report)
    assert not (out_dir / "reconstructions.png").exists()
    for link in _linked_pngs(report):
        _assert_png(out_dir / link)


def test_compare_tiny_mnist_with_conv(run, tmp_path, monkeypatch):
    # Tiny stand-in IDX files: 60 training and 20 test 28x28 images.
    monkeypatch.setattr(_mnist, "_N_SAMPLES", {"train": 60, "test": 20})
    rng = np.random.default_rng(0)
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for subset, n in (("train", 60), ("test", 20)):
        images_name, labels_name = _mnist._FILES[subset]
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        write_idx(str(folder / (images_name + ".gz")), images)
        write_idx(str(folder / (labels_name + ".gz")), (np.arange(n) % 10).astype(np.uint8))
    out_dir = tmp_path / "mnist-report"

    status, out, err = run(
        "--dataset",
        "mnist",
        "--data-home",
        tmp_path / "data",
        "--methods",
        "conv",
        "--max-samples",
        "30",
        "--max-epochs",
        "1",
        "--n-components",
        "2",
        "--output",
        out_dir,
    )

    assert status == 0, err
    results = pd.read_csv(out_dir / "results.csv")
    assert list(results.method) == ["pca", "conv"]
    assert "28x28" in out
    assert "subsampled from 60 to 30" in out
    _assert_png(out_dir / "reconstructions.png")
    _assert_png(out_dir / "latent_conv.png")


def test_compare_without_matplotlib(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    out_dir = tmp_path / "no-plots"

    status, _out, err = run(
        "--methods", "pca", "--n-components", "2", "--output", out_dir, "--quiet"
    )

    assert status == 0, err
    assert (out_dir / "results.csv").is_file()
    report = (out_dir / "report.md").read_text()
    assert _linked_pngs(report) == []
    assert "matplotlib is not installed" in report
    assert not list(out_dir.glob("*.png"))
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "plots skipped" in lines[0]
    assert 'pip install "skae[plot]"' in lines[0]


def test_python_m_skae_version(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "skae", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"skae {skae.__version__}"


# --------------------------------------------------------------------------------------
# Ctrl-C: exit status 130, one line on stderr, no report
# --------------------------------------------------------------------------------------

#: Small settings of the interrupted runs (one autoencoder fit at k=2, one epoch).
TINY = ["--methods", "ae", "--n-components", "2", "--max-epochs", "1", "--max-samples", "100"]


def _interrupted_fit(self, X, y=None):
    """What a skae estimator's fit does on Ctrl-C: keep the last epoch, warn, return."""
    warnings.warn("Training interrupted after epoch 1.", FitInterruptedWarning, stacklevel=2)
    return self


def _keyboard_interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def _interrupt_plots(monkeypatch):
    from skae.plotting import LossCurveDisplay

    monkeypatch.setattr(LossCurveDisplay, "from_estimator", _keyboard_interrupt)


def _interrupt_publish(monkeypatch):
    """Ctrl-C while the staged files are moved into place, before report.md."""
    replace = os.replace

    def interrupted(src, dst):
        if os.path.basename(dst) == cli.REPORT_FILE:
            raise KeyboardInterrupt
        replace(src, dst)

    monkeypatch.setattr(cli.os, "replace", interrupted)


INTERRUPTIONS = {
    "parse": lambda mp: mp.setattr(cli, "_build_parser", _keyboard_interrupt),
    "load": lambda mp: mp.setattr(cli, "_load_data", _keyboard_interrupt),
    "pca-fit": lambda mp: mp.setattr("sklearn.decomposition.PCA.fit", _keyboard_interrupt),
    "fit-raises": lambda mp: mp.setattr(AutoencoderTransformer, "fit", _keyboard_interrupt),
    "fit-warns": lambda mp: mp.setattr(AutoencoderTransformer, "fit", _interrupted_fit),
    "transform": lambda mp: mp.setattr(AutoencoderTransformer, "transform", _keyboard_interrupt),
    "plots": _interrupt_plots,
    "report": lambda mp: mp.setattr(cli, "_write_report", _keyboard_interrupt),
}


def _assert_interrupted(status, err):
    assert status == cli.EXIT_INTERRUPTED == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "skae: interrupted; no report was written"


@pytest.mark.parametrize("where", list(INTERRUPTIONS))
def test_interrupt_exits_130_without_report(run, tmp_path, monkeypatch, where):
    out_dir = tmp_path / "report"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("x")
    (out_dir / "report.md").write_text("the previous report")
    INTERRUPTIONS[where](monkeypatch)

    status, _, err = run(*TINY, "--output", out_dir, "--quiet")

    _assert_interrupted(status, err)
    assert sorted(os.listdir(out_dir)) == ["keep.txt", "report.md"]
    assert (out_dir / "report.md").read_text() == "the previous report"


@pytest.mark.parametrize("where", ["fit-warns", "plots"])
def test_interrupt_removes_the_folders_it_created(run, tmp_path, monkeypatch, where):
    INTERRUPTIONS[where](monkeypatch)
    status, _, err = run(*TINY, "--output", tmp_path / "new" / "report", "--quiet")
    _assert_interrupted(status, err)
    assert not (tmp_path / "new").exists()


def test_interrupt_while_publishing(run, tmp_path, monkeypatch):
    # The staged files already moved stay; report.md (moved last) is not written.
    _interrupt_publish(monkeypatch)
    out_dir = tmp_path / "report"
    status, _, err = run(*TINY, "--output", out_dir, "--quiet")
    _assert_interrupted(status, err)
    assert not (out_dir / "report.md").exists()
    assert not [p for p in os.listdir(out_dir) if p.startswith(".")]


class _InterruptAtEpoch2(Callback):
    """Ctrl-C at the end of the second epoch, inside skorch's training loop."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt


def test_interrupt_inside_the_training_loop(run, tmp_path, monkeypatch):
    # skorch catches a KeyboardInterrupt raised in its training loop and returns normally;
    # the estimator then warns (FitInterruptedWarning), and compare() turns that back into
    # the interruption. Without it the report of a truncated model was written (exit 0).
    make_estimators = cli._make_estimators

    def with_interrupt(*args, **kwargs):
        estimators = make_estimators(*args, **kwargs)
        estimators["ae"].set_params(callbacks=[_InterruptAtEpoch2()])
        return estimators

    monkeypatch.setattr(cli, "_make_estimators", with_interrupt)
    out_dir = tmp_path / "report"
    status, _, err = run(*TINY, "--max-epochs", "4", "--output", out_dir, "--quiet")
    _assert_interrupted(status, err)
    assert not out_dir.exists()


# --------------------------------------------------------------------------------------
# Errors: one line on stderr, exit status 1, no traceback
# --------------------------------------------------------------------------------------


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


ERROR_CASES = {
    "unknown-dataset": (lambda tmp: ["--dataset", "cifar-1000"], "unknown dataset 'cifar-1000'"),
    "unsupported-file": (
        lambda tmp: ["--dataset", _write(tmp / "data.txt", "1,2\n")],
        "unsupported data file",
    ),
    "missing-mnist": (
        lambda tmp: ["--dataset", "mnist", "--data-home", tmp / "empty"],
        "MNIST file train-images-idx3-ubyte.gz not found",
    ),
    "missing-csv": (lambda tmp: ["--dataset", tmp / "nowhere.csv"], "no such file"),
    "ragged-csv": (
        lambda tmp: ["--dataset", _write(tmp / "bad.csv", "a,b\n1,2\n3,4,5,6\n")],
        "cannot parse CSV file",
    ),
    "non-numeric-csv": (
        lambda tmp: ["--dataset", _write(tmp / "text.csv", "a,b\n1,x\n2,y\n")],
        "non-numeric column(s): 'b'",
    ),
    "empty-csv": (lambda tmp: ["--dataset", _write(tmp / "empty.csv", "")], "empty"),
    "garbage-npy": (
        lambda tmp: ["--dataset", _write(tmp / "x.npy", b"not a numpy file")],
        "cannot read NumPy file",
    ),
    "output-is-a-file": (
        lambda tmp: ["--output", _write(tmp / "taken", "I am a file")],
        "cannot write to output directory",
    ),
    "conv-without-image-shape": (
        lambda tmp: ["--methods", "conv", "--dataset", _npy(tmp / "ten.npy", (40, 10))],
        "'conv' needs images",
    ),
    "n-components-zero": (lambda tmp: ["--n-components", "0", "2"], "--n-components"),
    "n-components-not-int": (lambda tmp: ["--n-components", "two"], "--n-components"),
    "n-components-too-large": (
        lambda tmp: ["--n-components", "2", "100"],
        "cannot exceed the number of features",
    ),
    "unknown-method": (lambda tmp: ["--methods", "pca,umap"], "unknown method 'umap'"),
    "max-epochs-zero": (lambda tmp: ["--max-epochs", "0"], "--max-epochs"),
}


def _npy(path, shape):
    np.save(path, np.random.default_rng(0).random(shape))
    return path


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_compare_errors(run, tmp_path, case):
    make_args, fragment = ERROR_CASES[case]
    args = make_args(tmp_path)
    if "--output" not in args:
        args += ["--output", tmp_path / "out"]
    status, _out, err = run(*args)
    _assert_one_line_error(status, err, fragment)
    assert not (tmp_path / "out").exists()  # the output folder created for the run is removed


def test_output_dir_untouched_by_input_errors(run, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("x")
    status, _, err = run("--dataset", tmp_path / "nowhere.csv", "--output", out_dir)
    _assert_one_line_error(status, err)
    assert os.listdir(out_dir) == ["keep.txt"]


def test_report_that_cannot_be_moved_into_place(run, tmp_path):
    out_dir = tmp_path / "out"
    (out_dir / "report.md").mkdir(parents=True)  # a folder where the report goes
    status, _, err = run("--methods", "pca", "--n-components", "2", "--output", out_dir, "--quiet")
    _assert_one_line_error(status, err, f"cannot write {out_dir / 'report.md'}")
    assert not [p for p in os.listdir(out_dir) if p.startswith(".")]  # no staging folder left


def test_unexpected_error_hints_at_traceback(run, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\non two lines")

    monkeypatch.setattr("skae.metrics.compare", broken)
    status, _, err = run("--methods", "pca", "--output", tmp_path / "out")
    _assert_one_line_error(status, err, "RuntimeError: boom on two lines", "--traceback")

    status, _, err = run("--methods", "pca", "--output", tmp_path / "out", "--traceback")
    assert status == 1
    assert "Traceback" in err
    assert err.strip().splitlines()[-1] == "skae: error: RuntimeError: boom on two lines"


@pytest.mark.parametrize(
    "argv",
    [[], ["compare", "--max-epochs", "many"], ["compare", "--device", "tpu"], ["frobnicate"]],
)
def test_bad_syntax_exits_2(run, argv):
    status, _, err = run(*argv, command=None)
    assert status == 2
    assert "usage: skae" in err
    assert "Traceback" not in err


def test_help_exits_0(run):
    status, out, _ = run("--help")
    assert status == 0
    assert "--max-samples" in out


def test_failing_plot_is_a_warning(run, tmp_path, monkeypatch):
    from skae.plotting import LossCurveDisplay

    def broken(*args, **kwargs):
        raise ValueError("cannot draw this")

    monkeypatch.setattr(LossCurveDisplay, "from_estimator", broken)
    out_dir = tmp_path / "out"
    status, _, err = run(*FAST, "--methods", "ae", "--output", out_dir, "--quiet")

    assert status == 0, err
    assert "skae: warning: could not draw loss_curves.png: ValueError: cannot draw this" in err
    assert "Traceback" not in err
    assert not (out_dir / "loss_curves.png").exists()
    report = (out_dir / "report.md").read_text()
    assert "loss_curves.png" not in report
    for link in _linked_pngs(report):
        _assert_png(out_dir / link)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_requested_without_cuda(run, tmp_path):
    status, _, err = run("--device", "cuda", "--output", tmp_path / "out")
    _assert_one_line_error(status, err, "CUDA is not available")


# --------------------------------------------------------------------------------------
# Messages from the loaders' typed errors and from check_array
# --------------------------------------------------------------------------------------

DATA_ERROR_CASES = {
    "npy-with-nan": (
        lambda tmp: _write_npy(tmp / "nan.npy", np.full((20, 4), np.nan)),
        "NumPy file {path}: Input contains NaN.",
    ),
    "npy-too-few-rows": (
        lambda tmp: _npy(tmp / "five.npy", (5, 3)),
        "NumPy file {path}: Found array with 5 sample(s) (shape=(5, 3)) while a minimum of 10",
    ),
    "npy-no-features": (
        lambda tmp: _npy(tmp / "none.npy", (20, 0)),
        "NumPy file {path}: Found array with 0 feature(s)",
    ),
    "npy-no-images": (
        lambda tmp: _npy(tmp / "no-images.npy", (0, 4, 4)),
        "NumPy file {path}: Found array with 0 sample(s)",
    ),
    "npy-complex": (
        lambda tmp: _write_npy(tmp / "complex.npy", np.ones((20, 4), dtype=complex)),
        "NumPy file {path} holds complex numbers",
    ),
    "npy-1d": (lambda tmp: _npy(tmp / "flat.npy", (20,)), "expected a 2-D array"),
    "csv-too-few-rows": (
        lambda tmp: _write(tmp / "few.csv", "a,b\n1,2\n3,4\n"),
        "CSV file {path}: Found array with 2 sample(s)",
    ),
    "csv-missing-value": (
        lambda tmp: _write(tmp / "gap.csv", "a,b\n1,2\n3,\n"),
        "1 missing or infinite value(s), the first in row 2, column 'b'",
    ),
}


def _write_npy(path, array):
    np.save(path, array)
    return path


@pytest.mark.parametrize("case", list(DATA_ERROR_CASES))
def test_data_errors(run, tmp_path, case):
    make_path, fragment = DATA_ERROR_CASES[case]
    path = make_path(tmp_path)
    status, _out, err = run("--dataset", path, "--output", tmp_path / "out")
    _assert_one_line_error(status, err, fragment.format(path=path))
    assert not (tmp_path / "out").exists()


def test_missing_mnist_message_comes_from_the_error_attributes(run, tmp_path):
    # The download was tried (and failed, offline): the message says so, in one line.
    home = tmp_path / "empty"
    status, _, err = run("--dataset", "fashion-mnist", "--data-home", home)
    _assert_one_line_error(
        status,
        err,
        "Fashion-MNIST file train-images-idx3-ubyte.gz not found in "
        f"{home / 'fashion-mnist'} or {home} and could not be downloaded; put the "
        "Fashion-MNIST IDX files there, or point --data-home",
    )


def test_missing_data_message_is_not_parsed(run, tmp_path, monkeypatch):
    # Only the attributes of DatasetNotFoundError are used, never its text.
    from skae.datasets import DatasetNotFoundError

    def missing(subset, *, data_home, **kwargs):
        raise DatasetNotFoundError(
            "a message in another language",
            dataset="mnist",
            file_name="t10k-labels-idx1-ubyte.gz",
            data_home=str(tmp_path / "home"),
            searched=[str(tmp_path / "home" / "mnist" / "t10k-labels-idx1-ubyte.gz")],
        )

    monkeypatch.setattr("skae.datasets.load_mnist", missing)
    status, _, err = run("--dataset", "mnist", "--output", tmp_path / "out")
    _assert_one_line_error(
        status,
        err,
        f"MNIST file t10k-labels-idx1-ubyte.gz not found in {tmp_path / 'home' / 'mnist'} "
        f"or {tmp_path / 'home'}; put the MNIST IDX files there",
    )
    assert "another language" not in err
    assert "could not be downloaded" not in err  # download_errors is None: not tried


def test_invalid_mnist_file_is_reported_with_the_loader_message(run, tmp_path):
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8bnot gzip")
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"")
    status, _, err = run("--dataset", "mnist", "--data-home", tmp_path / "data")
    _assert_one_line_error(status, err, "cannot load MNIST: ", "train-images-idx3-ubyte.gz")


# --------------------------------------------------------------------------------------
# The trustworthiness column and the umap-ae method
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, expected",
    [
        (["pca", "ae", "umap-ae"], ["pca", "ae", "umap-ae"]),
        (["umap-ae"], ["pca", "umap-ae"]),
        (["umap-ae,ae"], ["pca", "umap-ae", "ae"]),
        (["UMAP-AE", "pca", "umap-ae"], ["pca", "umap-ae"]),
    ],
)
def test_parse_methods_umap_ae(values, expected):
    args = cli._build_parser().parse_args(["compare", "--methods", *values])
    assert cli._parse_methods(args.methods) == (expected, True)


def test_umap_ae_is_not_a_default_method(run):
    assert "umap-ae" in cli.METHODS
    assert "umap-ae" not in cli.DEFAULT_METHODS
    assert cli._parse_methods(None) == (list(cli.DEFAULT_METHODS), False)
    status, out, _ = run("--help")
    assert status == 0
    assert "umap-ae" in out
    assert "latent_regularizer='umap'" in out
    status, _, err = run("--methods", "umap", "--output", "out")
    _assert_one_line_error(status, err, "unknown method 'umap'", "umap-ae")


def test_make_estimators_umap_ae():
    import argparse

    args = argparse.Namespace(seed=3, device="cpu", max_epochs=2)
    estimators = cli._make_estimators(["pca", "ae", "umap-ae"], None, args)
    assert list(estimators) == ["pca", "ae", "umap-ae"]
    umap_ae = estimators["umap-ae"]
    assert type(umap_ae) is AutoencoderTransformer
    params = umap_ae.get_params()
    assert params["latent_regularizer"] == "umap"
    assert (params["random_state"], params["device"], params["max_epochs"]) == (3, "cpu", 2)
    assert estimators["ae"].get_params()["latent_regularizer"] is None


def test_compare_trustworthiness_in_the_report(run, tmp_path):
    out_dir = tmp_path / "pca"
    status, out, err = run("--methods", "pca", "--n-components", "2", "--output", out_dir)

    assert status == 0, err
    results = pd.read_csv(out_dir / "results.csv")
    assert results.trustworthiness.between(0, 1).all()
    header = next(line for line in out.splitlines() if line.split()[:1] == ["method"])
    assert header.split()[-1] == "trustworthiness"
    report = (out_dir / "report.md").read_text()
    assert "| trustworthiness |" in report
    assert "`trustworthiness` (between 0 and 1" in report
    assert "at most 2000 test rows" in report
    assert "`umap-ae` is" not in report  # only when umap-ae was run


def test_compare_umap_ae_end_to_end(run, tmp_path):
    out_dir = tmp_path / "umap"
    status, out, err = run(
        "--methods",
        "pca",
        "umap-ae",
        "--n-components",
        "2",
        "--max-epochs",
        "1",
        "--max-samples",
        "100",
        "--output",
        out_dir,
        "--quiet",
    )

    assert status == 0, err
    results = pd.read_csv(out_dir / "results.csv")
    assert list(results.columns) == list(COMPARE_COLUMNS)
    assert list(results.method) == ["pca", "umap-ae"]
    assert "umap-ae" in out  # the printed table
    assert results.trustworthiness.between(0, 1).all()
    assert results.knn_accuracy.notna().all()
    report = (out_dir / "report.md").read_text()
    assert "**Methods:** pca, umap-ae" in report
    assert "`umap-ae` is the autoencoder" in report
    links = set(_linked_pngs(report))
    assert {"latent_pca.png", "latent_umap-ae.png", "loss_curves.png"} <= links
    for link in links:
        _assert_png(out_dir / link)
