"""The haze model against known values and physical laws (not against its own outputs)."""

import math
from pathlib import Path

import numpy as np
import pytest

from pm25.physics import (
    DEFAULT_PARAMS,
    HazeInputError,
    apply_haze,
    beta_from_visibility,
    extinction_coefficient,
    extinction_rgb,
    humidity_growth,
    linear_to_srgb,
    pm25_from_extinction,
    srgb_to_linear,
    transmission,
    transmission_table_markdown,
    visibility_m,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "physics.md"


def test_koschmieder_visibility_of_known_beta():
    assert float(visibility_m(3.912e-3)) == pytest.approx(1000.0, rel=1e-3)
    assert float(beta_from_visibility(1000.0)) == pytest.approx(3.912e-3, rel=1e-3)


def test_transmission_is_beer_lambert():
    assert float(transmission(1e-3, 1000.0)) == pytest.approx(math.exp(-1.0))
    assert float(transmission(2e-4, 0.0)) == 1.0
    # Contrast at the visual range is the 2 % threshold, by definition.
    beta = 5e-4
    assert float(transmission(beta, visibility_m(beta))) == pytest.approx(0.02, rel=1e-6)


def test_clean_air_is_rayleigh_only():
    beta = float(extinction_coefficient(0.0, 0.5))
    assert beta == pytest.approx(11.6e-6)
    assert 200_000 < float(visibility_m(beta)) < 400_000  # ~340 km, the Rayleigh limit


def test_extinction_uses_mass_extinction_efficiency():
    # 100 µg/m³ dry × 3.7 m²/g = 370 Mm⁻¹ of aerosol extinction.
    beta = float(extinction_coefficient(100.0, 0.0))
    assert (beta - 11.6e-6) * 1e6 == pytest.approx(370.0)


def test_humidity_growth_monotone_and_capped():
    rh = np.linspace(0.0, 1.0, 101)
    f = humidity_growth(rh)
    assert f[0] == 1.0
    assert np.all(np.diff(f) >= 0.0)
    assert np.all(np.diff(f[:95]) > 0.0)
    assert f[-1] == pytest.approx(0.05**-DEFAULT_PARAMS.hygroscopic_gamma)  # capped at 95 %
    assert 1.5 < float(humidity_growth(0.8)) < 2.5  # typical f(80 %) for urban aerosol


def test_inverse_recovers_pm():
    pm = np.array([0.0, 3.0, 12.0, 55.0, 250.0])
    for rh in (0.0, 0.6, 0.9):
        assert np.allclose(pm25_from_extinction(extinction_coefficient(pm, rh), rh), pm)


def test_invalid_inputs_raise():
    with pytest.raises(HazeInputError):
        extinction_coefficient(-1.0)
    with pytest.raises(HazeInputError):
        humidity_growth(1.2)
    with pytest.raises(HazeInputError):
        transmission(0.0, 10.0)


def test_blue_attenuated_more_than_red():
    r, g, b = extinction_rgb(20.0, 0.5)
    assert r < g < b
    assert g == pytest.approx(float(extinction_coefficient(20.0, 0.5)))


def test_apply_haze_limits():
    clear = np.full((2, 3, 3), 0.2, np.float32)
    airlight = np.array([0.9, 0.8, 0.7])
    depth = np.array([[0.0, 1.0, 10.0], [1e3, 1e5, 1e7]], np.float32)
    out = apply_haze(clear, depth, airlight, 1e-3)
    assert np.allclose(out[0, 0], 0.2, atol=1e-6)  # no path, no haze
    assert np.allclose(out[1, 2], airlight, atol=1e-5)  # infinite path: only airlight
    t = math.exp(-1.0)
    assert np.allclose(out[1, 0], 0.2 * t + airlight * (1 - t), atol=1e-5)


def test_srgb_round_trip():
    x = np.linspace(0.0, 1.0, 257)
    assert np.allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-9)
    assert float(srgb_to_linear(0.5)) == pytest.approx(0.214, abs=1e-3)


def test_doc_tables_match_code():
    """docs/physics.md embeds the tables; regenerate with `python -m pm25.physics`."""
    text = DOC.read_text(encoding="utf-8")
    for rh in (0.0, 0.8):
        assert transmission_table_markdown(rh=rh) in text


def test_doc_low_pm_only_visible_far():
    # The doc's claim: at PM 5 vs 15 the 100 m contrast differs by < 1 %, at 10 km by > 20 %.
    def t(pm: float, d: float) -> float:
        return float(transmission(extinction_coefficient(pm), d))

    assert t(5, 100) - t(15, 100) < 0.01
    assert t(5, 10_000) - t(15, 10_000) > 0.2
