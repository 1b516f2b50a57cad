/**
 * A web process as production runs it (app, socket server, the relay listener when Redis is not
 * configured), in a child of the bench, on an ephemeral port: notifications made in the bench
 * process (standing in for the clock or a worker) must cross processes to reach its sockets.
 * Reports `{ type: 'ready', port }` over IPC; stops on "stop" or when the parent goes away.
 */
// First, before the app (see http-server.ts).
import '../../app/db/database.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../app/app.ts';
import { boot } from '../../app/boot.ts';
import { attachRealtime } from '../../app/realtime/socket.ts';

if (!process.send) throw new Error('realtime-server.ts must be started with an IPC channel (fork)');

const booted = await boot({ listenForChanges: true, queue: 'off' });
const app = createApp();
const server: Server = await new Promise((resolve, reject) => {
  const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
});
const realtime = await attachRealtime(server);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await realtime.close().catch(() => {});
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await booted.shutdown();
  process.exit(0);
}
process.on('message', (msg) => {
  if (msg === 'stop') void stop();
});
process.on('disconnect', () => void stop());
process.send({ type: 'ready', port: (server.address() as AddressInfo).port });
