import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { createRedisClient, type RedisClient } from '../../app/db/redis.ts';
import { errorHandler } from '../../app/middleware/error-handler.ts';
import { attemptLimit } from '../../app/middleware/rate-limit.ts';
import { config } from '../../config/index.ts';
import { faultRequests } from './app-client.ts';
import { type AppProcess, type OwnRedis, startApp, startOwnRedis } from './servers.ts';

/** A request that hangs fails the test here instead of after mocha's timeout. */
const REQUEST_BOUND_MS = 2500;

const { get, csrfOf, postLogin, signedIn } = faultRequests(REQUEST_BOUND_MS);

/** Waits (without asserting on time) until the app's readiness check sees Redis again. */
async function untilReady(app: AppProcess): Promise<void> {
  const agent = supertest.agent(app.url);
  while ((await agent.get('/health/ready').timeout(REQUEST_BOUND_MS)).status !== 200) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Redis away under the web process', function () {
  this.timeout(60_000);
  let redis: OwnRedis;
  let app: AppProcess;

  before(async () => {
    redis = await startOwnRedis();
    // The run's own throwaway database; only Redis is stopped here.
    app = await startApp({ DATABASE_URL: config.DATABASE_URL ?? '', REDIS_URL: redis.url });
  });

  after(async () => {
    await app?.stop();
    await redis?.stop();
  });

  afterEach(() => {
    expect(app.exit(), `the app ended:\n${app.output()}`).to.equal(null);
  });

  it('answers 503 to pages and to sign-in while Redis is stopped, and serves again when it returns', async () => {
    const agent = await signedIn(app);
    const pending = supertest.agent(app.url);
    const _csrf = await csrfOf(pending, app);
    await redis.stop();

    const page = await get(agent, app, '/');
    expect(page.status, page.text.slice(0, 300)).to.equal(503);
    expect(page.text).to.include('briefly unavailable');
    const signIn = await postLogin(pending, app, _csrf);
    expect(signIn.status, signIn.text.slice(0, 300)).to.equal(503);
    expect(signIn.text).not.to.include('expired');
    await get(supertest.agent(app.url), app, '/login').expect(503);

    // A Redis started afresh has no sessions: signing in again is the proof it serves.
    await redis.start();
    await untilReady(app);
    const again = await signedIn(app);
    await get(again, app, '/').expect(200);
  });

  it('answers 503 when Redis stops answering, and serves the same session once it answers again', async () => {
    const agent = await signedIn(app);
    redis.pause();
    try {
      const page = await get(agent, app, '/');
      expect(page.status, page.text.slice(0, 300)).to.equal(503);
      expect(page.text).to.include('briefly unavailable');
    } finally {
      redis.resume();
    }
    await get(agent, app, '/').expect(200);
  });
});

describe('attempt limits with Redis away', function () {
  this.timeout(30_000);
  let redis: OwnRedis;
  let client: RedisClient;

  /** A form endpoint behind an attempt limit counted in this test's Redis. */
  function limitedApp() {
    const app = express();
    app.post('/attempt', attemptLimit('fault-test', 100, 60_000, client), (_req, res) => {
      res.status(401).send('wrong password');
    });
    app.use(errorHandler);
    const http = supertest(app);
    return {
      attempt: () => http.post('/attempt').set('Accept', 'application/json').timeout(REQUEST_BOUND_MS),
    };
  }

  before(async () => {
    redis = await startOwnRedis();
    client = createRedisClient(redis.url);
    await client.connect();
  });

  after(async () => {
    client?.destroy();
    await redis?.stop();
  });

  it('answers 503 while Redis is stopped or hung, and counts again once it is back', async () => {
    const limited = limitedApp();
    await limited.attempt().expect(401);
    redis.pause();
    try {
      const hung = await limited.attempt();
      expect(hung.status).to.equal(503);
    } finally {
      redis.resume();
    }
    await redis.stop();
    const stopped = await limited.attempt();
    expect(stopped.status).to.equal(503);
    expect(stopped.body.error.message).to.include('briefly unavailable');
    await redis.start();
    while (!client.isReady) await new Promise((r) => setTimeout(r, 50));
    const counted = await limited.attempt().expect(401);
    expect(counted.headers.ratelimit).to.match(/remaining=99/);
  });

  it('counts once Redis is back when the limit was set up while Redis was away', async () => {
    await redis.stop();
    const limited = limitedApp();
    expect((await limited.attempt()).status).to.equal(503);
    await redis.start();
    while (!client.isReady) await new Promise((r) => setTimeout(r, 50));
    await limited.attempt().expect(401);
  });
});
