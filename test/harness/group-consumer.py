"""
A confluent-kafka (librdkafka) group consumer for the integration tests, driven over stdin
and reporting on stdout, one JSON object per line:

  {"event": "assign" | "revoke" | "lost", "partitions": [...], "assignment": [...]}
  {"event": "consumed", "partition": p, "offset": o, "value": "..."}
  {"event": "committed", "offsets": [[p, o], ...]}
  {"event": "closed"}

stdin commands, one a line:
  close    consumer.close() (a static member does not leave the group), then exit 0
  exit     exit at once without closing the consumer (like a crash)

Usage: group-consumer.py <bootstrap> <topic> <group.id> <group.instance.id|-> [key=value ...]
Extra key=value pairs go to the consumer configuration.
"""
import json
import os
import select
import sys

from confluent_kafka import Consumer, KafkaException

bootstrap, topic, group, instance = sys.argv[1:5]
config = {
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'partition.assignment.strategy': 'cooperative-sticky',
    'session.timeout.ms': 10000,
    'heartbeat.interval.ms': 500,
    'max.poll.interval.ms': 30000,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': False,
    'topic.metadata.refresh.interval.ms': 2000,
}
if instance != '-':
    config['group.instance.id'] = instance
for pair in sys.argv[5:]:
    key, value = pair.split('=', 1)
    config[key] = value


def emit(**event):
    print(json.dumps(event), flush=True)


consumer = Consumer(config)


def partitions_of(partitions):
    return sorted(p.partition for p in partitions)


def current_assignment():
    try:
        return partitions_of(consumer.assignment())
    except KafkaException:
        # The revocation that close() runs may come when the handle is already going.
        return None


def on_assign(c, partitions):
    c.incremental_assign(partitions)
    emit(event='assign', partitions=partitions_of(partitions), assignment=current_assignment())


def on_revoke(c, partitions):
    c.incremental_unassign(partitions)
    emit(event='revoke', partitions=partitions_of(partitions), assignment=current_assignment())


def on_lost(c, partitions):
    c.incremental_unassign(partitions)
    emit(event='lost', partitions=partitions_of(partitions), assignment=current_assignment())


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
emit(event='started')

while True:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    if readable:
        command = sys.stdin.readline().strip()
        if command == 'close':
            consumer.close()
            emit(event='closed')
            sys.exit(0)
        if command in ('exit', ''):
            emit(event='exiting')
            os._exit(0)
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        emit(event='error', error=str(msg.error()))
        continue
    emit(event='consumed', partition=msg.partition(), offset=msg.offset(),
         value=msg.value().decode())
    try:
        committed = consumer.commit(message=msg, asynchronous=False)
        emit(event='committed', offsets=[[p.partition, p.offset] for p in committed])
    except KafkaException as e:
        emit(event='commit-error', error=str(e))
