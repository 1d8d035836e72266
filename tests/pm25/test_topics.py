"""Topic builders and the parser: every topic of the contract, nothing outside it."""

import pytest

from pm25 import topics
from pm25.errors import WireError
from pm25.topics import Kind


def test_builders_follow_the_pinned_layout():
    assert topics.readings("cam-1") == "pm25/v1/cam-1/readings"
    assert topics.heartbeat("cam-1") == "pm25/v1/cam-1/heartbeat"
    assert topics.status("cam-1") == "pm25/v1/cam-1/status"
    assert topics.cmd("cam-1") == "pm25/v1/cam-1/cmd"
    assert topics.ack("cam-1") == "pm25/v1/cam-1/ack"
    assert topics.sample("cam-1") == "pm25/v1/cam-1/sample"


@pytest.mark.parametrize("kind", list(Kind))
def test_parse_inverts_build(kind):
    assert topics.parse_topic(topics.topic("a_b-9", kind)) == ("a_b-9", kind)


@pytest.mark.parametrize("device_id", ["", "Cam", "a/b", "a+", "#", "a b", "x" * 65, "é", "cam.1"])
def test_invalid_device_ids_are_refused(device_id):
    with pytest.raises(WireError, match="device id"):
        topics.readings(device_id)


def test_longest_device_id_is_accepted():
    assert topics.validate_device_id("x" * 64) == "x" * 64


@pytest.mark.parametrize(
    "topic",
    [
        "pm25/v1/cam-1/readings/extra",
        "pm25/v1/cam-1",
        "pm25/v2/cam-1/readings",
        "other/v1/cam-1/readings",
        "pm25/v1/+/readings",
        "pm25/v1/cam-1/#",
        "pm25/v1/cam-1/telemetry",
        "$share/hub/pm25/v1/cam-1/readings",
        "/pm25/v1/cam-1/readings",
        "pm25/v1/CAM/readings",
    ],
)
def test_parse_refuses_topics_outside_the_contract(topic):
    with pytest.raises(WireError):
        topics.parse_topic(topic)


def test_wildcard_and_shared_subscriptions():
    assert topics.all_devices("readings") == "pm25/v1/+/readings"
    assert topics.all_devices(Kind.STATUS) == "pm25/v1/+/status"
    assert topics.shared("hub", topics.all_devices(Kind.READINGS)) == (
        "$share/hub/pm25/v1/+/readings"
    )


@pytest.mark.parametrize(("group", "topic"), [("a/b", "pm25/v1/+/ack"), ("hub", "x/+/y")])
def test_shared_refuses_bad_group_or_foreign_filter(group, topic):
    with pytest.raises(WireError):
        topics.shared(group, topic)


def test_unknown_kind_is_refused():
    with pytest.raises(WireError, match="unknown message kind"):
        topics.all_devices("telemetry")


def test_only_status_and_desired_are_retained_and_only_cmd_and_desired_flow_down():
    retained = {k for k, spec in topics.TOPIC_SPECS.items() if spec.retained}
    downlink = {k for k, spec in topics.TOPIC_SPECS.items() if spec.direction == "cloud_to_device"}
    assert retained == {Kind.STATUS, Kind.DESIRED}
    assert downlink == {Kind.CMD, Kind.DESIRED}
    assert topics.desired("cam-1") == "pm25/v1/cam-1/desired"
    assert set(topics.TOPIC_SPECS) == set(Kind)
