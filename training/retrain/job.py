"""`pm25-train retrain`: the composition root of the champion/challenger loop, in flow order.

    field data + simulation ─► mix ─► train challenger ─► export (ONNX, INT8, manifest)
        ─► champion and challenger on the same held-out data ─► decide ─► MLflow
        ─► (promoted) sign into the update repository ─► report to the hub ─► canary rollout

Work folder: `sim/` + `sim-tensors.npz` (rendered once per synth config), `challenger/`
(`model.pt`, `release/`, `report/` as `pm25-train export` writes them), `retrain-report/`
(report.md, bands.png, devices.png, decision.json), `rollout-request.json` (no hub URL given).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from pm25.drift_bins import REFERENCE_FILE
from pm25.manifest import load_manifest
from pm25.preprocess import DEFAULT_SPEC
from training.errors import DatasetError, ExportError, TrainingError
from training.loader import JoinReport, load_dataset
from training.mix import Mixed, mix
from training.pipeline import dataset_arrays, export_release, save_model
from training.release import FP32_FILE
from training.retrain.compare import Candidate, compare, open_release
from training.retrain.config import RetrainConfig
from training.retrain.handover import Outcome, Promotion, hand_over
from training.retrain.policy import Check, Decision, decide
from training.retrain.publish import sign
from training.retrain.report import RunId, write_decision, write_report
from training.retrain.warm import WEIGHTS, load_weights
from training.synth import render_dataset
from training.tensors import Arrays, build_arrays
from training.train import train

log = logging.getLogger(__name__)


def sim_arrays(cfg: RetrainConfig, work: Path) -> Arrays:
    """The simulated share, rendered once per synth config and cached as tensors."""
    folder, cache, stamp = work / "sim", work / "sim-tensors.npz", work / "sim-synth.json"
    wanted = cfg.synth.model_dump_json() + DEFAULT_SPEC.model_dump_json()  # either changes: redo
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != wanted:
        shutil.rmtree(folder, ignore_errors=True)
        cache.unlink(missing_ok=True)
        render_dataset(cfg.synth, folder)
        stamp.write_text(wanted, encoding="utf-8")
    return dataset_arrays(folder, cache)[0]


def load_mixed(
    cfg: RetrainConfig, real: Path, work: Path, strict: bool
) -> tuple[Mixed, JoinReport]:
    """Field data (joined to its reference readings) mixed with the simulated share."""
    samples, join = load_dataset(real, strict=strict)
    field_data = build_arrays(samples, DEFAULT_SPEC, join, strict=strict)
    return mix(sim_arrays(cfg, work), field_data, cfg.split, cfg.real_split, cfg.mix), join


def retrain(cfg: RetrainConfig, champion_dir: Path, real: Path, work: Path, *, trigger: str,
            promotion: Promotion, strict: bool = True,
            warm_start: Path | None = None) -> Outcome:  # fmt: skip
    """Run the whole loop once; see the module docstring."""
    clock = {"start": time.monotonic()}
    if not real.is_dir():  # before the champion: the cheapest mistake to report first
        raise DatasetError(f"{real}: dataset folder does not exist")
    champion = open_release("champion", champion_dir)
    work.mkdir(parents=True, exist_ok=True)
    mixed, join = load_mixed(cfg, real, work, strict)
    clock["data"] = time.monotonic()
    data, splits = mixed.data, mixed.splits
    init = None
    if warm_start is not None:
        model_cfg, init = load_weights(warm_start)
        cfg = cfg.model_copy(update={"model": model_cfg})
    try:
        result = train(data.take(splits.train), data.take(splits.val), cfg.model, cfg.train, init)
    except RuntimeError as e:  # load_state_dict: the weights do not fit this network
        raise TrainingError(f"{warm_start}: warm start does not fit the network: {e}") from e
    clock["train"] = time.monotonic()
    now = datetime.now(UTC).replace(microsecond=0)
    version = champion.manifest.version + 1
    export = cfg.export.model_copy(update={"name": champion.manifest.name, "version": version,
        "label": f"retrain-{now:%Y%m%d-%H%M}", "created_at": now})  # fmt: skip
    cwork = work / "challenger"
    cwork.mkdir(exist_ok=True)
    save_model(result.model, cfg.model, cwork / "model.pt")
    try:
        out = export_release(cfg.model_copy(update={"export": export}), cwork, data, splits,
                             result, join=join)  # fmt: skip
    except ExportError as e:  # e.g. INT8 too far from FP32: nothing to compare, nothing to ship
        outcome = refuse_unexported(work / "retrain-report", e, trigger, champion, version)
        hand_over(outcome, cfg.rollout, promotion, work)
        return outcome
    challenger = open_release("challenger", out.release_dir)
    clock["export"] = time.monotonic()
    sets = {"field": data.take(splits.test), "field_later": data.take(splits.test_time),
            "sim": data.take(mixed.sim_test)}  # fmt: skip
    evals = compare([champion, challenger], sets)
    sim = evals.get("sim", {})
    decision = decide(evals["field"]["champion"], evals["field"]["challenger"],
                      sim.get("champion"), sim.get("challenger"), cfg.gate)  # fmt: skip
    clock["compare"] = time.monotonic()
    report_dir = work / "retrain-report"
    facts: dict[str, Any] = {
        "trigger": trigger, "when": now.isoformat(),
        "champion": f"{champion.manifest.name} v{champion.manifest.version} "
                    f"({champion.manifest.label}) from {champion_dir}",
        "challenger": f"v{version} ({export.label}) in {out.release_dir}",
        "training device": result.device,
        "warm start": str(warm_start) if warm_start else "none (trained from scratch)",
        "epochs": f"{result.epochs_run} (best {result.best_epoch})",
        "data": json.dumps(mixed.counts), "field data": str(real),
        "champion_dir": str(champion_dir),
    }  # fmt: skip
    outcome = Outcome(decision.promote, decision, report_dir / "report.md", out.release_dir,
                      champion.manifest.name, version, facts)  # fmt: skip
    run = RunId(champion.manifest.name, champion.manifest.version, version, trigger)
    _conclude(outcome, cfg, promotion, work, evals=evals, run=run, clock=clock)
    return outcome


def _conclude(outcome: Outcome, cfg: RetrainConfig, promotion: Promotion, work: Path, *,
              evals: dict[str, Any], run: RunId, clock: dict[str, float]) -> None:  # fmt: skip
    """Report, MLflow, signing, then the hand-over to the hub; the report is rewritten as facts
    arrive, so whatever fails, the folder says how far the run got."""
    folder, facts, decision = outcome.report.parent, outcome.facts, outcome.decision
    write_report(folder, evals, decision, facts, run)  # a report exists whatever happens next
    if promotion.mlflow:
        facts["mlflow"] = _register(cfg, promotion, outcome, evals)
    if decision.promote:
        _sign(outcome, promotion)
    else:
        facts["promotion"] = "none: the challenger did not pass the gate (reasons below)"
    clock["end"] = time.monotonic()
    marks = list(clock.items())
    spans = {b[0]: round(b[1] - a[1], 1) for a, b in pairwise(marks)}
    facts["seconds"] = json.dumps(spans | {"total": round(clock["end"] - clock["start"], 1)})
    write_report(folder, evals, decision, facts, run)  # the copy the hub gets
    try:
        hand_over(outcome, cfg.rollout, promotion, work)
    finally:  # the local copy also says where the report and the rollout went, or why not
        write_report(folder, evals, decision, facts, run)


def _register(
    cfg: RetrainConfig, promotion: Promotion, outcome: Outcome, evals: dict[str, Any]
) -> str:
    """Log the run (params, both models' RMSE per set, the decision, the release + report) and
    register the challenger's FP32 model."""
    from training.tracking import log_run, tracking_uri  # noqa: PLC0415

    release, report_dir, trigger = (
        outcome.challenger,
        outcome.report.parent,
        outcome.facts["trigger"],
    )

    shutil.copytree(report_dir, release / "retrain-report", dirs_exist_ok=True)
    metrics = {f"{s}_{role}_rmse": float(e[role]["overall"]["rmse"])
               for s, e in evals.items() for role in e}  # fmt: skip
    metrics["promoted"] = float(outcome.promoted)
    params: dict[str, object] = {"trigger": trigger, "mix.real": cfg.mix.real,
                                 "mix.sim": cfg.mix.sim, "epochs": cfg.train.epochs}  # fmt: skip
    run_id, version = log_run(tracking_uri(promotion.tracking_uri), f"{cfg.export.name}-retrain",
                              params=params, metrics=metrics, artifacts_dir=release,
                              model_path=release / FP32_FILE,
                              model_name=f"{cfg.export.name}-challenger")  # fmt: skip
    return f"run {run_id}, registered version {version}"


def _sign(outcome: Outcome, promotion: Promotion) -> None:
    """Sign the challenger with its model card into the repository (and install it)."""
    facts, name, version = outcome.facts, outcome.name, outcome.version
    if promotion.repo is None or promotion.targets_key is None:
        facts["promotion"] = "not signed: no --repo/--targets-key given"
        return
    url = promotion.report_url or str(outcome.report.resolve())
    card = model_card(name, version, facts, outcome.decision, url)
    outcome.release = sign(promotion.repo, outcome.challenger, promotion.targets_key, card)
    facts["release"] = f"signed {name} v{version} into {promotion.repo}"
    if promotion.install:
        install_champion(outcome.challenger, Path(str(facts["champion_dir"])))
        facts["installed"] = f"v{version} is now the champion in {facts['champion_dir']}"


def model_card(name: str, version: int, facts: dict[str, Any], decision: Decision,
               report_url: str) -> str:  # fmt: skip
    """The card the hub's release catalogue shows: what the retrain decided, and the report link."""
    lines = [f"# Model card: {name} v{version} (champion/challenger retrain)", "",
             f"Retrain report: {report_url}", "",
             *[f"- {k}: {v}" for k, v in facts.items()], "", "Decision:",
             *[f"- {r}" for r in decision.reasons], ""]  # fmt: skip
    return "\n".join(lines)


def refuse_unexported(
    folder: Path, error: ExportError, trigger: str, champion: Candidate, version: int
) -> Outcome:
    """A challenger that could not be exported is refused; the report says why."""
    decision = Decision(False, (Check("export", False, str(error)),))
    name = f"{champion.manifest.name} v{champion.manifest.version}"
    facts = {"trigger": trigger, "champion": name, "challenger": f"v{version}: export failed",
             "promotion": "none"}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    run = RunId(champion.manifest.name, champion.manifest.version, version, trigger)
    write_decision(folder, decision, run, facts=facts)
    lines = ["# Retrain report: challenger REFUSED", "",
             *[f"- **{k}**: {v}" for k, v in facts.items()], "", "## Decision", "",
             *[f"- {r}" for r in decision.reasons], ""]  # fmt: skip
    (folder / "report.md").write_text("\n".join(lines), encoding="utf-8")
    return Outcome(False, decision, folder / "report.md", folder, champion.manifest.name, version,
                   facts)  # fmt: skip


def install_champion(release: Path, champion: Path) -> None:
    """Copy the promoted release (manifest, artifacts) and its weights into the champion folder,
    file by file through temp names (the manifest last), so the next run starts from it."""
    manifest = load_manifest(release / "manifest.json")
    weights = release.parent / WEIGHTS
    pairs = [(release / a.filename, champion / a.filename) for a in manifest.artifacts]
    for extra in (weights, release / REFERENCE_FILE):  # a release without a reference is older
        if extra.is_file():
            pairs.append((extra, champion / extra.name))
    pairs.append((release / "manifest.json", champion / "manifest.json"))
    champion.mkdir(parents=True, exist_ok=True)
    for src, dst in pairs:
        tmp = dst.with_name(dst.name + ".tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
