import { expect } from 'chai';
import { db } from '../../app/db/database.ts';
import { redisClient } from '../../app/db/redis.ts';
import { Project, ProjectMember, Task, type Tenant } from '../../app/models/index.ts';
import {
  bump,
  type CacheBackend,
  remember,
  tenantKey,
  useCacheBackend,
  versionOf,
} from '../../app/services/cache.ts';
import { installWorkCacheInvalidation, WORK_CACHE_GROUP } from '../../app/services/work-dashboard.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

const redisReady = () => Boolean(config.REDIS_URL && redisClient()?.isReady);

describe('tenant cache (services/cache.ts)', function () {
  this.timeout(60_000);
  let a: Tenant;
  let b: Tenant;

  before(async () => {
    installWorkCacheInvalidation();
    a = await createTenant({ kind: 'company' });
    b = await createTenant({ kind: 'church' });
  });

  after(() => useCacheBackend('auto'));

  describe('keys', () => {
    it('builds every key from the current tenant schema', async () => {
      const ka = await inTenant(a, async () => tenantKey('work:dashboard:all'));
      const kb = await inTenant(b, async () => tenantKey('work:dashboard:all'));
      expect(ka).to.equal(`${config.REDIS_PREFIX}t:${a.toRef().schema}:work:dashboard:all`);
      expect(kb).to.equal(`${config.REDIS_PREFIX}t:${b.toRef().schema}:work:dashboard:all`);
      expect(ka).not.to.equal(kb);
    });

    it('refuses to build a key outside a tenant', () => {
      expect(() => tenantKey('work:dashboard:all')).to.throw(/inside a tenant/);
    });

    it('refuses names that could reach outside the tenant or match many keys', async () => {
      for (const bad of ['', '*', 'work:*', 'a b', '../x', 'x\nFLUSHALL'])
        await inTenant(a, async () => {
          expect(() => tenantKey(bad), JSON.stringify(bad)).to.throw(/Bad cache key name/);
        });
      // A name that looks like another schema still lands under this tenant's prefix.
      const nested = await inTenant(a, async () => tenantKey('t_other:x'));
      expect(nested.startsWith(`${config.REDIS_PREFIX}t:${a.toRef().schema}:`)).to.equal(true);
    });
  });

  for (const backend of ['memory', 'auto'] as CacheBackend[]) {
    describe(backend === 'auto' ? 'in Redis' : 'in this process', () => {
      before(function () {
        if (backend === 'auto' && !redisReady()) this.skip();
        useCacheBackend(backend);
      });

      it('computes once, then answers from the cache', async () => {
        let calls = 0;
        const compute = async () => {
          calls += 1;
          return { n: 41 };
        };
        const first = await inTenant(a, () => remember('t:once', { ttlSeconds: 60 }, compute));
        const second = await inTenant(a, () => remember('t:once', { ttlSeconds: 60 }, compute));
        expect(first).to.deep.equal({ n: 41 });
        expect(second).to.deep.equal({ n: 41 });
        expect(calls).to.equal(1);
      });

      it('keeps each tenant its own value under the same name', async () => {
        await inTenant(a, () => remember('t:same', { ttlSeconds: 60 }, async () => 'value of A'));
        const fromB = await inTenant(b, () =>
          remember('t:same', { ttlSeconds: 60 }, async () => 'value of B'),
        );
        const fromA = await inTenant(a, () =>
          remember('t:same', { ttlSeconds: 60 }, async () => 'recomputed'),
        );
        expect(fromB).to.equal('value of B');
        expect(fromA).to.equal('value of A');
      });

      it('makes a group stale in one tenant only', async () => {
        const read = (t: Tenant, fresh: string) =>
          inTenant(t, () => remember('t:grouped', { ttlSeconds: 60, group: 'g' }, async () => fresh));
        await read(a, 'A1');
        await read(b, 'B1');
        await inTenant(a, () => bump('g'));
        expect(await read(a, 'A2')).to.equal('A2');
        expect(await read(b, 'B2')).to.equal('B1');
      });

      it('forgets an entry once its time is up', async () => {
        await inTenant(a, () => remember('t:short', { ttlSeconds: 1 }, async () => 'old'));
        await new Promise((r) => setTimeout(r, 1100));
        expect(await inTenant(a, () => remember('t:short', { ttlSeconds: 1 }, async () => 'new'))).to.equal(
          'new',
        );
      });

      if (backend === 'auto')
        it('stores the entry in Redis under the tenant key, with its lifetime', async () => {
          await inTenant(a, () => remember('t:stored', { ttlSeconds: 60 }, async () => 7));
          const key = `${config.REDIS_PREFIX}t:${a.toRef().schema}:t:stored`;
          const ttl = await redisClient()?.pTTL(key);
          expect(ttl).to.be.within(1, 60_000);
          expect(JSON.parse((await redisClient()?.get(key)) ?? 'null')).to.deep.equal({ v: '0', data: 7 });
        });

      if (backend === 'auto')
        it('computes the value when Redis is connected but does not answer, instead of waiting on it', async () => {
          const client = redisClient();
          if (!client) throw new Error('Redis is not connected');
          // A Redis that accepted the connection and hangs: every command stays unanswered.
          const hang = () => new Promise<never>(() => {});
          const patched = client as unknown as Record<'mGet' | 'set', unknown>;
          const original = { mGet: patched.mGet, set: patched.set };
          patched.mGet = hang;
          patched.set = hang;
          try {
            const value = await inTenant(a, () =>
              remember('t:hung', { ttlSeconds: 60 }, async () => 'computed'),
            );
            expect(value).to.equal('computed');
          } finally {
            patched.mGet = original.mGet;
            patched.set = original.set;
          }
        });
    });
  }

  it('always computes when the cache is off', async () => {
    useCacheBackend('off');
    let calls = 0;
    for (let i = 0; i < 3; i++)
      await inTenant(a, () =>
        remember('t:off', { ttlSeconds: 60 }, async () => {
          calls += 1;
          return calls;
        }),
      );
    expect(calls).to.equal(3);
    useCacheBackend('auto');
  });

  it('refuses a grouped entry that would outlive its version', async () => {
    let error: unknown = null;
    await inTenant(a, () => remember('t:long', { ttlSeconds: 7200, group: 'g' }, async () => 1)).catch(
      (e) => {
        error = e;
      },
    );
    expect(String(error)).to.match(/at most 3600 s/);
  });

  describe('invalidation by writes to tasks, projects and project members', () => {
    let project: Project;

    before(async () => {
      useCacheBackend('auto');
      project = await inTenant(a, () =>
        Project.create({ name: 'Hooks', description: null, startsOn: null, endsOn: null, ownerId: null }),
      );
    });

    const version = (t: Tenant) => inTenant(t, () => versionOf(WORK_CACHE_GROUP));

    it('bumps the version of the tenant that wrote, and only that one', async () => {
      const [a0, b0] = [await version(a), await version(b)];
      await inTenant(a, () =>
        Task.create({
          projectId: project.id,
          title: 'Hook me',
          description: null,
          assigneeId: null,
          dueAt: null,
          completedAt: null,
          createdBy: null,
        }),
      );
      expect(Number(await version(a))).to.equal(Number(a0) + 1);
      expect(await version(b)).to.equal(b0);
    });

    it('bumps on create, update, destroy and bulk writes of all three models', async () => {
      const user = await createUser(a, { level: 5 });
      const writes: [string, () => Promise<unknown>][] = [
        ['project update', () => project.update({ status: 'on_hold' })],
        ['member create', () => ProjectMember.create({ projectId: project.id, userId: user.id })],
        [
          'member bulk update',
          () => ProjectMember.update({ role: 'viewer' }, { where: { projectId: project.id } }),
        ],
        ['member bulk destroy', () => ProjectMember.destroy({ where: { projectId: project.id } })],
        [
          'task bulk create',
          () =>
            Task.bulkCreate([
              {
                projectId: project.id,
                title: 'Bulk',
                description: null,
                assigneeId: null,
                dueAt: null,
                completedAt: null,
                createdBy: null,
              },
            ]),
        ],
        ['task bulk update', () => Task.update({ priority: 'high' }, { where: { projectId: project.id } })],
        ['task bulk destroy', () => Task.destroy({ where: { projectId: project.id, title: 'Bulk' } })],
      ];
      for (const [name, write] of writes) {
        const before = Number(await version(a));
        await inTenant(a, write);
        expect(Number(await version(a)), name).to.be.greaterThan(before);
      }
    });

    it('waits for the commit of a managed transaction, even through a savepoint', async () => {
      const before = await version(a);
      let inside = '';
      await inTenant(a, () =>
        db().transaction(async (outer) => {
          await db().transaction({ transaction: outer }, async () => {
            await Task.update({ status: 'review' }, { where: { projectId: project.id } });
          });
          // The savepoint is released, the outer transaction is not committed yet.
          inside = await withTenant(a.toRef(), () => versionOf(WORK_CACHE_GROUP));
        }),
      );
      expect(inside).to.equal(before);
      expect(Number(await version(a))).to.be.greaterThan(Number(before));
    });

    it('does not bump for a transaction that rolls back', async () => {
      const before = await version(a);
      await inTenant(a, () =>
        db()
          .transaction(async () => {
            await Task.update({ status: 'done' }, { where: { projectId: project.id } });
            throw new Error('roll back');
          })
          .catch(() => null),
      );
      expect(await version(a)).to.equal(before);
    });
  });
});
