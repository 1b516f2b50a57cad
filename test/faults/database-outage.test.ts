import { expect } from 'chai';
import supertest from 'supertest';
import { faultRequests } from './app-client.ts';
import {
  type AppProcess,
  type OwnPostgres,
  type OwnRedis,
  startApp,
  startOwnPostgres,
  startOwnRedis,
} from './servers.ts';

const DATABASE = 'steward_faults';
/** A request that hangs fails the test here instead of after mocha's timeout. */
const REQUEST_BOUND_MS = 4000;

const { get, csrfOf, postLogin, signedIn } = faultRequests(REQUEST_BOUND_MS);

function expectRunning(app: AppProcess): void {
  expect(app.exit(), `the app ended:\n${app.output()}`).to.equal(null);
  expect(app.output()).not.to.include("Unhandled 'error' event");
}

describe('a database fault under the web process', function () {
  this.timeout(60_000);
  let pg: OwnPostgres;
  let redis: OwnRedis;

  const apps: Partial<Record<'postgres' | 'redis', AppProcess>> = {};

  before(async () => {
    [pg, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
    await pg.sql(`CREATE DATABASE ${DATABASE}`);
    // Both apps at once on the one database: each has to survive the other's faults as well.
    [apps.postgres, apps.redis] = await Promise.all([
      startApp({ DATABASE_URL: pg.url(DATABASE) }),
      startApp({ DATABASE_URL: pg.url(DATABASE), REDIS_URL: redis.url }),
    ]);
  });

  after(async () => {
    await Promise.all(Object.values(apps).map((app) => app.stop()));
    await redis?.stop();
    await pg?.destroy();
  });

  for (const store of ['postgres', 'redis'] as const) {
    describe(`with sessions in ${store === 'postgres' ? 'PostgreSQL' : 'Redis'}`, () => {
      let app: AppProcess;

      before(() => {
        app = apps[store] as AppProcess;
      });

      it('serves signed-in pages again after the database ends all of its connections', async () => {
        const agent = await signedIn(app);
        await get(agent, app, '/').expect(200);
        const ended = await pg.sql<{ pid: number }>(
          // Every connection to the app's database is the app's: the test itself speaks to "postgres".
          'SELECT pid FROM pg_stat_activity WHERE datname = $1',
          [DATABASE],
        );
        expect(ended.length, 'connections of the app to end').to.be.greaterThan(0);
        await pg.sql('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [
          ended.map((r) => r.pid),
        ]);
        // Gone on the server's side, so the app has been told before the next request.
        for (let left = ended.length; left > 0; ) {
          [{ left }] = await pg.sql<{ left: number }>(
            'SELECT count(*)::int AS left FROM pg_stat_activity WHERE pid = ANY($1::int[])',
            [ended.map((r) => r.pid)],
          );
        }

        const home = await get(agent, app, '/');
        expect(home.status, home.text.slice(0, 300)).to.equal(200);
        await get(agent, app, '/').expect(200);
        expectRunning(app);
      });

      it('answers 503 while the database is stopped, and the same process serves once it is back', async () => {
        const agent = await signedIn(app);
        const pending = supertest.agent(app.url);
        const _csrf = await csrfOf(pending, app);
        await pg.stop();

        const page = await get(agent, app, '/');
        expect(page.status, page.text.slice(0, 300)).to.equal(503);
        expect(page.text).to.include('briefly unavailable');
        expect(page.headers['retry-after']).to.equal('5');
        const signIn = await postLogin(pending, app, _csrf);
        expect(signIn.status, signIn.text.slice(0, 300)).to.equal(503);
        expect(signIn.text).not.to.include('expired');
        const ready = await get(agent, app, '/health/ready').expect(503);
        expect(ready.body.status).to.equal('unavailable');
        const json = await get(agent, app, '/').set('Accept', 'application/json').expect(503);
        expect(json.body.error.message).to.include('briefly unavailable');

        await pg.start();
        await get(agent, app, '/').expect(200);
        expect((await postLogin(pending, app, _csrf)).status).to.equal(302);
        expectRunning(app);
      });
    });
  }
});
