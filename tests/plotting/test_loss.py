# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from skorch.history import History

from skae.plotting import LossCurveDisplay

from .conftest import FakeAutoencoder


def test_from_estimator(fake_ae):
    display = LossCurveDisplay.from_estimator(fake_ae)
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "loss"
    assert display.ax_.get_title() == "FakeAutoencoder"
    np.testing.assert_allclose(display.line_.get_ydata(), fake_ae.loss_curve_)
    np.testing.assert_allclose(display.line_.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(display.validation_line_.get_ydata(), fake_ae.validation_loss_curve_)
    assert display.best_marker_.get_xdata()[0] == 3
    texts = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert texts[:2] == ["training loss", "validation loss"]


def test_without_validation_and_given_axes(digits):
    est = FakeAutoencoder(early_stopping=False).fit(digits[0])
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(est, ax=ax, logy=True)
    assert display.ax_ is ax and display.figure_ is fig
    assert display.validation_line_ is None and display.best_marker_ is None
    assert ax.get_yscale() == "log"
    assert display.plot(ax=ax) is display


class _Net:
    def __init__(self, history):
        self.history = history


def _history(valid=True):
    history = History()
    for epoch, loss in enumerate([0.9, 0.5, 0.4]):
        history.new_epoch()
        history.record("epoch", epoch + 1)
        history.record("train_loss", loss)
        if valid:
            history.record("valid_loss", loss + 0.1)
    return history


def test_history_fallback(digits):
    est = FakeAutoencoder().fit(digits[0])
    est.loss_curve_ = None
    est.validation_loss_curve_ = None
    est.net_ = _Net(_history())
    display = LossCurveDisplay.from_estimator(est)
    np.testing.assert_allclose(display.line_.get_ydata(), [0.9, 0.5, 0.4])
    np.testing.assert_allclose(display.validation_line_.get_ydata(), [1.0, 0.6, 0.5])

    display = LossCurveDisplay.from_history(_history(valid=False), name="net")
    assert display.validation_line_ is None
    assert display.ax_.get_title() == "net"


def test_validation_scores_before_0_2(digits):
    # Estimators predating skae 0.2 store the validation losses as validation_scores_.
    est = FakeAutoencoder().fit(digits[0])
    est.validation_scores_ = est.__dict__.pop("validation_loss_curve_")
    display = LossCurveDisplay.from_estimator(est)
    np.testing.assert_allclose(display.validation_line_.get_ydata(), est.validation_scores_)


def test_errors(pca3):
    with pytest.raises(ValueError, match="no loss curve"):
        LossCurveDisplay.from_estimator(pca3)
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(FakeAutoencoder())
    with pytest.raises(ValueError, match="train_loss"):
        LossCurveDisplay.from_history(History())
