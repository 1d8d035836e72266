"""Tests of the one preprocessing function: shapes, determinism, parity, haze response, errors."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from pm25.errors import PreprocessError
from pm25.preprocess import (
    FEATURE_NAMES,
    PREPROCESS_VERSION,
    PreprocessSpec,
    Roi,
    preprocess,
)

ROI = Roi(x=0.1, y=0.05, w=0.8, h=0.7)


def textured_scene(height: int = 720, width: int = 1280, seed: int = 0) -> np.ndarray:
    """A colourful blocky scene with edges everywhere, like a street view without the meaning."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(20, 236, size=(height // 40 + 1, width // 40 + 1, 3), dtype=np.uint8)
    scene = cv2.resize(blocks, (width, height), interpolation=cv2.INTER_NEAREST)
    noise = rng.normal(0.0, 6.0, size=scene.shape)
    out: np.ndarray = np.clip(scene + noise, 0, 255).astype(np.uint8)
    return out


def hazed(scene: np.ndarray, t: float, airlight: float = 200.0) -> np.ndarray:
    """Koschmieder: I = J·t + A·(1−t) with a grey airlight."""
    return np.clip(scene * t + airlight * (1.0 - t) + 0.5, 0, 255).astype(np.uint8)


def feature(frame: np.ndarray, name: str) -> float:
    return float(preprocess(frame, ROI).features[FEATURE_NAMES.index(name)])


def test_shapes_and_dtypes_follow_the_spec() -> None:
    spec = PreprocessSpec(width=128, height=64, features=("rms_contrast", "dark_mean"))
    out = preprocess(textured_scene(), ROI, spec)
    assert out.image.shape == (1, 3, 64, 128)
    assert out.image.dtype == np.float32
    assert out.image.flags["C_CONTIGUOUS"]
    assert out.features.shape == (2,)
    assert out.features.dtype == np.float32
    assert np.all(np.isfinite(out.features))


def test_default_spec_gives_every_feature() -> None:
    out = preprocess(textured_scene())
    assert out.features.shape == (len(FEATURE_NAMES),)
    assert out.image.shape == (1, 3, 96, 160)
    assert PreprocessSpec().version == PREPROCESS_VERSION


def test_feature_subset_selects_the_same_values() -> None:
    frame = textured_scene()
    full = preprocess(frame, ROI).features
    subset = preprocess(frame, ROI, PreprocessSpec(features=("saturation_mean", "dark_p90")))
    idx = [FEATURE_NAMES.index("saturation_mean"), FEATURE_NAMES.index("dark_p90")]
    np.testing.assert_array_equal(subset.features, full[idx])


def test_image_is_rgb_normalised() -> None:
    frame = np.zeros((200, 320, 3), np.uint8)
    frame[..., 2] = 255  # pure red in BGR
    spec = PreprocessSpec(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    image = preprocess(frame, None, spec).image
    np.testing.assert_allclose(image[0, 0], 1.0, atol=1e-6)  # R channel first: (1 − .5)/.5
    np.testing.assert_allclose(image[0, 1:], -1.0, atol=1e-6)


def test_deterministic() -> None:
    frame = textured_scene(seed=3)
    a, b = preprocess(frame, ROI), preprocess(frame.copy(), ROI)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.features, b.features)


