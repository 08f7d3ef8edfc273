import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PRODUCER_ID_BLOCK_SIZE } from '../../../src/controller/producer-ids.js';
import { BOOTSTRAP_METADATA_VERSION } from '../../../src/metadata/metadata-records.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ControllerHarness, brokerDirectory } from './controller-harness.js';

let harness: ControllerHarness;

beforeEach(async () => {
  harness = await ControllerHarness.start();
});
afterEach(async () => {
  await harness.close();
});

describe('bootstrap', () => {
  test('a new cluster gets metadata.version 3.9-IV0 once, not again on restart', async () => {
    expect(harness.image.metadataVersion).toBe(BOOTSTRAP_METADATA_VERSION);
    expect(BOOTSTRAP_METADATA_VERSION).toBe(21);
    // Leader change at 0, FeatureLevelRecord at 1.
    expect(harness.image.offset).toBe(1n);
    await harness.restart();
    // Only the new epoch's leader change was written.
    expect(harness.image.offset).toBe(2n);
    expect(harness.image.metadataVersion).toBe(21);
  });
});

describe('registerBroker', () => {
  test('the broker epoch is the offset of its RegisterBrokerRecord; it is unfenced in the same batch', async () => {
    const nextOffset = harness.log.nextWriteOffset;
    const reply = await harness.register(1);
    expect(reply).toEqual({ errorCode: 0, errorMessage: null, brokerEpoch: nextOffset });
    const broker = harness.image.broker(1)!;
    expect(broker).toMatchObject({ id: 1, epoch: nextOffset, fenced: false, rack: null });
    expect(broker.endpoints).toEqual([
      { name: 'PLAINTEXT', host: 'localhost', port: 9091, securityProtocol: 0 },
    ]);
    expect(broker.directories).toEqual([brokerDirectory(1)]);
    expect(harness.image.offset).toBe(nextOffset + 1n);
  });

  test('another incarnation is refused while the registration is live, accepted after a restart', async () => {
    const first = await harness.register(1, 1);
    expect(await harness.register(1, 2)).toEqual({
      errorCode: ErrorCode.DUPLICATE_BROKER_REGISTRATION,
      errorMessage: 'Another broker is registered with that broker id.',
      brokerEpoch: -1n,
    });
    const again = await harness.register(1, 1);
    expect(again.errorCode).toBe(0);
    expect(again.brokerEpoch).toBeGreaterThan(first.brokerEpoch);
    await harness.restart();
    const restarted = await harness.register(1, 2);
    expect(restarted.errorCode).toBe(0);
    expect(harness.image.broker(1)!.epoch).toBe(restarted.brokerEpoch);
  });

  test('UNSUPPORTED_VERSION for a broker that cannot run the finalized metadata.version', async () => {
    const reply = await harness.controller.registerBroker({
      brokerId: 4,
      incarnationId: 'Rp1lyc2bS0qb2c2Hk0c8dg',
      listeners: [],
      rack: 'r1',
      features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 14 }],
    });
    expect(reply).toMatchObject({
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      errorMessage:
        'Unable to register because the broker does not support finalized version 21 of metadata.version. The broker wants a version between 1 and 14, inclusive.',
    });
    const silent = await harness.controller.registerBroker({
      brokerId: 4,
      incarnationId: 'Rp1lyc2bS0qb2c2Hk0c8dg',
      listeners: [],
      rack: null,
      features: [],
    });
    expect(silent.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(harness.image.broker(4)).toBeUndefined();
  });
});

describe('allocateProducerIds', () => {
  test('hands out consecutive blocks of 1000 that survive a restart', async () => {
    const { brokerEpoch } = await harness.register(1);
    const first = await harness.controller.allocateProducerIds(1, brokerEpoch);
    expect(first).toEqual({
      errorCode: 0,
      errorMessage: null,
      producerIdStart: 0n,
      producerIdLen: PRODUCER_ID_BLOCK_SIZE,
    });
    const second = await harness.controller.allocateProducerIds(1, brokerEpoch);
    expect(second.producerIdStart).toBe(1000n);
    expect(harness.image.nextProducerId).toBe(2000n);
    await harness.restart();
    const { brokerEpoch: newEpoch } = await harness.register(1);
    const third = await harness.controller.allocateProducerIds(1, newEpoch);
    expect(third.producerIdStart).toBe(2000n);
  });

  test('STALE_BROKER_EPOCH for an unregistered broker or an old epoch', async () => {
    const { brokerEpoch } = await harness.register(1);
    expect(await harness.controller.allocateProducerIds(2, brokerEpoch)).toMatchObject({
      errorCode: ErrorCode.STALE_BROKER_EPOCH,
      errorMessage: 'No broker registration found for broker 2',
    });
    expect(await harness.controller.allocateProducerIds(1, brokerEpoch - 1n)).toMatchObject({
      errorCode: ErrorCode.STALE_BROKER_EPOCH,
      errorMessage: `Expected broker epoch ${brokerEpoch}, but got broker epoch ${brokerEpoch - 1n}`,
      producerIdStart: 0n,
      producerIdLen: 0,
    });
    expect(harness.image.nextProducerId).toBe(0n);
  });
});

test('listeners see each committed operation as one image step', async () => {
  const steps: bigint[] = [];
  harness.log.onImage((image) => steps.push(image.offset));
  await harness.register(1);
  await harness.controller.createTopics(
    [{ name: 't', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    { validateOnly: false },
  );
  expect(steps).toEqual([3n, 6n]);
});
