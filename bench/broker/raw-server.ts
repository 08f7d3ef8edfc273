/**
 * The raw baselines' servers for bench/broker/run.ts, run as a child process (so, like the
 * broker, they have their own event loop and share the 2 cores with the load generator).
 *
 *  node raw-server.js append FILE   a plain TCP server: reads [int32 BE length][payload]
 *                                   frames and appends each whole frame to FILE (a new
 *                                   file, opened 'w') with FileHandle.write, then answers
 *                                   with 4 bytes; frames of one connection are written in
 *                                   order, connections share the file handle.
 *  node raw-server.js send FILE...  a plain file→socket sender: on each connection it reads
 *                                   the files in order in 1 MiB chunks (FileHandle.read into
 *                                   a fresh buffer per chunk, as a broker must hand out) and
 *                                   writes them to the socket (honouring backpressure), then
 *                                   ends the socket. The client discards.
 *
 * Prints `listening PORT` once bound to 127.0.0.1 on a free port (port 0).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';

const MiB = 1024 * 1024;

async function appendServer(path: string): Promise<void> {
  const fh = await open(path, 'w');
  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    const ack = Buffer.from([0, 0, 0, 0]);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      // Cut as many whole frames as have arrived.
      for (;;) {
        if (pendingBytes < 4) return;
        let head = pending[0];
        if (head.length < 4) {
          head = Buffer.concat(pending);
          pending = [head];
        }
        const size = head.readInt32BE(0);
        if (pendingBytes < 4 + size) return;
        const all = pending.length === 1 ? head : Buffer.concat(pending);
        const frame = all.subarray(0, 4 + size);
        const rest = all.subarray(4 + size);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        chain = chain.then(async () => {
          await fh.write(frame);
          if (!socket.destroyed) socket.write(ack);
        });
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await listen(server);
}

async function sendServer(paths: string[]): Promise<void> {
  const server = createServer((socket: Socket) => {
    socket.on('error', () => socket.destroy());
    void (async () => {
      for (const path of paths) {
        const fh: FileHandle = await open(path, 'r');
        try {
          for (;;) {
            const buf = Buffer.allocUnsafe(MiB);
            const { bytesRead } = await fh.read(buf, 0, MiB, null);
            if (bytesRead === 0) break;
            if (!socket.write(bytesRead === MiB ? buf : buf.subarray(0, bytesRead))) {
              await new Promise<void>((resolve) => socket.once('drain', resolve));
            }
          }
        } finally {
          await fh.close();
        }
      }
      socket.end();
    })().catch(() => socket.destroy());
  });
  await listen(server);
}

function listen(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      process.stdout.write(`listening ${port}\n`);
      resolve();
    });
  });
}

const [mode, ...files] = process.argv.slice(2);
if (mode === 'append' && files.length === 1) await appendServer(files[0]);
else if (mode === 'send' && files.length > 0) await sendServer(files);
else {
  process.stderr.write('usage: raw-server.js append FILE | send FILE...\n');
  process.exit(2);
}
