"""Signed model updates on the device: TUF-verified download, A/B slots, self-test, shadow, swap.

Flow (`manager.UpdateManager`): check → download (resumable, byte-capped) → verify (TUF) → stage
into the inactive slot → self-test → shadow → activate (atomic pointer) → confirm, or roll back.
Every step is recorded in `state.UpdateState` first, so a power cut at any point restarts into a
working model.
"""
