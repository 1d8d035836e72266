"""The real-data loader on a small real-format fixture made here: join, report, bad input."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from pm25.preprocess import DEFAULT_SPEC, preprocess
from training.errors import DatasetError
from training.loader import load_dataset
from training.tensors import build_arrays, model_input

HEADER = "timestamp,pm25,rh\n"


def _frame(path: Path, value: int = 120) -> None:
    img = np.full((90, 160, 3), value, np.uint8)
    cv2.circle(img, (80, 45), 20, (10, 200, 30), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix != ".jpg":
        path.write_text("not an image")
        return
    assert cv2.imwrite(str(path), img)


def _camera(root: Path, name: str, frames: list[str], csv_text: str) -> Path:
    cam = root / name
    for f in frames:
        _frame(cam / "frames" / f)
    (cam / "reference.csv").write_text(csv_text)
    return cam


def test_nearest_reading_within_tolerance_and_unjoined_report(tmp_path: Path) -> None:
    _camera(
        tmp_path,
        "cam-a",
        [
            "20240301T110000Z.jpg",
            "20240301T110400Z.jpg",
            "20240301T113000Z.jpg",
            "notes.txt",
            "holiday.jpg",
        ],
        HEADER + "2024-03-01T11:01:00Z,12.5,55\n2024-03-01T11:06:00+00:00,40,0.6\n",
    )
    samples, report = load_dataset(tmp_path, timedelta(minutes=3), strict=False)
    assert [(s.path.name, s.pm25) for s in samples] == [
        ("20240301T110000Z.jpg", 12.5),
        ("20240301T110400Z.jpg", 40.0),
    ]
    assert samples[0].rh == pytest.approx(0.55)  # percent read as a fraction
    assert samples[1].lag_s == 120.0
    assert report.joined == 2
    assert report.skipped == {
        "no reading within tolerance": 1,
        "not a frame file": 1,
        "no time in file name": 1,
    }
    assert "cam-a/frames/20240301T113000Z.jpg" in report.examples["no reading within tolerance"]
    assert "| no reading within tolerance | 1 |" in report.markdown()


def test_missing_rh_is_none(tmp_path: Path) -> None:
    _camera(tmp_path, "c1", ["20240301T110000Z.jpg"], HEADER + "2024-03-01T11:00:00Z,5,\n")
    samples, _ = load_dataset(tmp_path)
    assert samples[0].rh is None


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("time,pm25\n2024-03-01T11:00:00Z,5\n", "missing column(s) ['timestamp']"),
        (HEADER + "2024-03-01T11:00:00Z,5,50\nyesterday,5,50\n", "row 3: bad timestamp"),
        (HEADER + "2024-03-01T11:00:00,5,50\n", "row 2: bad timestamp"),  # no timezone
        (HEADER + "2024-03-01T11:00:00Z,-3,50\n", "row 2: pm25 must be a number >= 0"),
        (HEADER + "2024-03-01T11:00:00Z,abc,50\n", "row 2: pm25 is not a number"),
        (HEADER + "2024-03-01T11:00:00Z,5,170\n", "row 2: rh must be"),
    ],
)
def test_bad_csv_names_file_and_row(tmp_path: Path, csv_text: str, message: str) -> None:
    _camera(tmp_path, "cam", ["20240301T110000Z.jpg"], csv_text)
    with pytest.raises(DatasetError, match=r"reference\.csv") as e:
        load_dataset(tmp_path)
    assert message in str(e.value)


def test_bad_rows_counted_when_lenient(tmp_path: Path) -> None:
    _camera(
        tmp_path,
        "cam",
        ["20240301T110000Z.jpg"],
        HEADER + "2024-03-01T11:00:00Z,5,50\nnope,1,1\n2024-03-01T12:00:00Z,-1,50\n",
    )
    samples, report = load_dataset(tmp_path, strict=False)
    assert len(samples) == 1
    assert report.skipped == {"bad reference row": 2}
    assert any("row 3" in ex for ex in report.examples["bad reference row"])


def test_no_overlap_is_an_error(tmp_path: Path) -> None:
    _camera(tmp_path, "cam", ["20240301T110000Z.jpg"], HEADER + "2025-01-01T00:00:00Z,5,50\n")
    with pytest.raises(DatasetError, match="no frame could be joined"):
        load_dataset(tmp_path)


def test_unreadable_frame_names_the_file(tmp_path: Path) -> None:
    cam = _camera(tmp_path, "cam", ["20240301T110000Z.jpg"], HEADER + "2024-03-01T11:00:00Z,5,\n")
    bad = cam / "frames" / "20240301T110100Z.jpg"
    bad.write_bytes(b"not a jpeg")
    samples, report = load_dataset(tmp_path)
    with pytest.raises(DatasetError, match=r"20240301T110100Z\.jpg: not a decodable image"):
        build_arrays(samples, DEFAULT_SPEC, report, workers=1)
    arrays = build_arrays(samples, DEFAULT_SPEC, report, strict=False, workers=1)
    assert len(arrays) == 1 and report.skipped == {"unreadable frame": 1}


def test_missing_folder_and_bad_camera_id(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "bad name!").mkdir()
    with pytest.raises(DatasetError, match="not a valid camera id"):
        load_dataset(tmp_path)


def test_loader_input_equals_agent_preprocess(tiny_dataset: Path) -> None:
    """Train/serve parity: the training input of a frame is pm25.preprocess of the decoded JPEG,
    as the agent computes it (cv2.imread → preprocess), bit for bit."""
    path = sorted((tiny_dataset / "sim-001" / "frames").glob("*.jpg"))[0]
    ours = model_input(path, DEFAULT_SPEC)
    frame = cv2.imread(str(path))
    assert frame is not None
    agent = preprocess(frame, None, DEFAULT_SPEC)
    np.testing.assert_array_equal(ours.image, agent.image)
    np.testing.assert_array_equal(ours.features, agent.features)
