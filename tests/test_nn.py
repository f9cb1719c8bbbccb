# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The torch modules of skae.nn (dense parts, layers, autoencoders, loss, builder)."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from skae.nn import (
    ACTIVATIONS,
    MLP,
    Autoencoder,
    AutoencoderLoss,
    ConvDecoder,
    ConvEncoder,
    GaussianNoise,
    MaskingNoise,
    MLPDecoder,
    MLPEncoder,
    SaltAndPepperNoise,
    VariationalAutoencoder,
    build_autoencoder,
    get_activation,
    make_noise,
)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _linear_shapes(module):
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


# ----------------------------------------------------------------------------- MLP
@pytest.mark.parametrize("hidden", [(), (8,), (8, 4), (5, 7, 3)])
def test_mlp_layer_layout(hidden):
    mlp = MLP(10, 2, hidden)
    widths = [10, *hidden, 2]
    assert _linear_shapes(mlp) == list(itertools.pairwise(widths))
    # 4 modules per hidden block (Linear, norm, activation, dropout) + final Linear
    layers = list(mlp.layers)
    assert len(layers) == 4 * len(hidden) + 1
    for i in range(len(hidden)):
        block = layers[4 * i : 4 * i + 4]
        assert [type(m) for m in block] == [nn.Linear, nn.Identity, nn.ReLU, nn.Identity]
    assert isinstance(layers[-1], nn.Linear)
    assert (mlp.in_features, mlp.out_features) == (10, 2)
    assert mlp(torch.randn(3, 10)).shape == (3, 2)


def test_mlp_output_is_linear():
    mlp = MLP(4, 3, (8,))
    # The last layer has no activation: outputs can be negative and unbounded.
    out = mlp(torch.randn(200, 4) * 10)
    assert (out < 0).any() and (out > 0).any()


