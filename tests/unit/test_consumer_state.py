"""The aiokafka and Faust attributes the worker's consumer reads, by name: an upgrade that moves one fails here,
instead of silently turning a check off."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.consumer.subscription_state import Assignment, SubscriptionState, TopicPartitionState
from faust.transport.consumer import Consumer as FaustConsumer

TP = TopicPartition("wire.raw", 0)


async def test_the_fetch_state_the_consumer_reads_is_where_it_expects() -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:9")  # never started: no connection
    try:
        state = consumer._subscription
        assert isinstance(state, SubscriptionState)
        assert state.is_assigned(TP) is False
        state.assign_from_user([TP])
        assert state.is_assigned(TP) is True
        assignment = state.subscription.assignment
        assert isinstance(assignment, Assignment)
        tp_state = assignment.state_value(TP)
        assert isinstance(tp_state, TopicPartitionState)
        assert tp_state.has_valid_position is False
        tp_state.seek(7)
        assert (tp_state.position, tp_state.has_valid_position, tp_state.highwater) == (7, True, None)
        assert assignment.state_value(TopicPartition("wire.raw", 1)) is None
    finally:
        await consumer.stop()


def test_the_faust_consumer_state_the_consumer_reads_and_overrides_exists() -> None:
    for name in ("_getmany", "_new_offset", "seek_to_committed", "on_buffer_drop", "_get_active_partitions"):
        assert callable(getattr(FaustConsumer, name, None)), name
