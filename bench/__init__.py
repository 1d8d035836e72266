"""Benchmarks: `make bench` (or `python -m bench`) runs them all, prints tables, writes JSON.

Each benchmark module exposes ``run() -> dict[str, object]`` and, when run as a script, prints
its own table. Figures are ratios against a baseline measured in the same run where possible,
because the machine is shared and noisy.
"""
