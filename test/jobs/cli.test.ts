import { expect } from 'chai';
import { type CliIo, runCli } from '../../app/cli.ts';
import { JobRun } from '../../app/models/index.ts';
import { uniqueSlug } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';
import { chargesOf, fresh, freshDay, payingTenant } from './billing-support.ts';

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progress: () => {},
    isTTY: false,
    ask: async () => '',
  };
  const code = await runCli(args, io, null);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('job commands', function () {
  this.timeout(60_000);

  it('job:run credit-billing --date charges that day and reports the run', async () => {
    const tenant = await payingTenant('basic', 600);
    const day = freshDay();
    const result = await cli(['job:run', 'credit-billing', '--date', day]);
    expect(result.code, result.err).to.equal(0);
    expect(result.out).to.match(/^credit-billing: succeeded, \d+ tenants done, 0 failures \(run \d+\)$/);
    expect(await chargesOf(tenant, day)).to.have.length(1);
    expect((await fresh(tenant)).creditCents).to.equal('570');
    const run = await JobRun.findOne({
      where: { job: 'credit-billing' },
      order: [['id', 'DESC']],
      rejectOnEmpty: true,
    });
    expect(run.triggeredBy).to.equal('cli');
  });

  it('job:list shows each job with its schedule and last run', async () => {
    const result = await cli(['job:list']);
    expect(result.code).to.equal(0);
    expect(result.out).to.match(/credit-billing\s+0 0 \* \* \*\s+last run \S+ succeeded/);
    expect(result.out).to.match(/trial-expiry\s+15 0 \* \* \*/);
  });

  it('refuses an unknown job or a malformed date with usage errors', async () => {
    const unknown = await cli(['job:run', 'nope']);
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.include(
      'no job "nope"; jobs: credit-billing, trial-expiry, overdue-tasks, due-soon, cleanup',
    );
    const bad = await cli(['job:run', 'credit-billing', '--date', '2026-13-45']);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.include('--date');
  });

  it('tenant:create welcomes the first admin as the new tenant, and a refused creation sends nothing', async () => {
    const slug = uniqueSlug('cli-welcome');
    const args = (email: string) => [
      'tenant:create',
      '--slug',
      slug,
      '--name',
      'Welcome Chapel',
      '--kind',
      'church',
      '--admin-email',
      email,
      '--admin-password',
      'a good long password',
    ];
    const created = await cli(args(`lead@${slug}.test`));
    expect(created.code, created.err).to.equal(0);
    // The same address again: refused, and nobody is welcomed to a tenant that was not made.
    const refused = await cli(args(`second@${slug}.test`));
    expect(refused.code).to.equal(1);
    await mailbox.settled();
    const welcome = mailbox.to(`lead@${slug}.test`);
    expect(welcome.map((m) => m.subject)).to.deep.equal(['Welcome to Steward: Welcome Chapel is ready']);
    expect(welcome[0]?.headers.get('x-steward-tenant')).to.equal(slug);
    expect(mailbox.to(`second@${slug}.test`)).to.have.length(0);
  });
});
