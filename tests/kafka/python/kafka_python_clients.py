"""kafka-python 2.0.2 (Debian's python3-kafka) against Wharf's Kafka listener:
admin create/list/describe/delete, a gzip producer, a group consumer that
commits and resumes, and the old protocol versions of api_version=(0, 10)."""
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

bootstrap = sys.argv[1]
deadline = time.time() + 120


def consume(consumer, want, until=None):
    got = []
    until = until or deadline
    while len(got) < want and time.time() < until:
        for records in consumer.poll(timeout_ms=500).values():
            got.extend(r.value.decode() for r in records)
    return got


admin = KafkaAdminClient(bootstrap_servers=bootstrap)
admin.create_topics([NewTopic("kp-events", num_partitions=3, replication_factor=1)])
assert "kp-events" in admin.list_topics(), admin.list_topics()

producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip", linger_ms=5)
futures = [producer.send("kp-events", key=str(i % 7).encode(), value=f"v{i}".encode()) for i in range(100)]
producer.flush()
partitions = {f.get(timeout=10).partition for f in futures}
assert partitions == {0, 1, 2}, partitions

consumer = KafkaConsumer("kp-events", bootstrap_servers=bootstrap, group_id="kp-group",
                         auto_offset_reset="earliest", enable_auto_commit=False)
got = consume(consumer, 100)
assert sorted(got) == sorted(f"v{i}" for i in range(100)), len(got)
consumer.commit()
groups = [g[0] for g in admin.list_consumer_groups()]
assert "kp-group" in groups, groups
described = admin.describe_consumer_groups(["kp-group"])[0]
assert described.state == "Stable", described
assert len(described.members) == 1, described
consumer.close()

for i in range(100, 110):
    producer.send("kp-events", value=f"v{i}".encode())
producer.flush()
again = KafkaConsumer("kp-events", bootstrap_servers=bootstrap, group_id="kp-group",
                      auto_offset_reset="earliest", enable_auto_commit=False)
got = consume(again, 10)
assert sorted(got) == sorted(f"v{i}" for i in range(100, 110)), got
extra = consume(again, 1, time.time() + 2)
assert extra == [], f"read only what came after the committed offsets, not {extra}"
again.close()

# The versions kafka-python picks for a 0.10 broker: Produce v2 (magic 1
# message sets), Fetch v3, Metadata v1, ListOffsets v1.
old_producer = KafkaProducer(bootstrap_servers=bootstrap, api_version=(0, 10))
old_producer.send("kp-old", value=b"from-0.10").get(timeout=10)
old_consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(0, 10), consumer_timeout_ms=3000,
                             auto_offset_reset="earliest")
old_consumer.assign([TopicPartition("kp-old", 0)])
old = [m.value for m in old_consumer]
assert old == [b"from-0.10"], old

admin.delete_topics(["kp-events", "kp-old"])
assert "kp-events" not in admin.list_topics()
print("kafka-python: ok")
