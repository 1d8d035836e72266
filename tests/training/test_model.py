from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pm25.preprocess import DEFAULT_MEAN, DEFAULT_STD
from tests.training.conftest import tiny_config
from training.config import ModelConfig, TrainConfig
from training.metrics import Z80, evaluate, fit_linear, log_offset, per_camera_calibration
from training.model import (
    ExportWrapper,
    HazeNet,
    count_macs,
    count_parameters,
    vertical_profile,
)
from training.train import nll, seed_everything


def test_default_model_fits_the_pi_budget() -> None:
    net = HazeNet(ModelConfig(), 18)
    assert count_parameters(net) <= 1_000_000
    macs = count_macs(net, 96, 160)
    # First conv alone: 12 out channels × 27 × (48·80) outputs.
    assert 12 * 27 * 48 * 80 < macs < 50_000_000


def test_humidity_missing_values_are_equivalent() -> None:
    net = HazeNet(ModelConfig(channels=(4, 8), hidden=8), 3).eval()
    img, f = torch.randn(1, 3, 32, 32), torch.randn(1, 3)
    outs = [net(img, f, torch.tensor([[v]])) for v in (-1.0, float("nan"), 7.0)]
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(outs[0], outs[2])
    assert not torch.allclose(outs[0], net(img, f, torch.tensor([[0.5]])))


def test_hygroscopic_prior_divides_out_the_growth_law_only_when_humidity_is_known() -> None:
    net = HazeNet(ModelConfig(channels=(4, 8), hidden=8, hygroscopic_gamma=0.4), 3).eval()
    torch.nn.init.zeros_(net.out.weight)  # the head's answer no longer depends on its inputs
    torch.nn.init.constant_(net.out.bias, 3.0)
    img, f = torch.randn(1, 3, 32, 32), torch.randn(1, 3)

    @torch.no_grad()
    def mu(rh: float) -> float:
        return float(net(img, f, torch.tensor([[rh]]))[0, 0])

    assert mu(0.0) == mu(-1.0) == mu(float("nan")) == 3.0  # f(0) = 1, and unknown means no term
    assert mu(0.8) == pytest.approx(3.0 - 0.4 * -math.log(0.2), abs=1e-6)  # log PM − log f(RH)
    assert mu(0.99) == pytest.approx(mu(0.95), abs=1e-6)  # capped where droplets activate
    off = HazeNet(ModelConfig(channels=(4, 8), hidden=8), 3).eval()
    torch.nn.init.zeros_(off.out.weight)
    torch.nn.init.constant_(off.out.bias, 3.0)
    with torch.no_grad():
        assert float(off(img, f, torch.tensor([[0.8]]))[0, 0]) == 3.0


def test_export_wrapper_gives_log_normal_moments() -> None:
    net = HazeNet(ModelConfig(channels=(4,), hidden=8), 1).eval()
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.copy_(torch.tensor([math.log(51.0), math.log(0.04)]))  # mu, s² = 0.04
    out = ExportWrapper(net)(torch.zeros(1, 3, 8, 8), torch.zeros(1, 1), torch.zeros(1, 1))
    assert float(out[0, 0]) == pytest_approx(50.0)  # log-normal median
    var = (math.exp(0.04) - 1) * 51.0**2 * math.exp(0.04)
    assert float(out[0, 1]) == pytest_approx(math.log(var))


def pytest_approx(x: float) -> object:
    import pytest

    return pytest.approx(x, rel=1e-4)


def test_a_few_steps_reduce_the_loss() -> None:
    seed_everything(0, 1)
    cfg = tiny_config().model
    net = HazeNet(cfg, 4)
    img, f = torch.randn(32, 3, 32, 48), torch.randn(32, 4)
    y = torch.log(1.0 + 100 * torch.sigmoid(img[:, 0].mean((1, 2)) * 5))
    h = torch.rand(32, 1)
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    first = float(nll(net(img, f, h), y).detach())
    for _ in range(40):
        loss = nll(net(img, f, h), y)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    assert float(nll(net(img, f, h), y).detach()) < first - 0.5
    assert TrainConfig().threads == 2


