"""The cloud hub: MQTT ingest, series store, fleet registry, REST API, console and rollouts."""
