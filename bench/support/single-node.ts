/**
 * A formatted single-node (combined broker and controller) data dir on free 127.0.0.1
 * ports, for the benches and the integration tests that start bin/broker.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A port nothing listens on right now (bound to 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface SingleNode {
  readonly configPath: string;
  readonly port: number;
  readonly logDir: string;
}

/**
 * Writes `<dir>/server.properties` (`extraProps` after the common keys) and formats its log
 * dir with `storageBin` (bin/kafka-storage) under a new cluster id.
 */
export async function prepareSingleNode(
  dir: string,
  storageBin: string,
  extraProps: Record<string, string> = {},
): Promise<SingleNode> {
  const port = await freePort();
  const controllerPort = await freePort();
  const logDir = join(dir, 'logs');
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': '1',
    ...extraProps,
  };
  const configPath = join(dir, 'server.properties');
  await writeFile(
    configPath,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const timeout = 20_000;
  const { stdout: uuid } = await execFileAsync(storageBin, ['random-uuid'], { timeout });
  try {
    await execFileAsync(
      storageBin,
      ['format', '--config', configPath, '--cluster-id', uuid.trim()],
      { timeout },
    );
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`format failed: ${stderr}${stdout}`, { cause: err });
  }
  return { configPath, port, logDir };
}