def test_mlp_batch_norm_dropout_activation():
    mlp = MLP(6, 2, (8, 4), activation=nn.Tanh, batch_norm=True, dropout=0.25)
    layers = list(mlp.layers)
    for i, width in enumerate((8, 4)):
        lin, norm, act, drop = layers[4 * i : 4 * i + 4]
        assert isinstance(lin, nn.Linear) and lin.out_features == width
        assert isinstance(norm, nn.BatchNorm1d) and norm.num_features == width
        assert isinstance(act, nn.Tanh)
        assert isinstance(drop, nn.Dropout) and drop.p == 0.25
    # each hidden block gets its own activation instance
    acts = [m for m in mlp.modules() if isinstance(m, nn.Tanh)]
    assert len(acts) == 2 and acts[0] is not acts[1]


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((4, 2, (8,)), dict(dropout=1.0), "dropout"),
        ((4, 2, (8,)), dict(dropout=-0.1), "dropout"),
        ((4, 2, (0,)), dict(), "positive"),
        ((0, 2, (8,)), dict(), "positive"),
        ((4, 0, (8,)), dict(), "positive"),
    ],
)
def test_mlp_rejects_bad_sizes(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP(*args, **kwargs)


@pytest.mark.parametrize("hidden", [(), (16,), (16, 8), (12, 8, 4)])
def test_decoder_mirrors_encoder(hidden):
    enc = MLPEncoder(20, 3, hidden)
    dec = MLPDecoder(20, 3, hidden)
    enc_shapes = _linear_shapes(enc)
    dec_shapes = _linear_shapes(dec)
    assert dec_shapes == [(b, a) for a, b in reversed(enc_shapes)]
    x = torch.randn(5, 20)
    assert enc(x).shape == (5, 3)
    assert dec(enc(x)).shape == (5, 20)


def test_encoder_decoder_default_sizes():
    assert _linear_shapes(MLPEncoder(30, 2)) == [(30, 256), (256, 128), (128, 2)]
    assert _linear_shapes(MLPDecoder(30, 2)) == [(2, 128), (128, 256), (256, 30)]


# ----------------------------------------------------------------------------- layers
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_get_activation_names(name):
    cls = get_activation(name)
    assert cls is ACTIVATIONS[name]
    assert isinstance(cls(), nn.Module)


def test_get_activation_passes_classes_through():
    assert get_activation(nn.Softplus) is nn.Softplus


def test_get_activation_errors():
    with pytest.raises(ValueError, match="Unknown activation 'foo'"):
        get_activation("foo")
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(int)
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(nn.ReLU())  # an instance, not a class


def test_gaussian_noise():
    x = torch.ones(2000)
    layer = GaussianNoise(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    out = layer(x)
    assert not torch.equal(out, x)
    assert out.shape == x.shape
    assert abs(float((out - x).std()) - 0.5) < 0.05
    assert abs(float((out - x).mean())) < 0.05
    assert torch.equal(x, torch.ones(2000))  # input not modified
    assert GaussianNoise(0.0).train()(x) is x


def test_masking_noise():
    x = torch.full((4000,), 3.0)
    layer = MaskingNoise(0.3)
    assert layer.eval()(x) is x
    out = layer.train()(x)
    zeros = out == 0
    assert abs(float(zeros.float().mean()) - 0.3) < 0.03
    # kept values are not rescaled (unlike nn.Dropout)
    assert torch.equal(out[~zeros], x[~zeros])
    assert torch.equal(x, torch.full((4000,), 3.0))
    assert MaskingNoise(0.0).train()(x) is x


def test_salt_and_pepper_noise():
    x = torch.full((4000,), 0.25)
    layer = SaltAndPepperNoise(0.4, low=-2.0, high=5.0)
    assert layer.eval()(x) is x
    out = layer.train()(x)
    values = set(out.unique().tolist())
    assert values <= {-2.0, 0.25, 5.0}
    frac_low = float((out == -2.0).float().mean())
    frac_high = float((out == 5.0).float().mean())
    assert abs(frac_low - 0.2) < 0.03
    assert abs(frac_high - 0.2) < 0.03
    assert torch.equal(x, torch.full((4000,), 0.25))
    assert SaltAndPepperNoise(0.0).train()(x) is x


@pytest.mark.parametrize(
    "kind, cls, attr",
    [("gaussian", GaussianNoise, "std"), ("masking", MaskingNoise, "p")],
)
def test_make_noise(kind, cls, attr):
    layer = make_noise(kind, 0.2)
    assert isinstance(layer, cls)
    assert getattr(layer, attr) == 0.2


def test_make_noise_salt_and_pepper_range():
    layer = make_noise("salt_and_pepper", 0.1, -1.0, 3.0)
    assert isinstance(layer, SaltAndPepperNoise)
    assert (layer.p, layer.low, layer.high) == (0.1, -1.0, 3.0)


@pytest.mark.parametrize("kind, level", [(None, 0.5), ("gaussian", 0.0), ("masking", 0)])
def test_make_noise_identity(kind, level):
    assert isinstance(make_noise(kind, level), nn.Identity)


def test_make_noise_errors():
    with pytest.raises(ValueError, match="Unknown noise 'speckle'"):
        make_noise("speckle", 0.1)


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


# ----------------------------------------------------------------------------- builder
def test_build_mlp():
    ae = build_autoencoder(
        10,
        3,
        hidden_layer_sizes=(8, 4),
        activation="gelu",
        output_activation="sigmoid",
        batch_norm=True,
        dropout=0.1,
        noise="masking",
        noise_level=0.2,
    )
    assert type(ae) is Autoencoder
    assert isinstance(ae.encoder, MLPEncoder) and isinstance(ae.decoder, MLPDecoder)
    assert _linear_shapes(ae.encoder) == [(10, 8), (8, 4), (4, 3)]
    assert _linear_shapes(ae.decoder) == [(3, 4), (4, 8), (8, 10)]
    types = {type(m) for m in ae.modules()}
    assert {nn.GELU, nn.BatchNorm1d, nn.Dropout} <= types
    assert isinstance(ae.output_activation, nn.Sigmoid)
    assert isinstance(ae.noise, MaskingNoise) and ae.noise.p == 0.2
    ae.eval()
    out = ae.decode(ae.encode(torch.rand(5, 10)))
    assert out.shape == (5, 10) and (out >= 0).all() and (out <= 1).all()


@pytest.mark.parametrize("output_activation, cls", [("identity", nn.Identity), ("tanh", nn.Tanh)])
def test_build_output_activation(output_activation, cls):
    ae = build_autoencoder(4, 2, hidden_layer_sizes=(), output_activation=output_activation)
    assert isinstance(ae.output_activation, cls)
    assert _linear_shapes(ae) == [(4, 2), (2, 4)]


def test_build_salt_and_pepper_range():
    ae = build_autoencoder(4, 2, noise="salt_and_pepper", noise_level=0.1, noise_range=(-3, 7))
    assert (ae.noise.low, ae.noise.high) == (-3.0, 7.0)


def test_build_conv():
    ae = build_autoencoder(
        64,
        3,
        architecture="conv",
        input_shape=(1, 8, 8),
        conv_channels=(2, 4),
        output_activation="sigmoid",
    )
    assert isinstance(ae.encoder, ConvEncoder) and isinstance(ae.decoder, ConvDecoder)
    x = torch.rand(2, 64)
    assert ae.encode(x).shape == (2, 3)
    assert ae.decode(ae.encode(x)).shape == (2, 64)


def test_build_conv_needs_input_shape():
    with pytest.raises(ValueError, match="needs input_shape"):
        build_autoencoder(64, 3, architecture="conv")


def test_build_unknown_architecture():
    with pytest.raises(ValueError, match="Unknown architecture 'rnn'"):
        build_autoencoder(64, 3, architecture="rnn")


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_build_variational(architecture):
    ae = build_autoencoder(
        16,
        3,
        architecture=architecture,
        hidden_layer_sizes=(8,),
        input_shape=(1, 4, 4),
        conv_channels=(2,),
        variational=True,
    )
    assert type(ae) is VariationalAutoencoder
    x = torch.rand(5, 16)
    assert ae.encoder(x).shape == (5, 6)  # mean and log-variance
    assert ae.encode(x).shape == (5, 3)
    ae.eval()
    logits, z, mean, log_var = ae(x)
    assert logits.shape == (5, 16) and z.shape == mean.shape == log_var.shape == (5, 3)


class _Part(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.args = (n_in, n_out)
        self.lin = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.lin(x)


@pytest.mark.parametrize("variational, n_code", [(False, 3), (True, 6)])
def test_build_custom_classes(variational, n_code):
    ae = build_autoencoder(10, 3, encoder=_Part, decoder=_Part, variational=variational)
    assert isinstance(ae.encoder, _Part) and isinstance(ae.decoder, _Part)
    assert ae.encoder.args == (10, n_code)
    assert ae.decoder.args == (3, 10)


def test_build_custom_instances_are_copied():
    enc, dec = nn.Linear(10, 3), nn.Linear(3, 10)
    ae = build_autoencoder(10, 3, encoder=enc, decoder=dec)
    assert ae.encoder is not enc and ae.decoder is not dec
    torch.testing.assert_close(ae.encoder.weight, enc.weight)
    with torch.no_grad():
        ae.encoder.weight.add_(1.0)
    assert not torch.equal(ae.encoder.weight, enc.weight)


def test_build_mixed_custom_and_builtin():
    ae = build_autoencoder(10, 3, hidden_layer_sizes=(8,), encoder=nn.Linear(10, 3))
    assert isinstance(ae.encoder, nn.Linear)
    assert isinstance(ae.decoder, MLPDecoder)
    assert _linear_shapes(ae.decoder) == [(3, 8), (8, 10)]


def test_build_custom_part_errors():
    with pytest.raises(TypeError, match=r"encoder must be a torch\.nn\.Module"):
        build_autoencoder(10, 3, encoder=int)
    with pytest.raises(TypeError, match=r"decoder must be a torch\.nn\.Module"):
        build_autoencoder(10, 3, decoder="linear")
