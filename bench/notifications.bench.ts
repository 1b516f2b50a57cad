/**
 * Notification delivery to open pages: `sockets` staff users of one tenant, each signed in through
 * the login form and holding one socket (WebSocket, with the page's Host and session cookie), all in
 * this process, against the web app and its socket server on an ephemeral port (with the Redis
 * adapter when REDIS_URL is set). Latency is from the call to notify() (save, then push) to the
 * event's arrival at the user's socket; measured one notification at a time, then with every user
 * notified at once. Targets: p99 within 100 ms one at a time, and within 1 s for the burst.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { createApp } from '../app/app.ts';
import { closeRedis, connectRedis } from '../app/db/redis.ts';
import { closeSessionStore } from '../app/middleware/session.ts';
import { Role, User, UserRole } from '../app/models/index.ts';
import { attachRealtime } from '../app/realtime/socket.ts';
import { type NotificationPayload, notify, setPublisher } from '../app/services/notifications.ts';
import { provisionTenant } from '../app/services/provisioning.ts';
import { type TenantRef, withTenant } from '../app/tenancy/context.ts';
import { config } from '../config/index.ts';
import { signIn } from './support/load.ts';
import {
  line,
  ms,
  note,
  quantile,
  seconds,
  section,
  type TargetCheck,
  target,
  timed,
} from './support/stats.ts';
import { benchPasswordHash, hostOf, inParallel } from './support/tenants.ts';

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface NotificationsBenchResult {
  sockets: number;
  redisAdapter: boolean;
  connectMs: number;
  oneAtATime: LatencySummary;
  /** From the publish call (after the row is saved) to arrival, one at a time. */
  pushOnly: LatencySummary;
  burst: LatencySummary & { wallMs: number };
  targets: TargetCheck[];
}

const ONE_AT_A_TIME_P99_MS = 100;
const BURST_P99_MS = 1000;
const SLUG = 'benchnotify';

function summary(values: number[]): LatencySummary {
  return {
    n: values.length,
    p50Ms: quantile(values, 0.5),
    p99Ms: quantile(values, 0.99),
    maxMs: Math.max(...values),
  };
}

function describe(s: LatencySummary): string {
  return `p50 ${ms(s.p50Ms)}  p99 ${ms(s.p99Ms)}  max ${ms(s.maxMs)}  (n=${s.n})`;
}

