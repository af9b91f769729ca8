"""confluent-kafka 1.7.0 (Debian's python3-confluent-kafka, on librdkafka
2.0.2) against Wharf's Kafka listener: admin create/delete topics, an lz4
producer, and a group consumer that commits and resumes."""
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
deadline = time.time() + 120

admin = AdminClient({"bootstrap.servers": bootstrap})
for topic, future in admin.create_topics([NewTopic("ck-events", num_partitions=4, replication_factor=1)]).items():
    future.result()
assert "ck-events" in admin.list_topics(timeout=10).topics

delivered = []
producer = Producer({"bootstrap.servers": bootstrap, "compression.type": "lz4", "linger.ms": 5,
                     "enable.idempotence": True})
for i in range(200):
    producer.produce("ck-events", key=str(i), value=f"v{i}",
                     on_delivery=lambda err, msg: delivered.append((err, msg.partition(), msg.offset())))
assert producer.flush(30) == 0
assert all(err is None for err, _, _ in delivered), delivered[:3]
assert {p for _, p, _ in delivered} == {0, 1, 2, 3}


def consume(consumer, want):
    got = []
    while len(got) < want and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        assert m.error() is None, m.error()
        got.append(m.value().decode())
    return got


settings = {"bootstrap.servers": bootstrap, "group.id": "ck-group", "auto.offset.reset": "earliest",
            "enable.auto.commit": False}
consumer = Consumer(settings)
consumer.subscribe(["ck-events"])
got = consume(consumer, 200)
assert sorted(got) == sorted(f"v{i}" for i in range(200)), len(got)
consumer.commit(asynchronous=False)
consumer.close()

for i in range(200, 220):
    producer.produce("ck-events", value=f"v{i}")
producer.flush(30)
again = Consumer(settings)
again.subscribe(["ck-events"])
got = consume(again, 20)
assert sorted(got) == sorted(f"v{i}" for i in range(200, 220)), got
again.close()

for topic, future in admin.delete_topics(["ck-events"]).items():
    future.result()
print("confluent-kafka: ok")
