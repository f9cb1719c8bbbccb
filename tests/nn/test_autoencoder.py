# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Autoencoder and VariationalAutoencoder modules, and AutoencoderLoss."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from skae.nn import (
    Autoencoder,
    AutoencoderLoss,
    GaussianNoise,
    MLPDecoder,
    MLPEncoder,
    VariationalAutoencoder,
)


# ----------------------------------------------------------------------------- autoencoders
def _ae(cls=Autoencoder, n_code=2, **kwargs):
    return cls(MLPEncoder(6, n_code, (8,)), MLPDecoder(6, 2, (8,)), **kwargs)


def test_autoencoder_forward_returns_logits_and_code():
    ae = _ae(output_activation=nn.Sigmoid())
    x = torch.rand(4, 6)
    logits, z = ae(x)
    assert logits.shape == (4, 6) and z.shape == (4, 2)
    torch.testing.assert_close(z, ae.encode(x))
    torch.testing.assert_close(ae.decode(z), torch.sigmoid(logits))
    torch.testing.assert_close(logits, ae.decoder(ae.encoder(x)))


def test_autoencoder_defaults_are_identity():
    ae = _ae()
    assert isinstance(ae.noise, nn.Identity)
    assert isinstance(ae.output_activation, nn.Identity)


def test_autoencoder_noise_only_in_training():
    ae = _ae(noise=GaussianNoise(1.0))
    x = torch.rand(8, 6)
    ae.eval()
    torch.testing.assert_close(ae(x)[1], ae(x)[1], rtol=0, atol=0)
    torch.testing.assert_close(ae(x)[1], ae.encode(x))
    ae.train()
    assert not torch.equal(ae(x)[1], ae.encoder(x))
    # encode never corrupts, even in training mode
    torch.testing.assert_close(ae.encode(x), ae.encoder(x))


def test_vae_encode_is_mean_and_eval_is_deterministic():
    vae = _ae(VariationalAutoencoder, n_code=4)
    x = torch.rand(5, 6)
    mean, log_var = vae.encoder(x).chunk(2, dim=-1)
    torch.testing.assert_close(vae.encode(x), mean)
    vae.eval()
    out1, out2 = vae(x), vae(x)
    assert len(out1) == 4
    for a, b in zip(out1, out2, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    logits, z, m, lv = out1
    torch.testing.assert_close(z, mean)
    torch.testing.assert_close(m, mean)
    torch.testing.assert_close(lv, log_var.clamp(-30, 20))
    assert logits.shape == (5, 6)


def test_vae_samples_in_training():
    vae = _ae(VariationalAutoencoder, n_code=4).train()
    x = torch.rand(5, 6)
    _, z1, mean, _ = vae(x)
    _, z2, _, _ = vae(x)
    assert not torch.equal(z1, z2)
    assert not torch.equal(z1, mean)


def test_vae_clamps_log_variance():
    enc = nn.Linear(3, 4)
    with torch.no_grad():
        enc.weight.zero_()
        enc.bias.copy_(torch.tensor([0.0, 0.0, 100.0, -100.0]))
    vae = VariationalAutoencoder(enc, nn.Linear(2, 3)).eval()
    _, _, _, log_var = vae(torch.zeros(2, 3))
    assert torch.equal(log_var[0], torch.tensor([20.0, -30.0]))


# ----------------------------------------------------------------------------- loss
def test_loss_mse_matches_hand_computation():
    logits, z, target = torch.randn(5, 4), torch.randn(5, 2), torch.rand(5, 4)
    crit = AutoencoderLoss("mse", output_activation=nn.Sigmoid())
    expected = ((torch.sigmoid(logits) - target) ** 2).mean()
    torch.testing.assert_close(crit((logits, z), target), expected)
    # identity output: plain MSE on the logits
    torch.testing.assert_close(
        AutoencoderLoss("mse")((logits, z), target), ((logits - target) ** 2).mean()
    )


def test_loss_bce_matches_hand_computation():
    logits, z, target = torch.randn(5, 4), torch.randn(5, 2), torch.rand(5, 4)
    crit = AutoencoderLoss("bce", output_activation=nn.Sigmoid())
    p = torch.sigmoid(logits)
    expected = -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
    torch.testing.assert_close(crit((logits, z), target), expected)
    assert set(crit.last_terms) == {"reconstruction"}


def test_loss_bce_is_stable_for_large_logits():
    logits = torch.tensor([[200.0, -200.0]])
    target = torch.tensor([[0.0, 1.0]])
    loss = AutoencoderLoss("bce")((logits, torch.zeros(1, 1)), target)
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss, torch.tensor(200.0))


def test_loss_latent_l1():
    logits, z, target = torch.randn(5, 4), torch.randn(5, 2), torch.randn(5, 4)
    crit = AutoencoderLoss("mse", latent_l1=0.3)
    rec = F.mse_loss(logits, target)
    expected = rec + 0.3 * z.abs().mean()
    torch.testing.assert_close(crit((logits, z), target), expected)
    torch.testing.assert_close(crit.last_terms["latent_l1"], z.abs().mean())
    torch.testing.assert_close(crit.last_terms["reconstruction"], rec)
    assert not crit.last_terms["latent_l1"].requires_grad


def test_loss_vae_kl_closed_form():
    n, k, d = 6, 3, 5
    logits, target = torch.randn(n, d), torch.randn(n, d)
    z, mean, log_var = torch.randn(n, k), torch.randn(n, k), torch.randn(n, k)
    beta = 0.7
    crit = AutoencoderLoss("mse", beta=beta)
    # KL(N(mean, exp(log_var)) || N(0, 1)) per sample, summed over codes,
    # averaged over samples and divided by the number of features
    var = log_var.exp()
    kl_per_sample = 0.5 * (var + mean**2 - 1 - log_var).sum(dim=1)
    kl = kl_per_sample.mean() / d
    expected = F.mse_loss(logits, target) + beta * kl
    torch.testing.assert_close(crit((logits, z, mean, log_var), target), expected)
    torch.testing.assert_close(crit.last_terms["kl"], kl)


def test_loss_vae_kl_zero_at_prior():
    n, k, d = 4, 2, 3
    target = torch.randn(n, d)
    crit = AutoencoderLoss("mse")
    out = (target.clone(), torch.zeros(n, k), torch.zeros(n, k), torch.zeros(n, k))
    assert float(crit(out, target)) == 0.0
    assert float(crit.last_terms["kl"]) == 0.0


def test_loss_vae_with_latent_l1():
    n, k, d = 4, 2, 3
    logits, target = torch.randn(n, d), torch.randn(n, d)
    z, mean, log_var = torch.randn(n, k), torch.randn(n, k), torch.zeros(n, k)
    crit = AutoencoderLoss("mse", latent_l1=0.5, beta=2.0)
    kl = 0.5 * (mean**2).sum(dim=1).mean() / d
    expected = F.mse_loss(logits, target) + 0.5 * z.abs().mean() + 2.0 * kl
    torch.testing.assert_close(crit((logits, z, mean, log_var), target), expected)
    assert set(crit.last_terms) == {"reconstruction", "latent_l1", "kl"}


def test_loss_rejects_unknown():
    with pytest.raises(ValueError, match="loss must be 'mse' or 'bce'"):
        AutoencoderLoss("mae")


def test_loss_gradients_flow():
    ae = _ae(output_activation=nn.Sigmoid())
    x = torch.rand(4, 6)
    AutoencoderLoss("bce", latent_l1=0.1)(ae(x), x).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in ae.parameters())
