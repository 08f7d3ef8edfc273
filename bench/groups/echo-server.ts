/**
 * The network-only baseline server of bench/groups/run.ts, run as a child process (so, like
 * the broker, it has its own event loop and shares the cores with the load generator).
 *
 *  node echo-server.js   a plain TCP server: reads [int32 BE size][payload] frames and answers
 *                        each one at once, in order, with a frame of the total size (prefix
 *                        included) the request names in its first 4 payload bytes, so a
 *                        replayed request/response pair has the sizes the broker's had.
 *
 * Prints `listening PORT` once bound to 127.0.0.1 on a free port (port 0).
 */
import { createServer, type Socket } from 'node:net';

/** One zero-filled answer per size, size prefix written; reused for every frame. */
const answers = new Map<number, Buffer>();

function answerOf(totalBytes: number): Buffer {
  let answer = answers.get(totalBytes);
  if (answer === undefined) {
    answer = Buffer.alloc(Math.max(4, totalBytes));
    answer.writeInt32BE(answer.length - 4, 0);
    answers.set(totalBytes, answer);
  }
  return answer;
}

const server = createServer((socket: Socket) => {
  socket.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= 8) {
      const size = pending.readInt32BE(at);
      if (pending.length - at < 4 + size) break;
      socket.write(answerOf(pending.readInt32BE(at + 4)));
      at += 4 + size;
    }
    pending = at === pending.length ? Buffer.alloc(0) : pending.subarray(at);
  });
  socket.on('error', () => socket.destroy());
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`listening ${port}\n`);
});
