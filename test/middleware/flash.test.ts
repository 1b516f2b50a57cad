import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import type session from 'express-session';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import { Household } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { adminEmail, createTenant, hostOf, TEST_PASSWORD } from '../support/factories.ts';

/** Responses read one after another from one keep-alive connection (Content-Length bodies). */
class Connection {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  private async until(ok: () => boolean): Promise<void> {
    while (!ok()) await new Promise<void>((r) => this.waiters.push(r));
  }
  /** Resolves as soon as the next response's headers have arrived (its body may still be on the way). */
  async headers(): Promise<void> {
    await this.until(() => this.buffer.includes('\r\n\r\n'));
  }
  async response(): Promise<{ status: number; text: string }> {
    await this.headers();
    const end = this.buffer.indexOf('\r\n\r\n');
    const head = this.buffer.subarray(0, end).toString();
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    await this.until(() => this.buffer.length >= end + 4 + length);
    const text = this.buffer.subarray(end + 4, end + 4 + length).toString();
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(head.slice(9, 12)), text };
  }
}

describe(`flash messages reach the very next page (sessions in ${config.REDIS_URL ? 'Redis' : 'PostgreSQL'})`, function () {
  this.timeout(60_000);
  let server: Server;
  let port: number;
  let host: string;
  let cookie: string;
  let csrf: string;
  let householdId: string;

  before(async () => {
    const tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    const household = await withTenant(tenant.toRef(), () => Household.create({ name: 'The Oaks' }));
    householdId = String(household.id);
    // Every store write is held back a little, so a request that does not wait for it reads the
    // session as it was: the race a browser following a redirect at once runs into.
    let slowed = false;
    const outer = express();
    outer.use((req, res, next) => {
      res.on('finish', () => {
        const store = req.sessionStore as session.Store | undefined;
        if (slowed || !store) return;
        slowed = true;
        const set = store.set.bind(store);
        store.set = (sid, sess, cb) => void setTimeout(() => set(sid, sess, cb), 50);
      });
      next();
    });
    outer.use(createApp());
    server = outer.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as { port: number }).port;

    const form = await supertest(server).get('/login').set('Host', host);
    const first = String(form.headers['set-cookie']?.[0] ?? '').split(';')[0];
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    const res = await supertest(server)
      .post('/login')
      .set('Host', host)
      .set('Cookie', first)
      .type('form')
      .send({ email: adminEmail(tenant), password: TEST_PASSWORD, _csrf: token, next: '/' });
    expect(res.status).to.equal(302);
    cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0];
    const edit = await supertest(server)
      .get(`/households/${householdId}/edit`)
      .set('Host', host)
      .set('Cookie', cookie);
    csrf = /name="_csrf" value="([^"]+)"/.exec(edit.text)?.[1] ?? '';
    expect(csrf).to.not.equal('');
  });

  after(() => new Promise((r) => server.close(r)));

  it('shows "saved" on the page the redirect leads to, and not on the page after, 20 saves in a row', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const conn = new Connection(socket);
    const get = `GET /households/${householdId} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\n\r\n`;
    const outcomes: string[] = [];
    for (let round = 1; round <= 20; round += 1) {
      const name = `The Oaks ${round}`;
      const body = new URLSearchParams({ name, address: '', phone: '', _csrf: csrf }).toString();
      socket.write(
        `POST /households/${householdId} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await conn.headers();
      socket.write(get); // the redirect is followed the moment its headers are in
      const saved = await conn.response();
      expect(saved.status).to.equal(302);
      const next = await conn.response();
      socket.write(get);
      const after = await conn.response();
      const message = `The household &#34;${name}&#34; was saved.`;
      outcomes.push(
        next.text.includes(message) ? 'next' : after.text.includes(message) ? 'after' : 'missing',
      );
    }
    socket.destroy();
    expect(outcomes).to.deep.equal(Array(20).fill('next'));
  });
});
