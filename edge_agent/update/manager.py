"""`UpdateManager`: one update, step by step, each step recorded before it starts.

The active slot is never written; a failure before activation leaves it as it was, a failure
after activation points back at the previous slot. `recover` runs at start-up and finishes or
undoes whatever a power cut interrupted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from edge_agent.inference.config import InferenceConfig
from edge_agent.inference.model import Estimator
from edge_agent.update.errors import SelfTestError, TransferError, UpdateError, VerificationError
from edge_agent.update.policy import UpdatePolicy, refusal, spent
from edge_agent.update.selftest import self_test
from edge_agent.update.shadow import ShadowStats
from edge_agent.update.slots import Slots
from edge_agent.update.state import StateFile, UpdateState, recovery
from edge_agent.update.updater import Offer, TufClient
from pm25.errors import ManifestError
from pm25.manifest import load_manifest

log = logging.getLogger(__name__)

Outcome = Literal[
    "up_to_date", "deferred", "installed", "refused", "failed", "gave_up", "rolled_back",
    "confirmed", "abandoned", "held",
]  # fmt: skip
# Says why a release may not be installed now (None = go); asked before download and activation.
Approval = Callable[[int], str | None]


@dataclass(frozen=True)
class UpdateReport:
    """What one run did, for the heartbeat / update status message."""

    outcome: Outcome
    version: int | None = None
    detail: str = ""
    shadow: ShadowStats | None = None


def _noop(phase: str) -> None:
    return None


def _go(version: int) -> str | None:
    return None


class UpdateManager:
    """Runs updates of one model family into the A/B slots."""

    def __init__(
        self,
        *,
        client: TufClient,
        slots: Slots,
        state: StateFile,
        policy: UpdatePolicy,
        inference: InferenceConfig,
        model_name: str,
        shadow: Callable[[Estimator], ShadowStats] | None = None,
        hook: Callable[[str], None] = _noop,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client, self.slots, self.state, self.policy = client, slots, state, policy
        self.inference, self.model_name, self.shadow = inference, model_name, shadow
        self.hook, self.clock = hook, clock

    def installed_version(self) -> int:
        """Version of the active slot's release (0 when none is installed)."""
        path = self.slots.active_manifest()
        try:
            return 0 if path is None else load_manifest(path).version
        except ManifestError:
            return 0

    def recover(self) -> UpdateReport | None:
        """At start-up: abandon an unfinished install or confirm an interrupted activation."""
        st = self.state.load()
        action = recovery(st)
        if action == "abandon":
            why = f"interrupted during {st.phase}; active model untouched"
            self.state.save(st.model_copy(update={"phase": "idle", "detail": why}))
            return UpdateReport("abandoned", st.version, why)
        if action == "confirm":
            return self._confirm(st)
        return None

    def _confirm(self, st: UpdateState) -> UpdateReport:
        active = self.slots.active()
        if active is None or active != st.slot:  # the pointer never flipped
            why = "activation interrupted before the switch; previous model kept"
            self.state.save(st.model_copy(update={"phase": "failed", "detail": why}))
            return UpdateReport("failed", st.version, why)
        try:
            self_test(self.slots.path(active), self.inference)
        except SelfTestError as e:
            return self.roll_back(str(e))
        self.state.save(st.model_copy(update={"phase": "active", "detail": None}))
        return UpdateReport("confirmed", st.version)

    def roll_back(self, why: str) -> UpdateReport:
        """Point back at the previous slot (the agent calls this when the new model fails)."""
        st = self.state.load()
        if st.previous is not None:
            self.slots.activate(st.previous)
        self.state.save(st.model_copy(update={"phase": "rolled_back", "detail": why}))
        log.warning("update: v%s rolled back: %s", st.version, why)
        return UpdateReport("rolled_back", st.version, why)

    def run_once(self, want: int | None = None, approve: Approval | None = None) -> UpdateReport:
        """Check the repository and install a newer release if there is one.

        With ``want`` (what the device's rollout assigns) only that release is installed: a newer
        one the repository already offers is not this device's yet (staged rollout), so the run
        is deferred. ``approve`` is asked again before download and before activation, so a hold
        that arrives during a run stops it while the active model is still untouched.
        """
        st, now = self.state.load(), self.clock()
        why = refusal(self.policy, now, st.clock_floor)
        if why is not None:
            return UpdateReport("deferred", None, why)
        installed = self.installed_version()
        if want is not None and installed >= want:
            return UpdateReport("up_to_date", installed)
        try:
            offer = self.client.check(self.model_name)
        except UpdateError as e:
            return self._fail(st, e, None)
        floor = now if st.clock_floor is None else max(now, st.clock_floor)
        st = self.state.save(st.model_copy(update={"clock_floor": floor}))
        if offer is None:
            return UpdateReport("up_to_date", installed, "no release published")
        if offer.info.version <= installed:
            older = offer.info.version < installed
            detail = f"repository offers older v{offer.info.version}: refused" if older else ""
            return UpdateReport("up_to_date", installed, detail)
        if want is not None and offer.info.version != want:
            why = f"repository offers v{offer.info.version}, the rollout assigns v{want}: waiting"
            return UpdateReport("deferred", want, why)
        if st.version != offer.info.version:
            st = st.model_copy(update={"version": offer.info.version, "attempts": 0})
        elif st.phase == "failed" and st.attempts >= self.policy.max_attempts:
            return UpdateReport("gave_up", st.version, st.detail or "")
        if spent(self.policy, st.attempts):
            return UpdateReport("gave_up", st.version, f"{st.attempts} attempts failed")
        try:
            return self._install(st, offer, approve or _go)
        except UpdateError as e:
            return self._fail(self.state.load(), e, offer.info.version)

    def _step(self, st: UpdateState, **changes: object) -> UpdateState:
        st = self.state.save(st.model_copy(update=changes))
        self.hook(st.phase)
        return st

    def _install(self, st: UpdateState, offer: Offer, approve: Approval) -> UpdateReport:
        version = offer.info.version
        if (why := approve(version)) is not None:
            return UpdateReport("held", version, why)
        slot = self.slots.inactive()
        st = self._step(st, phase="downloading", slot=slot, label=offer.info.label,
                        attempts=st.attempts + 1, detail=None)  # fmt: skip
        folder = self.slots.prepare(slot)
        self.client.download(offer, folder)
        st = self._step(st, phase="verifying")
        st = self._step(st, phase="staged")
        st = self._step(st, phase="self_test")
        estimator = self_test(folder, self.inference)
        stats = None
        if self.shadow is not None:
            st = self._step(st, phase="shadow")
            stats = self.shadow(estimator)
        if (why := approve(version)) is not None:  # held while downloading or in shadow
            self.state.save(st.model_copy(update={"phase": "idle", "detail": why,
                                                  "attempts": st.attempts - 1}))  # fmt: skip
            log.info("update: v%s held before activation: %s", version, why)
            return UpdateReport("held", version, why, shadow=stats)
        st = self._step(st, phase="activating", previous=self.slots.active())
        self.slots.activate(slot)
        self.hook("switched")
        self.state.save(st.model_copy(update={"phase": "active"}))
        log.info("update: v%s active in slot %s", offer.info.version, slot)
        return UpdateReport("installed", offer.info.version, shadow=stats)

    def _fail(self, st: UpdateState, e: UpdateError, version: int | None) -> UpdateReport:
        refused = isinstance(e, VerificationError | SelfTestError)
        attempts = self.policy.max_attempts if refused else st.attempts  # never retried as-is
        phase = "failed" if refused or not isinstance(e, TransferError) else "idle"
        if version is not None:
            self.state.save(st.model_copy(update={"phase": phase, "detail": str(e),
                                                  "attempts": attempts}))  # fmt: skip
        log.warning("update: %s", e)
        return UpdateReport("refused" if refused else "failed", version, str(e))
