/**
 * The baselines for the ring buffer benchmark: the same transfer between two Node processes
 * over a Unix domain socket, and over a pipe. The receiver times from its first byte past the
 * warm-up (as the ring consumer leaves its first messages out) to its last, and prints one JSON
 * line, as the ring consumer does.
 *
 *   stream-baseline.ts socket-receive PATH TOTAL WARMUP   stream-baseline.ts socket-send PATH MESSAGE TOTAL
 *   stream-baseline.ts stdin-receive TOTAL WARMUP         stream-baseline.ts stdout-send MESSAGE TOTAL
 */
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

const [role, ...args] = process.argv.slice(2);

async function send(out: Writable, message: number, total: number): Promise<void> {
  const chunk = Buffer.alloc(message, 0x5a);
  for (let sent = 0; sent < total; sent += message) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function receive(input: Readable, total: number, warmUp: number): Promise<void> {
  let received = 0;
  let started: bigint | undefined;
  let from = 0;
  for await (const data of input) {
    if (started === undefined && received >= warmUp) {
      started = process.hrtime.bigint();
      from = received;
    }
    received += (data as Buffer).length;
    if (received >= total) break;
  }
  const seconds = Number(process.hrtime.bigint() - (started ?? process.hrtime.bigint())) / 1e9;
  process.stdout.write(`${JSON.stringify({ bytes: received - from, seconds })}\n`);
}

switch (role) {
  case 'socket-receive': {
    const [path, total, warmUp = '0'] = args;
    const server = createServer();
    server.listen(path!);
    await once(server, 'listening');
    process.stderr.write('listening\n');
    const [socket] = (await once(server, 'connection')) as [Socket];
    await receive(socket, Number(total), Number(warmUp));
    socket.destroy();
    server.close();
    break;
  }
  case 'socket-send': {
    const [path, message, total] = args;
    const socket = connect(path!);
    await once(socket, 'connect');
    await send(socket, Number(message), Number(total));
    break;
  }
  case 'stdin-receive':
    await receive(process.stdin, Number(args[0]), Number(args[1] ?? 0));
    break;
  case 'stdout-send':
    await send(process.stdout, Number(args[0]), Number(args[1]));
    break;
  default:
    process.stderr.write('usage: stream-baseline.ts socket-receive|socket-send|stdin-receive|stdout-send ...\n');
    process.exit(2);
}
