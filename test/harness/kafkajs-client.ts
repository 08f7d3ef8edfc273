/**
 * kafkajs against a test broker: a quiet client, a topic created with its leaders awaited,
 * and records produced from a producer of their own.
 */
import { Kafka, logLevel, type Admin, type Message, type RetryOptions } from 'kafkajs';

/** Retries for clients that must ride out a coordinator still loading or a broker restart. */
export const PATIENT_RETRY: RetryOptions = { retries: 8, initialRetryTime: 200 };

/** A kafkajs client that logs nothing; kafkajs's default retries unless `retry` is given. */
export function kafkajsClient(clientId: string, brokers: string[], retry?: RetryOptions): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry });
}

/** Creates a topic and waits for its leaders; throws when kafkajs says it was not created. */
export async function createTopic(
  admin: Admin,
  topic: string,
  numPartitions: number,
): Promise<void> {
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions }],
    waitForLeaders: true,
  });
  if (!created) throw new Error(`topic ${topic} was not created`);
}

/** Sends `messages` with acks=-1 from a new producer, disconnected afterwards. */
export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/**
 * `count` records in each of partitions 0..`partitions`-1, partition by partition, valued
 * `prefix-pP-oO` with O counting from `from` (their offsets when the partitions held `from`).
 */
export function partitionRecords(
  prefix: string,
  partitions: number,
  from: number,
  count: number,
): { partition: number; value: string }[] {
  return Array.from({ length: partitions }, (_, p) =>
    Array.from({ length: count }, (_, i) => ({
      partition: p,
      value: `${prefix}-p${p}-o${from + i}`,
    })),
  ).flat();
}
