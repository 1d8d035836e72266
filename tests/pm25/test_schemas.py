"""The JSON Schemas in docs/schemas/ are current; real payloads (code and docs) validate."""

import json
import re
from pathlib import Path

import pytest

from pm25 import schemas
from pm25.wire import decode, encode
from tests.pm25.wire_examples import messages

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "docs" / "protocol.md"
KIND = {"command": "cmd"}


def _validator(name: str):
    body = json.loads((schemas.DEFAULT_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(body)


def test_committed_schemas_are_current():
    assert schemas.stale() == [], "run `python -m pm25.schemas` and commit docs/schemas/"


def test_check_reports_missing_and_edited_files(tmp_path, capsys):
    assert schemas.main(["--dir", str(tmp_path)]) == 0
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "status.schema.json").write_text("{}\n")
    (tmp_path / "ack.schema.json").unlink()
    assert schemas.main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "status.schema.json" in err and "ack.schema.json" in err and "heartbeat" not in err


@pytest.mark.parametrize("name", sorted(schemas.MESSAGES))
def test_schema_files_are_valid_json_schemas(name):
    body = json.loads((schemas.DEFAULT_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(body)
    assert "v" in json.dumps(body)


@pytest.mark.parametrize("example", sorted(messages()))
def test_encoded_messages_validate_against_their_schema(example):
    name = example.split(".")[0]
    _validator(name).validate(json.loads(encode(messages()[example])))


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("readings", {"d": "cam-1", "mv": 1, "s0": 0, "t0": 0, "gaps": []}),  # no v
        ("status", {"v": 1, "state": "asleep", "t": 0, "agent": "1"}),
        ("command", {"v": 1, "id": "x", "issued_at": 0}),  # no type
        ("readings", {"v": 1, "d": "cam-1", "mv": 1, "s0": 0, "t0": 0, "pm": [2001]}),
    ],
)
def test_schemas_refuse_what_decode_refuses(name, payload):
    assert not _validator(name).is_valid(payload)


def _doc_examples() -> list[tuple[str, str]]:
    text = PROTOCOL.read_text(encoding="utf-8")
    pattern = re.compile(r"<!-- example: (\w+) -->\s*```json\n(.*?)```", re.DOTALL)
    return pattern.findall(text)


def test_protocol_doc_has_an_example_of_every_message():
    assert {name for name, _ in _doc_examples()} == set(schemas.MESSAGES)


@pytest.mark.parametrize(("name", "body"), _doc_examples())
def test_protocol_doc_examples_decode_and_validate(name, body):
    # Alerts are not a device topic kind: decode them by their model class.
    decode(schemas.MESSAGES["alert"] if name == "alert" else KIND.get(name, name), body.encode())
    _validator(name).validate(json.loads(body))


def test_protocol_doc_consumer_snippet_reads_the_example_batch():
    # The 10-line consumer example, minus the network: run its decoding lines on the doc payload.
    text = PROTOCOL.read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert snippet is not None
    lines = snippet.group(1).splitlines()
    body = dict(_doc_examples())["readings"]
    start = next(i for i, line in enumerate(lines) if line.startswith("b = json.loads"))
    code = "\n".join(["import json", f"b = json.loads({body!r})", *lines[start + 1 :]])
    rows: list[tuple[object, ...]] = []
    exec(code, {"print": lambda *args: rows.append(args)})
    expected = decode("readings", body.encode()).readings()
    assert [(r[1], r[2], r[3]) for r in rows] == [
        (r.seq, int(r.captured_at.timestamp()), r.pm25) for r in expected
    ]
