import { randomFillSync } from 'node:crypto';
import net from 'node:net';
import type { Encodable } from '../../src/protocol/codec/compile.js';
import {
  decodeRequest,
  encodeResponse,
  isSupportedVersion,
  peekRequestPreamble,
  type ApiKeyNumber,
  type DecodedRequest,
} from '../../src/protocol/api.js';
import {
  ApiKey,
  apiSpecs,
  type RequestsByApiKey,
  type ResponsesByApiKey,
} from '../../src/protocol/messages/generated/index.js';
import { inRange, type StructSpec } from '../../src/protocol/messages/spec.js';
import { randomUuid } from '../../src/protocol/primitives/uuid.js';
import { readBatches } from '../../src/protocol/records/index.js';

/**
 * A fake single-node broker whose only purpose is to record the exact bytes real clients
 * send. It answers just plausibly enough that kafkajs, librdkafka (kcat, confluent-kafka)
 * and kafka-python move on to their next request: every topic has one partition led by
 * node 0 (this listener), produced batches are kept in memory so consumers can fetch them,
 * and every group has a single member that leads itself. It is not the broker.
 */

export interface CapturedRequest {
  apiKey: number;
  apiVersion: number;
  /** The whole request frame without its 4-byte size prefix. */
  frame: Buffer;
  /** Set when the frame decoded; `error` says why when it did not. */
  decoded?: DecodedRequest;
  error?: string;
}

/** Highest versions advertised where ours go beyond what this fake can answer correctly. */
const VERSION_CAPS: ReadonlyMap<number, number> = new Map([
  // Fetch v13+ addresses topics by id only; keep clients on names.
  [ApiKey.Fetch, 12],
]);

const Errors = {
  unknownTopicOrPartition: 3,
  unsupportedVersion: 35,
  memberIdRequired: 79,
} as const;

const PARTITION = 0;
const NODE_ID = 0;
const LEADER_EPOCH = 0;
const CLUSTER_ID = 'golden-capture-cluster';
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** api key, api version and correlation id. */
const MIN_REQUEST_BYTES = 8;

interface TopicLog {
  id: string;
  /** Stored batches with their base offsets rewritten to log offsets. */
  batches: { firstOffset: bigint; lastOffset: bigint; bytes: Buffer }[];
  endOffset: bigint;
}

type Handler<K extends ApiKeyNumber> = (
  request: RequestsByApiKey[K],
  context: RequestContext,
) =>
  | Encodable<ResponsesByApiKey[K]>
  | undefined
  | Promise<Encodable<ResponsesByApiKey[K]> | undefined>;

interface RequestContext {
  apiVersion: number;
  clientId: string | null;
}

/**
 * Drops what `version` lacks, so handlers can describe a response once for all versions
 * (the encoders reject non-default values in fields a version does not have).
 */
function fitToVersion(struct: StructSpec, version: number, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of struct.fields) {
    const v = source[field.name];
    if (!inRange(field.versions, version) || v === undefined) continue;
    if (field.type === 'struct') out[field.name] = fitToVersion(field.struct!, version, v);
    else if (field.type === 'array' && field.items === 'struct' && Array.isArray(v)) {
      out[field.name] = v.map((item) => fitToVersion(field.struct!, version, item));
    } else out[field.name] = v;
  }
  return out;
}

