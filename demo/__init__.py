"""``make demo``: the whole system on one machine, on embedded defaults.

A real Mosquitto (auth + per-device ACL from deploy/mosquitto), the hub (``cloud-hub serve``,
SQLite registry and series, ingest on), a handful of camera units (``edge-agent run`` processes,
provisioned through the hub) and one reference monitor fed through the hub's API. See docs/demo.md.
This package is the demo's orchestration only: it runs the products' own commands.
"""
