import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeLogDirsRequest } from '../../protocol/messages/generated/describe-log-dirs-request.js';
import type {
  DescribeLogDirsResult,
  DescribeLogDirsTopic,
} from '../../protocol/messages/generated/describe-log-dirs-response.js';
import { ApiKey } from '../../protocol/messages/generated/index.js';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler, ResponseBody } from '../router.js';

/**
 * DescribeLogDirs (key 35), versions 0-4, as Kafka's ReplicaManager.describeLogDirs answers:
 * one result per configured log dir (absolute path); an offline dir is KAFKA_STORAGE_ERROR
 * with no topics. Topics null means every local partition, otherwise only those named
 * (topics left without a partition are omitted). Each partition carries its size on disk,
 * offsetLag 0 (max(HW - LEO, 0) of a leader) and isFutureKey false (no replica moves
 * between dirs here). v4 adds the file system's total and usable bytes (-1 if unknown).
 */

type Result = Partial<DescribeLogDirsResult>;

async function spaceOf(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const stats = await statfs(dir, { bigint: true });
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

export function createDescribeLogDirsHandler(
  services: BrokerServices,
): ApiHandler<typeof ApiKey.DescribeLogDirs> {
  return {
    apiKey: ApiKey.DescribeLogDirs,
    minVersion: 0,
    maxVersion: 4,
    async handle(
      ctx,
      request: DescribeLogDirsRequest,
    ): Promise<ResponseBody<typeof ApiKey.DescribeLogDirs>> {
      const version = ctx.header.requestApiVersion;
      const logManager = services.logManager;
      const wanted =
        request.topics === null
          ? null
          : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
      const offline = new Set(logManager.offlineDirs().map((dir) => resolve(dir)));
      const logs = logManager.logs();
      const results: Result[] = [];
      for (const dir of [...new Set(services.config.logDirs.map((d) => resolve(d)))]) {
        if (offline.has(dir)) {
          results.push({ logDir: dir, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, topics: [] });
          continue;
        }
        const topics = new Map<string, DescribeLogDirsTopic>();
        for (const managed of logs) {
          if (resolve(managed.logDir) !== dir) continue;
          if (wanted !== null && !wanted.get(managed.topic)?.has(managed.partition)) continue;
          let topic = topics.get(managed.topic);
          if (topic === undefined) {
            topic = { name: managed.topic, partitions: [] };
            topics.set(managed.topic, topic);
          }
          topic.partitions.push({
            partitionIndex: managed.partition,
            partitionSize: BigInt(managed.log.size),
            offsetLag: 0n,
            isFutureKey: false,
          });
        }
        const space = version >= 4 ? await spaceOf(dir) : { totalBytes: -1n, usableBytes: -1n };
        results.push({
          logDir: dir,
          errorCode: ErrorCode.NONE,
          topics: [...topics.values()]
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .map((t) => ({
              ...t,
              partitions: t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex),
            })),
          ...space,
        });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
    },
  };
}
