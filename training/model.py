"""HazeNet: a small CNN + haze features + humidity → PM2.5 mean and its uncertainty.

The network predicts a Gaussian on y = log(PM2.5 + c): mean mu and log-variance. Log space
matches the physics (extinction, hence contrast loss, is multiplicative) and makes the error
proportional to the level. The exported graph converts to µg/m³ with the log-normal moments:
point estimate = the median exp(mu) − c by default (with `mean_cap_s2` > 0 the log-normal mean
exp(mu + min(s², cap)/2) − c: less biased low, but less stable where the model is unsure),
var = (exp(s²) − 1)·exp(2mu + s²), and outputs [estimate, log var], the manifest's `mean_logvar`.
Only Conv, ReLU, pooling and Linear carry weights (all quantize well; no hard-swish, no
squeeze-excitation).

Humidity is one input in 0..1; any value outside 0..1 or NaN means "no sensor" and switches on a
missing indicator, so one model serves cameras with and without humidity. With
`hygroscopic_gamma` > 0 a known humidity also divides the growth law f(RH) out of the estimate.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from pm25.physics import DEFAULT_PARAMS
from pm25.preprocess import DEFAULT_MEAN, DEFAULT_STD
from training.config import ModelConfig

RH_CAP = DEFAULT_PARAMS.rh_cap  # f(RH) diverges at 1; above ~95 % droplets activate (fog)


class HazeNet(nn.Module):
    """image (N,3,H,W), features (N,F), humidity (N,1) → (N,2) = [mu, log var] in log space."""

    feat_mean: Tensor
    feat_std: Tensor
    var_scale: Tensor

    def __init__(self, cfg: ModelConfig, n_features: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in cfg.channels:
            layers += [
                nn.Conv2d(c_in, c, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
            ]
            c_in = c
        self.backbone = nn.Sequential(*layers)
        # Three horizontal bands keep coarse position: the top (far field, sky) behaves unlike the
        # bottom (near road). Input heights divisible by 3·2^stages keep this exportable.
        self.pool = nn.AdaptiveAvgPool2d((3, 1))
        self.register_buffer("feat_mean", torch.zeros(n_features))
        self.register_buffer("feat_std", torch.ones(n_features))
        self.register_buffer("var_scale", torch.tensor(1.0))  # set by interval calibration
        self.profile_rows = cfg.profile_rows
        width = 3 * c_in + n_features + 2 + 6 * cfg.profile_rows
        self.head = nn.Sequential(
            nn.Linear(width, cfg.hidden),
            nn.ReLU(inplace=True),
            nn.Linear(cfg.hidden, cfg.hidden),
            nn.ReLU(inplace=True),
        )
        self.out = nn.Linear(cfg.hidden, 2)
        self.log_offset = cfg.log_offset
        self.mean_cap_s2 = cfg.mean_cap_s2
        self.hygroscopic_gamma = cfg.hygroscopic_gamma

    def forward(self, image: Tensor, features: Tensor, humidity: Tensor) -> Tensor:
        x = torch.flatten(self.pool(self.backbone(image)), 1)
        f = (features - self.feat_mean) / self.feat_std
        known = (humidity >= 0.0) & (humidity <= 1.0)  # False for NaN too
        h = torch.where(known, humidity, torch.zeros_like(humidity))
        parts = [x, f, h, 1.0 - known.to(h.dtype)]
        if self.profile_rows:
            parts.append(vertical_profile(image, self.profile_rows))
        z = self.head(torch.cat(parts, dim=1))
        mu_logvar = self.out(z)
        mu, logvar = mu_logvar[:, :1], mu_logvar[:, 1:]
        if self.hygroscopic_gamma > 0.0:
            # The image shows wet extinction ∝ f(RH)·PM2.5; the reference monitor weighs dry mass.
            # Dividing by the known growth law leaves the network only the residual to learn
            # (it still sees RH). Unknown humidity: h = 0, f = 1, the head learns the average.
            mu = mu + self.hygroscopic_gamma * torch.log(1.0 - torch.clamp(h, max=RH_CAP))
        return torch.cat([mu, logvar + torch.log(self.var_scale)], dim=1)


def vertical_profile(image: Tensor, rows: int) -> Tensor:
    """(N, 6·rows): per band of rows and channel, log mean radiance minus the frame's log mean
    (exposure cancels) and log row contrast (std/mean).

    The sky has no scene depth: its brightness and colour against elevation (whitening towards
    the horizon) gauge the haze on any camera, and the contrast profile shows how far it reaches.
    """
    n, c, hgt, w = image.shape
    mean = torch.tensor(DEFAULT_MEAN, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    std = torch.tensor(DEFAULT_STD, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    raw = (image * std + mean).clamp(min=0.0)  # 0..1 RGB, as the camera delivered it
    bands = raw.reshape(n, c, rows, (hgt // rows) * w)
    m = bands.mean(dim=3)
    sd = torch.sqrt(((bands - m.unsqueeze(3)) ** 2).mean(dim=3) + 1e-6)
    log_m = torch.log(m + 1e-3)
    level = log_m.mean(dim=(1, 2), keepdim=True)
    contrast = torch.log(sd + 1e-3) - log_m
    return torch.cat([(log_m - level).flatten(1), contrast.flatten(1)], dim=1)


class ExportWrapper(nn.Module):
    """The deployed graph: [mean, log var] of PM2.5 in µg/m³ (log-normal moments)."""

    def __init__(self, net: HazeNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: Tensor, features: Tensor, humidity: Tensor) -> Tensor:
        out = self.net(image, features, humidity)
        # Bounded: 0..~1100 µg/m³, so a frame unlike any in training cannot give absurd values.
        mu = torch.clamp(out[:, :1], 0.0, 7.0)
        s2 = torch.exp(torch.clamp(out[:, 1:], -12.0, 4.0))
        if self.net.mean_cap_s2 > 0.0:
            mu = mu + 0.5 * torch.clamp(s2, max=self.net.mean_cap_s2)
        mean = torch.exp(mu) - self.net.log_offset
        logvar = torch.log(torch.exp(s2) - 1.0 + 1e-12) + 2.0 * mu + s2
        return torch.cat([mean, logvar], dim=1)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: HazeNet, height: int, width: int) -> int:
    """Multiply-accumulates of one forward pass, from forward hooks on Conv2d and Linear."""
    total = 0

    def conv_hook(m: nn.Module, _inp: tuple[Tensor, ...], out: Tensor) -> None:
        nonlocal total
        assert isinstance(m, nn.Conv2d)
        k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
        total += out.numel() * k

    def linear_hook(m: nn.Module, _inp: tuple[Tensor, ...], out: Tensor) -> None:
        nonlocal total
        assert isinstance(m, nn.Linear)
        total += out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    n_feat = int(model.feat_mean.shape[0])
    with torch.no_grad():
        model(torch.zeros(1, 3, height, width), torch.zeros(1, n_feat), torch.zeros(1, 1))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return total