def test_train_serve_parity_imdecode_vs_imread(tmp_path: Path) -> None:
    """The agent decodes JPEG bytes in memory; training reads the same bytes from disk."""
    ok, jpeg = cv2.imencode(".jpg", textured_scene(seed=5), [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    path = tmp_path / "frame.jpg"
    path.write_bytes(jpeg.tobytes())

    decoded = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    read = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert decoded is not None and read is not None
    served, trained = preprocess(decoded), preprocess(read)
    assert served.image.tobytes() == trained.image.tobytes()
    assert served.features.tobytes() == trained.features.tobytes()


def test_non_contiguous_frame_gives_the_same_result() -> None:
    frame = textured_scene()
    flipped_twice = frame[:, ::-1][:, ::-1]
    np.testing.assert_array_equal(
        preprocess(flipped_twice, ROI).image, preprocess(frame, ROI).image
    )


def test_features_respond_to_haze_in_the_physical_direction() -> None:
    scene = textured_scene(seed=1)
    names = ("rms_contrast", "michelson_contrast", "saturation_mean", "dark_mean", "dark_p50")
    rows = [[feature(hazed(scene, t), n) for n in names] for t in (1.0, 0.7, 0.4)]
    contrast, michelson, saturation, dark, dark_p50 = zip(*rows, strict=True)
    assert contrast[0] > contrast[1] > contrast[2]
    assert michelson[0] > michelson[1] > michelson[2]
    assert saturation[0] > saturation[1] > saturation[2]
    assert dark[0] < dark[1] < dark[2]
    assert dark_p50[0] < dark_p50[1] < dark_p50[2]


def test_far_field_haze_lowers_the_top_bottom_contrast_ratio() -> None:
    scene = textured_scene(seed=2)
    far_hazed = scene.copy()
    far_hazed[:360] = hazed(scene[:360], 0.4)  # haze only where the far field is
    assert feature(far_hazed, "contrast_top_bottom_ratio") < 0.7 * feature(
        scene, "contrast_top_bottom_ratio"
    )


@pytest.mark.parametrize(
    "name", ["rms_contrast", "michelson_contrast", "contrast_top_bottom_ratio", "dark_p50"]
)
def test_ratio_features_are_exposure_invariant(name: str) -> None:
    scene = textured_scene(seed=4)
    darker = np.clip(scene * 0.7 + 0.5, 0, 255).astype(np.uint8)
    assert feature(darker, name) == pytest.approx(feature(scene, name), rel=0.03)


def test_absolute_brightness_does_change_with_exposure() -> None:
    scene = textured_scene(seed=4)
    darker = np.clip(scene * 0.7 + 0.5, 0, 255).astype(np.uint8)
    ratio = feature(darker, "brightness_mean_abs") / feature(scene, "brightness_mean_abs")
    assert ratio == pytest.approx(0.7, rel=0.02)


def test_roi_is_resolution_independent() -> None:
    frame = textured_scene()
    half = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_AREA)
    a, b = preprocess(frame, ROI), preprocess(half, ROI)
    # Same content at another resolution: nearly the same input, not bit-identical.
    assert float(np.mean(np.abs(a.image - b.image))) < 0.1


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((720, 1280, 3), np.float32), "dtype"),
        (np.zeros((720, 1280), np.uint8), "shape"),
        (np.zeros((720, 1280, 4), np.uint8), "shape"),
        (np.zeros((0, 1280, 3), np.uint8), "empty"),
        ([[0, 0, 0]], "numpy"),
    ],
)
def test_bad_frames_are_refused(frame: object, message: str) -> None:
    with pytest.raises(PreprocessError, match=message):
        preprocess(frame)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        {"x": 0.5, "w": 0.6},
        {"y": 0.9, "h": 0.2},
        {"w": 0.0},
        {"x": -0.1},
        {"h": 1.5},
        {"x": float("nan")},
    ],
)
def test_roi_outside_the_frame_is_refused(fields: dict[str, float]) -> None:
    with pytest.raises(PreprocessError, match="Roi"):
        Roi(**fields)


def test_roi_too_small_after_scaling_is_refused() -> None:
    small_roi = Roi(x=0.5, y=0.5, w=0.05, h=0.05)  # 64×36 px on 720p, needs 80×48
    with pytest.raises(PreprocessError, match="at least 80×48"):
        preprocess(textured_scene(), small_roi)
    preprocess(textured_scene(), Roi(x=0.5, y=0.5, w=0.07, h=0.07))  # 90×50 px is enough


@pytest.mark.parametrize(
    "fields",
    [
        {"mean": (0.5, float("nan"), 0.5)},
        {"std": (0.2, 0.2, float("inf"))},
        {"std": (0.2, 0.0, 0.2)},
        {"features": ("no_such_feature",)},
        {"features": ("dark_mean", "dark_mean")},
        {"dark_patch": 4},
        {"width": 8},
        {"colour": "rgb"},
    ],
)
def test_bad_specs_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(PreprocessError, match="PreprocessSpec"):
        PreprocessSpec(**fields)


def test_spec_smuggled_past_validation_is_refused_at_use() -> None:
    nan_spec = PreprocessSpec.model_construct(mean=(float("nan"), 0.5, 0.5), std=(1.0, 1.0, 1.0))
    with pytest.raises(PreprocessError, match="finite"):
        preprocess(textured_scene(), None, nan_spec)
    future = PreprocessSpec.model_construct(version=PREPROCESS_VERSION + 1)
    with pytest.raises(PreprocessError, match="version"):
        preprocess(textured_scene(), None, future)


def test_spec_is_frozen_and_roundtrips_json() -> None:
    spec = PreprocessSpec(width=128, height=128)
    with pytest.raises(ValueError):
        spec.width = 64  # type: ignore[misc]
    assert PreprocessSpec.model_validate_json(spec.model_dump_json()) == spec