function openSocket(port: number, host: string, cookie: string): Promise<Socket> {
  const socket = connectSocket(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    extraHeaders: { host, cookie },
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

async function staff(tenant: TenantRef, count: number): Promise<User[]> {
  const passwordHash = await benchPasswordHash();
  return withTenant(tenant, async () => {
    const users = await User.bulkCreate(
      Array.from({ length: count }, (_, i) => ({
        email: `staff${i}@${SLUG}.test`,
        name: `Staff ${i}`,
        passwordHash,
        active: true,
        department: null,
      })),
      { returning: true },
    );
    const role = await Role.findOne({ where: { permissionLevel: 5 }, order: [['id', 'ASC']] });
    if (role) await UserRole.bulkCreate(users.map((u) => ({ userId: u.id, roleId: role.id })));
    return users;
  });
}

export async function notificationsBench(opts: { sockets?: number } = {}): Promise<NotificationsBenchResult> {
  const count = opts.sockets ?? 500;
  section(`Notifications: delivery to ${count} open sockets`);
  // The session store and the socket adapter use Redis when it is configured, as the web process does.
  const redis = config.REDIS_URL ? await connectRedis() : null;
  const { tenant } = await provisionTenant(
    { slug: SLUG, name: 'Bench notifications', kind: 'company', adminEmail: `admin@${SLUG}.test` },
    { adminPasswordHash: await benchPasswordHash() },
  );
  const ref = tenant.toRef();
  const host = hostOf(SLUG);
  const app = createApp();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const realtime = await attachRealtime(server);
  const sockets: Socket[] = [];
  try {
    const users = await staff(ref, count);
    const signIns = await timed(async () => {
      const cookies: string[] = new Array(users.length);
      await inParallel(
        users.map((_, i) => i),
        8,
        async (i) => {
          cookies[i] = await signIn(port, host, users[i].email);
        },
      );
      return cookies;
    });
    line(`${count} sign-ins through the form (set-up)`, seconds(signIns.ms));

    // A notification's id is known only once its row is saved, so arrivals are matched by title:
    // the waiter then exists before the row does.
    const waiting = new Map<string, (at: number) => void>();
    const publishedAt = new Map<string, number>();
    const arrived = (p: NotificationPayload) => waiting.get(p.title)?.(performance.now());
    const connect = await timed(async () => {
      await inParallel(
        users.map((_, i) => i),
        50,
        async (i) => {
          const socket = await openSocket(port, host, signIns.value[i]);
          socket.on('notification', arrived);
          sockets[i] = socket;
        },
      );
    });
    line(`${count} sockets connected`, seconds(connect.ms));
    setPublisher((room, payload) => {
      publishedAt.set(payload.title, performance.now());
      realtime.publish(room, payload);
    });

    const deliver = async (user: User, title: string): Promise<{ total: number; push: number }> => {
      let settle: (at: number) => void = () => {};
      const arrival = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${title} did not arrive within 10 s`)), 10_000);
        settle = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });
      waiting.set(title, settle);
      const start = performance.now();
      await withTenant(ref, () => notify({ userId: user.id, kind: 'task.assigned', title }));
      const at = await arrival;
      waiting.delete(title);
      return { total: at - start, push: at - (publishedAt.get(title) ?? start) };
    };

    // Warm-up: a few deliveries so connection pools and JIT are ready.
    for (let i = 0; i < 20; i++) await deliver(users[i % users.length], `warm ${i}`);

    const one: number[] = [];
    const push: number[] = [];
    for (let i = 0; i < users.length; i++) {
      const r = await deliver(users[i], `one ${i}`);
      one.push(r.total);
      push.push(r.push);
    }
    const burstLatencies: number[] = [];
    const burst = await timed(async () => {
      await inParallel(
        users.map((_, i) => i),
        config.DB_POOL_MAX * 2,
        async (i) => {
          burstLatencies.push((await deliver(users[i], `burst ${i}`)).total);
        },
      );
    });

    const oneAtATime = summary(one);
    const pushOnly = summary(push);
    const burstSummary = { ...summary(burstLatencies), wallMs: burst.ms };
    line('one at a time (save + push → arrival)', describe(oneAtATime));
    line('one at a time (push → arrival)', describe(pushOnly));
    line(`all ${count} at once (save + push → arrival)`, describe(burstSummary));
    line(`all ${count} at once, wall time`, ms(burst.ms));
    note(
      `sockets, server and notify() share one process; Redis adapter ${redis ? 'on' : 'off'}; ` +
        `burst runs ${config.DB_POOL_MAX * 2} notify() calls at a time (DB_POOL_MAX ${config.DB_POOL_MAX})`,
    );
    return {
      sockets: count,
      redisAdapter: Boolean(redis),
      connectMs: connect.ms,
      oneAtATime,
      pushOnly,
      burst: burstSummary,
      targets: [
        target(
          `notification p99 to one of ${count} sockets`,
          `<= ${ONE_AT_A_TIME_P99_MS} ms`,
          ms(oneAtATime.p99Ms),
          oneAtATime.p99Ms <= ONE_AT_A_TIME_P99_MS,
        ),
        target(
          `notification p99, all ${count} notified at once`,
          `<= ${BURST_P99_MS} ms`,
          ms(burstSummary.p99Ms),
          burstSummary.p99Ms <= BURST_P99_MS,
        ),
      ],
    };
  } finally {
    for (const s of sockets) s?.close();
    setPublisher(null);
    await realtime.close();
    server.closeAllConnections();
    await closeSessionStore();
    if (redis) await closeRedis();
  }
}