function capture(frame: Buffer): CapturedRequest {
  const { apiKey, apiVersion } = peekRequestPreamble(frame);
  const record: CapturedRequest = { apiKey, apiVersion, frame };
  if (apiKey === ApiKey.ApiVersions && !isSupportedVersion(apiKey, apiVersion)) {
    record.error = `unsupported ApiVersions version ${apiVersion}`;
    return record;
  }
  try {
    record.decoded = decodeRequest(frame);
  } catch (err) {
    record.error = String(err);
  }
  return record;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class CaptureBroker {
  private captured: CapturedRequest[] = [];
  private readonly topics = new Map<string, TopicLog>();
  private readonly generations = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();
  private memberCounter = 0;

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host = '127.0.0.1'): Promise<CaptureBroker> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as net.AddressInfo;
    const broker = new CaptureBroker(server, host, port);
    server.on('connection', (socket) => broker.serve(socket));
    return broker;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** Returns what was captured since the last call, oldest first. */
  drain(): CapturedRequest[] {
    const out = this.captured;
    this.captured = [];
    return out;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    // Kafka answers one connection's requests in order, so they are handled one at a time.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < MIN_REQUEST_BYTES || size > MAX_FRAME_BYTES) {
          socket.destroy();
          return;
        }
        if (pending.length < 4 + size) break;
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        // Recorded on arrival, so a request queued behind a long-polling Fetch still counts
        // for the client run that sent it.
        const record = capture(frame);
        this.captured.push(record);
        queue = queue.then(() => this.respond(socket, record)).catch(() => void socket.destroy());
      }
    });
  }

  private async respond(socket: net.Socket, record: CapturedRequest): Promise<void> {
    const { apiKey, apiVersion, correlationId } = peekRequestPreamble(record.frame);
    if (apiKey === ApiKey.ApiVersions && !isSupportedVersion(apiKey, apiVersion)) {
      // As Kafka does: a v0 answer the client can always read, listing what we support.
      this.send(
        socket,
        encodeResponse(ApiKey.ApiVersions, 0, correlationId, {
          errorCode: Errors.unsupportedVersion,
          apiKeys: this.advertisedVersions(),
        }),
      );
      return;
    }
    const decoded = record.decoded;
    if (!decoded) {
      socket.destroy(); // Kafka closes the connection on a request it cannot parse
      return;
    }
    const handler = this.handlers[decoded.apiKey] as Handler<typeof decoded.apiKey> | undefined;
    const context = { apiVersion, clientId: decoded.header.clientId };
    try {
      const body = handler ? await handler(decoded.body, context) : {};
      if (body === undefined) return; // acks=0 produce: Kafka sends nothing back
      const fitted = fitToVersion(apiSpecs.get(decoded.apiKey)!.response, apiVersion, body);
      this.send(
        socket,
        encodeResponse(decoded.apiKey, apiVersion, correlationId, fitted as typeof body),
      );
    } catch (err) {
      record.error = `answering failed: ${String(err)}`;
      socket.destroy();
    }
  }

  private send(socket: net.Socket, buffers: Buffer[]): void {
    if (!socket.destroyed) socket.write(Buffer.concat(buffers));
  }

  private advertisedVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return [...apiSpecs].map(([apiKey, { request }]) => ({
      apiKey,
      minVersion: request.validVersions[0],
      maxVersion: Math.min(request.validVersions[1], VERSION_CAPS.get(apiKey) ?? Infinity),
    }));
  }

  private topic(name: string): TopicLog {
    let log = this.topics.get(name);
    if (!log) {
      log = { id: randomUuid(randomFillSync), batches: [], endOffset: 0n };
      this.topics.set(name, log);
    }
    return log;
  }

  private append(log: TopicLog, records: Buffer): bigint {
    const baseOffset = log.endOffset;
    for (const batch of readBatches(records)) {
      // baseOffset sits outside the CRC, so stamping log offsets keeps the batch valid.
      const bytes = Buffer.from(batch.bytes);
      bytes.writeBigInt64BE(log.endOffset, 0);
      const lastOffset = log.endOffset + BigInt(batch.lastOffsetDelta);
      log.batches.push({ firstOffset: log.endOffset, lastOffset, bytes });
      log.endOffset = lastOffset + 1n;
    }
    return baseOffset;
  }

  private nextMemberId(clientId: string | null): string {
    this.memberCounter++;
    return `${clientId ?? 'member'}-${this.memberCounter}-${randomUuid(randomFillSync)}`;
  }

  private readonly handlers: { [K in ApiKeyNumber]?: Handler<K> } = {
    [ApiKey.ApiVersions]: () => ({ errorCode: 0, apiKeys: this.advertisedVersions() }),

    [ApiKey.Metadata]: (request, { apiVersion }) => {
      // v0 asks for every topic with an empty list; v1+ with null.
      const everything =
        request.topics === null || (apiVersion === 0 && request.topics.length === 0);
      const names = everything
        ? [...this.topics.keys()]
        : request.topics!.flatMap((t) => (t.name === null ? [] : [t.name]));
      return {
        brokers: [{ nodeId: NODE_ID, host: this.host, port: this.port, rack: null }],
        clusterId: CLUSTER_ID,
        controllerId: NODE_ID,
        topics: names.map((name) => ({
          errorCode: 0,
          name,
          topicId: this.topic(name).id,
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: PARTITION,
              leaderId: NODE_ID,
              leaderEpoch: LEADER_EPOCH,
              replicaNodes: [NODE_ID],
              isrNodes: [NODE_ID],
              offlineReplicas: [],
            },
          ],
        })),
      };
    },

    [ApiKey.Produce]: (request) => {
      const responses = request.topicData.map((topic) => ({
        name: topic.name,
        partitionResponses: topic.partitionData.map((partition) => {
          if (partition.index !== PARTITION) {
            return { index: partition.index, errorCode: Errors.unknownTopicOrPartition };
          }
          const log = this.topic(topic.name);
          const baseOffset = partition.records
            ? this.append(log, partition.records)
            : log.endOffset;
          return {
            index: partition.index,
            errorCode: 0,
            baseOffset,
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
          };
        }),
      }));
      return request.acks === 0 ? undefined : { responses };
    },

    [ApiKey.InitProducerId]: () => ({ errorCode: 0, producerId: 1000n, producerEpoch: 0 }),

    [ApiKey.FindCoordinator]: (request, { apiVersion }) => {
      const self = { nodeId: NODE_ID, host: this.host, port: this.port, errorCode: 0 };
      if (apiVersion < 4) return { ...self, errorMessage: null };
      return { coordinators: request.coordinatorKeys.map((key) => ({ key, ...self })) };
    },

    [ApiKey.JoinGroup]: (request, { apiVersion, clientId }) => {
      const nullableName = apiVersion >= 7;
      if (apiVersion >= 4 && request.memberId === '') {
        // Kafka makes new members rejoin with an id it assigns (KIP-394).
        return {
          errorCode: Errors.memberIdRequired,
          generationId: -1,
          protocolType: nullableName ? null : '',
          protocolName: nullableName ? null : '',
          leader: '',
          memberId: this.nextMemberId(clientId),
          members: [],
        };
      }
      const memberId = request.memberId || this.nextMemberId(clientId);
      const generationId = (this.generations.get(request.groupId) ?? 0) + 1;
      this.generations.set(request.groupId, generationId);
      const chosen = request.protocols[0];
      return {
        errorCode: 0,
        generationId,
        protocolType: request.protocolType,
        protocolName: chosen?.name ?? '',
        leader: memberId,
        memberId,
        members: [
          { memberId, groupInstanceId: request.groupInstanceId, metadata: chosen?.metadata },
        ],
      };
    },

    [ApiKey.SyncGroup]: (request) => ({
      errorCode: 0,
      protocolType: request.protocolType,
      protocolName: request.protocolName,
      assignment: request.assignments.find((a) => a.memberId === request.memberId)?.assignment,
    }),

    [ApiKey.Heartbeat]: () => ({ errorCode: 0 }),

    [ApiKey.LeaveGroup]: (request) => ({
      errorCode: 0,
      members: request.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: 0,
      })),
    }),

    [ApiKey.OffsetFetch]: (request) => {
      const unknownOffset = (partitionIndex: number) => ({
        partitionIndex,
        committedOffset: -1n,
        committedLeaderEpoch: -1,
        metadata: '',
        errorCode: 0,
      });
      const topicsOf = (topics: { name: string; partitionIndexes: number[] }[] | null) =>
        (topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map(unknownOffset),
        }));
      return {
        errorCode: 0,
        topics: topicsOf(request.topics),
        groups: request.groups.map((g) => ({
          groupId: g.groupId,
          topics: topicsOf(g.topics),
          errorCode: 0,
        })),
      };
    },

    [ApiKey.OffsetCommit]: (request) => ({
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
      })),
    }),

    [ApiKey.ListOffsets]: (request, { apiVersion }) => ({
      topics: request.topics.map((t) => {
        const log = this.topic(t.name);
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            // -2 asks for the earliest offset; -1 and any timestamp get the end here.
            const offset = p.timestamp === -2n ? 0n : log.endOffset;
            return {
              partitionIndex: p.partitionIndex,
              errorCode: p.partitionIndex === PARTITION ? 0 : Errors.unknownTopicOrPartition,
              oldStyleOffsets: apiVersion === 0 ? [offset] : [],
              timestamp: -1n,
              offset,
              leaderEpoch: LEADER_EPOCH,
            };
          }),
        };
      }),
    }),

    [ApiKey.OffsetForLeaderEpoch]: (request) => ({
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({
          errorCode: 0,
          partition: p.partition,
          leaderEpoch: LEADER_EPOCH,
          endOffset: this.topic(t.topic).endOffset,
        })),
      })),
    }),

    [ApiKey.Fetch]: async (request) => {
      const respond = () => {
        let bytes = 0;
        const responses = request.topics.map((t) => {
          const name =
            t.topic || [...this.topics].find(([, log]) => log.id === t.topicId)?.[0] || '';
          const log = this.topic(name);
          return {
            topic: name,
            topicId: log.id,
            partitions: t.partitions.map((p) => {
              const batches = log.batches.filter((b) => b.lastOffset >= p.fetchOffset);
              const records = Buffer.concat(batches.map((b) => b.bytes));
              bytes += records.length;
              return {
                partitionIndex: p.partition,
                errorCode: p.partition === PARTITION ? 0 : Errors.unknownTopicOrPartition,
                highWatermark: log.endOffset,
                lastStableOffset: log.endOffset,
                logStartOffset: 0n,
                abortedTransactions: null,
                preferredReadReplica: -1,
                records,
              };
            }),
          };
        });
        return { bytes, body: { errorCode: 0, sessionId: 0, responses } };
      };
      const first = respond();
      if (first.bytes > 0 || request.maxWaitMs <= 0) return first.body;
      // Nothing to return yet: hold the request briefly, like a long poll, then answer.
      await sleep(Math.min(request.maxWaitMs, 100));
      return respond().body;
    },
  };
}
