"""Train HazeNet: seeded, deterministic, early stopping on held-out cameras, interval calibration.

Loss: Gaussian negative log-likelihood on y = log(PM2.5 + c) with predicted log-variance
(heteroscedastic). After training, one scalar on the variance is fitted on the validation cameras
so the 80 % interval the device reports (mean ± 1.2816·sd in µg/m³) covers 80 % there.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import random
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from training.config import ModelConfig, TrainConfig
from training.model import ExportWrapper, HazeNet
from training.tensors import Arrays

log = logging.getLogger(__name__)
Z80 = 1.2815515655446004  # two-sided 80 % interval of a standard normal
F64 = npt.NDArray[np.float64]


@dataclass
class TrainResult:
    """The best model and how training went."""

    model: HazeNet
    device: str
    epochs_run: int
    best_epoch: int
    seconds: float
    seconds_per_epoch: float
    history: list[dict[str, float]] = field(default_factory=list)


def seed_everything(seed: int, threads: int) -> None:
    """Fix python, numpy and torch seeds and make torch deterministic."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)


def pick_device(name: str) -> torch.device:
    """'auto' → CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _tensors(data: Arrays, device: torch.device) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    rh = np.where(np.isfinite(data.rh), data.rh, -1.0).astype(np.float32)
    return (
        torch.from_numpy(data.images.astype(np.float32)).to(device),
        torch.from_numpy(data.features).to(device),
        torch.from_numpy(rh[:, None]).to(device),
        torch.from_numpy(data.pm25).to(device),
    )


def nll(out: Tensor, y: Tensor, beta: float = 0.0) -> Tensor:
    """Mean Gaussian NLL (constant dropped) of y under [mu, log var].

    beta > 0 is β-NLL (Seitzer et al. 2022): each sample's term is weighted by its detached
    variance^β, so the model cannot buy a low loss on hard samples by inflating their variance
    instead of fitting their mean.
    """
    mu, logvar = out[:, 0], out[:, 1].clamp(-12.0, 6.0)
    per = 0.5 * (logvar + (y - mu) ** 2 * torch.exp(-logvar))
    if beta > 0.0:
        per = per * torch.exp(beta * logvar.detach())
    return per.mean()


def train(
    train_data: Arrays,
    val_data: Arrays,
    mcfg: ModelConfig,
    cfg: TrainConfig,
    init: dict[str, torch.Tensor] | None = None,
) -> TrainResult:
    """Train from scratch, or from `init` (a state dict: warm start, feature scaling kept);
    returns the model of the best validation epoch."""
    seed_everything(cfg.seed, cfg.threads)
    device = pick_device(cfg.device)
    model = HazeNet(mcfg, train_data.features.shape[1])
    model.feat_mean.copy_(torch.from_numpy(train_data.features.mean(0)))
    model.feat_std.copy_(torch.from_numpy(train_data.features.std(0) + 1e-6))
    if init is not None:
        model.load_state_dict(init)
    model.to(device)
    x_img, x_f, x_h, pm = _tensors(train_data, device)
    y = torch.log(pm + mcfg.log_offset)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    gen = torch.Generator().manual_seed(cfg.seed)
    # Validation uses an exponential moving average of the weights: far steadier on unseen
    # cameras than the raw weights of the last step.
    ema_fn = get_ema_multi_avg_fn(cfg.ema_decay)  # type: ignore[no-untyped-call]
    ema = AveragedModel(model, multi_avg_fn=ema_fn, use_buffers=True)
    best, best_rmse, best_epoch, history = copy.deepcopy(model), math.inf, 0, []
    start = time.perf_counter()
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(y), generator=gen).to(device)
        total = 0.0
        for i in range(0, len(order) - 1, cfg.batch_size):
            b = order[i : i + cfg.batch_size]
            img, hum = x_img[b], x_h[b].clone()
            flip = torch.rand(len(b), generator=gen).to(device) < 0.5
            img = torch.where(flip[:, None, None, None], img.flip(3), img)
            drop = torch.rand(len(b), generator=gen).to(device) < cfg.humidity_dropout
            hum[drop] = -1.0
            loss = nll(model(img, x_f[b], hum), y[b], cfg.beta_nll)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            ema.update_parameters(model)
            total += float(loss.detach()) * len(b)
        sched.step()
        averaged = ema.module
        assert isinstance(averaged, HazeNet)
        mean, _ = predict(averaged, val_data)
        rmse = float(np.sqrt(np.mean((mean - val_data.pm25) ** 2)))
        history.append({"epoch": epoch, "train_nll": total / len(y), "val_rmse": rmse})
        log.info("epoch %d train_nll %.4f val_rmse %.2f", epoch, total / len(y), rmse)
        if rmse < best_rmse:
            best, best_rmse, best_epoch = copy.deepcopy(averaged), rmse, epoch
        elif epoch - best_epoch >= cfg.patience:
            break
    seconds = time.perf_counter() - start
    best = best.cpu().eval()
    calibrate_interval(best, val_data)
    return TrainResult(best, device.type, epoch, best_epoch, seconds, seconds / epoch, history)


@torch.no_grad()
def predict(model: HazeNet, data: Arrays, batch: int = 256) -> tuple[F64, F64]:
    """(mean, sd) in µg/m³ of the deployed graph (ExportWrapper), in eval mode."""
    was = model.training
    model.eval()
    device = next(model.parameters()).device
    wrapper = ExportWrapper(model)
    outs = []
    for i in range(0, len(data), batch):
        img, f, h, _ = _tensors(data.take(np.arange(i, min(i + batch, len(data)))), device)
        outs.append(wrapper(img, f, h).cpu().numpy().astype(np.float64))
    model.train(was)
    out = np.concatenate(outs)
    return np.maximum(out[:, 0], 0.0), np.exp(0.5 * out[:, 1])


def coverage(mean: F64, sd: F64, truth: npt.NDArray[np.floating]) -> float:
    """Fraction of truths inside mean ± Z80·sd (the 80 % interval the device reports)."""
    return float(np.mean(np.abs(truth - mean) <= Z80 * sd))


def calibrate_interval(model: HazeNet, val: Arrays, target: float = 0.8) -> float:
    """Fit the variance scale so validation coverage of the 80 % interval is `target`."""
    lo, hi = math.log(1e-3), math.log(1e3)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        model.var_scale.fill_(math.exp(mid))
        mean, sd = predict(model, val)
        lo, hi = (mid, hi) if coverage(mean, sd, val.pm25) < target else (lo, mid)
    scale = math.exp(0.5 * (lo + hi))
    model.var_scale.fill_(scale)
    return scale
