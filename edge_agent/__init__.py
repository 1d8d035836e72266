"""The camera unit: capture, quality gate, on-device inference, durable outbox, MQTT uplink."""
