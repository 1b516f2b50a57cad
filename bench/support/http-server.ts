/**
 * The web app on an ephemeral port, in a child process of the bench: the load generator then does
 * not share an event loop with the server it measures. Reports its port over IPC, answers the
 * bench's `{ type: 'cpu' }` with its CPU time (bench/support/cpu.ts); stops on "stop" or when the
 * parent goes away.
 */
// First, before the app: app/db/database.ts and app/tenancy/changes.ts import each other, and
// entered through app/app.ts the cycle reaches changes.ts's handlers before they exist.
import '../../app/db/database.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../app/app.ts';
import { boot } from '../../app/boot.ts';
import { config } from '../../config/index.ts';
import { answerCpuRequests } from './cpu.ts';

export interface ServerReady {
  type: 'ready';
  port: number;
  poolMax: number;
  nodeEnv: string;
  viewCache: boolean;
}

if (!process.send) throw new Error('http-server.ts must be started with an IPC channel (fork)');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set');

// The web process's own start-up path, so whatever it connects (Redis, stores) is measured too.
const booted = await boot({ listenForChanges: true });
const app = createApp();
const server: Server = await new Promise((resolve, reject) => {
  const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await booted.shutdown();
  process.exit(0);
}
process.on('message', (msg) => {
  if (msg === 'stop') void stop();
});
process.on('disconnect', () => void stop());
answerCpuRequests();

const ready: ServerReady = {
  type: 'ready',
  port: (server.address() as AddressInfo).port,
  poolMax: config.DB_POOL_MAX,
  nodeEnv: app.get('env') as string,
  viewCache: app.enabled('view cache'),
};
process.send(ready);