def test_metrics_by_band_and_coverage() -> None:
    truth = np.array([5.0, 20.0, 40.0, 100.0, 200.0])
    pred = truth + np.array([1.0, -2.0, 0.0, 10.0, -20.0])
    sd = np.array([1.0, 1.0, 1.0, 1.0, 1.0]) / Z80 * np.array([2, 1, 1, 20, 1])
    m = evaluate(pred, sd, truth)
    overall, bands = m["overall"], m["by_band"]
    assert isinstance(overall, dict) and isinstance(bands, dict)
    assert overall["rmse"] == np.sqrt(np.mean(np.array([1, 4, 0, 100, 400.0])))
    assert overall["bias"] == -2.2
    assert overall["coverage80"] == 0.6  # inside: 5 (|1|≤2), 40 (0≤1), 100 (10≤20)
    assert overall["aqi_accuracy"] == 1.0
    assert set(bands) == {"0-9", "9-35.4", "35.5-55.4", "55.5-125.4", "125.5+"}
    assert bands["125.5+"]["mae"] == 20.0


def test_per_camera_calibration_fixes_a_linear_camera_error() -> None:
    truth = np.tile(np.linspace(5, 200, 10), 2)
    pred = np.concatenate([truth[:10] * 0.5 + 3, truth[10:] * 1.5 - 2])
    cam = np.array(["a"] * 10 + ["b"] * 10)
    t = np.tile(np.arange(10), 2).astype(np.int64)
    out = per_camera_calibration(pred, truth, cam, t, k=4)
    assert out["rmse_before"] > 20 and out["rmse_after"] < 1e-6
    assert fit_linear(np.array([3.0, 3.0]), np.array([4.0, 6.0])) == (1.0, 2.0)


def test_log_offset_calibration_removes_a_multiplicative_camera_bias_from_one_frame() -> None:
    truth = np.tile(np.linspace(20, 200, 10), 2)
    pred = np.expm1(np.log1p(truth) + np.repeat([0.3, -0.2], 10))  # +35 % and −18 % cameras
    sd = 0.05 * (pred + 1.0)  # the model is sure of itself: the prior barely shrinks the fit
    cam = np.array(["a"] * 10 + ["b"] * 10)
    t = np.tile(np.arange(10), 2).astype(np.int64)
    out = per_camera_calibration(pred, truth, cam, t, k=1, sd=sd)
    assert out["rmse_before"] > 20 and out["rmse_after"] < 0.1 * out["rmse_before"]
    assert out["aqi_accuracy_after"] >= 0.9
    # an unsure model (sd ≈ the level) gets only part of the way from one frame: the prior holds
    assert -0.05 < log_offset(pred[:1], pred[:1] + 1.0, truth[:1]) < -0.005


def _normalised(raw: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(DEFAULT_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(DEFAULT_STD).view(1, 3, 1, 1)
    return (raw - mean) / std


def test_vertical_profile_ignores_exposure_and_sees_the_sky_gradient() -> None:
    rows = torch.linspace(0.2, 0.6, 24).view(1, 1, 24, 1)
    raw = rows * torch.tensor([0.8, 0.9, 1.0]).view(1, 3, 1, 1) * torch.ones(1, 3, 24, 16)
    raw = raw + 0.2 * torch.rand(1, 3, 24, 16, generator=torch.Generator().manual_seed(0))
    p = vertical_profile(_normalised(raw), 4)
    assert p.shape == (1, 24)  # 3 channels × 4 bands × (log level, log contrast)
    darker = vertical_profile(_normalised(raw * 0.5), 4)
    torch.testing.assert_close(p[:, :12], darker[:, :12], atol=2e-3, rtol=0)  # levels
    torch.testing.assert_close(p[:, 12:], darker[:, 12:], atol=0.05, rtol=0)  # contrast (ε)
    flat = vertical_profile(_normalised(torch.full((1, 3, 24, 16), 0.4)), 4)
    assert not torch.allclose(p[:, :12], flat[:, :12], atol=0.1)  # the gradient is visible


def test_profile_branch_widens_only_the_head() -> None:
    plain = HazeNet(ModelConfig(channels=(4, 8), hidden=8), 3)
    prof = HazeNet(ModelConfig(channels=(4, 8), hidden=8, profile_rows=4), 3)
    assert count_parameters(prof) - count_parameters(plain) == 6 * 4 * 8
    out = prof.eval()(torch.randn(2, 3, 32, 32), torch.randn(2, 3), torch.zeros(2, 1))
    assert out.shape == (2, 2) and bool(torch.isfinite(out).all())
