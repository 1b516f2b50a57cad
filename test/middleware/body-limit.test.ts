import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import type { Tenant } from '../../app/models/index.ts';
import { adminEmail, createTenant, hostOf, TEST_PASSWORD } from '../support/factories.ts';

const MB = 1024 * 1024;
const HUGE = 50 * MB;

interface Answer {
  /** The raw response (status line, headers, body). */
  text: string;
  /** Body bytes the client had handed to the socket when the first byte of the answer arrived. */
  sentBefore: number;
}

/** Gathers the server's whole answer; the server closes the connection after a refusal. */
function answerOf(socket: Socket, sent: () => number, waitMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let text = '';
    let sentBefore = -1;
    const timer = setTimeout(
      () => reject(new Error(`no answer within ${waitMs} ms while the client still held the body`)),
      waitMs,
    );
    const done = () => {
      clearTimeout(timer);
      if (sentBefore < 0) reject(new Error('the connection closed without an answer'));
      else resolve({ text, sentBefore });
    };
    socket.on('data', (d) => {
      if (sentBefore < 0) sentBefore = sent();
      text += d.toString('latin1');
      if (/\r\n\r\n/.test(text) && /content-length: (\d+)/i.test(text)) {
        const length = Number(/content-length: (\d+)/i.exec(text)?.[1]);
        if (Buffer.byteLength(text.split('\r\n\r\n').slice(1).join('\r\n\r\n'), 'latin1') >= length) done();
      }
    });
    socket.on('error', () => {}); // the server may close while the client still writes
    socket.on('close', done);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
  });
}

/** Sends headers that announce `declared` bytes, then only a few KB of body, and waits for the answer. */
async function announce(port: number, head: string, declared: number): Promise<Answer> {
  const socket = await open(port);
  socket.write(`${head}Content-Length: ${declared}\r\n\r\n`);
  socket.write(Buffer.alloc(4096, 'a'));
  const answer = await answerOf(socket, () => 4096);
  socket.destroy();
  return answer;
}

/** Streams a chunked body of up to `total` bytes as fast as the server takes it, until it answers. */
async function stream(port: number, head: string, total: number, part = (n: number) => Buffer.alloc(n, 'a')) {
  const socket = await open(port);
  let sent = 0;
  let answered = false;
  socket.once('data', () => {
    answered = true;
  });
  const answer = answerOf(socket, () => sent);
  socket.write(`${head}Transfer-Encoding: chunked\r\n\r\n`);
  const chunk = 64 * 1024;
  while (sent < total && !answered && !socket.destroyed) {
    const data = part(chunk);
    sent += data.length;
    socket.write(`${data.length.toString(16)}\r\n`);
    socket.write(data);
    if (!socket.write('\r\n'))
      await new Promise((r) => {
        socket.once('drain', r);
        socket.once('close', r);
      });
  }
  if (!answered && !socket.destroyed) socket.write('0\r\n\r\n');
  const result = await answer;
  socket.destroy();
  return result;
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

/** A session cookie signed in as the tenant's super admin, and that session's CSRF token. */
async function signIn(app: ReturnType<typeof createApp>, host: string, email: string) {
  const form = await supertest(app).get('/login').set('Host', host);
  const first = String(form.headers['set-cookie']?.[0] ?? '').split(';')[0];
  const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
  const res = await supertest(app)
    .post('/login')
    .set('Host', host)
    .set('Cookie', first)
    .type('form')
    .send({ email, password: TEST_PASSWORD, _csrf: token, next: '/' });
  expect(res.status).to.equal(302);
  const cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0];
  const page = await supertest(app).get('/members/import').set('Host', host).set('Cookie', cookie);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? /_csrf=([^"&]+)/.exec(page.text)?.[1];
  return { cookie, csrf: decodeURIComponent(csrf ?? '') };
}

describe('body limits (app/middleware/body-limit.ts)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let app: ReturnType<typeof createApp>;
  let server: Server;
  let port: number;

  before(async () => {
    tenant = await createTenant();
    host = hostOf(tenant);
    app = createApp();
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as { port: number }).port;
  });

  after(() => new Promise((r) => server.close(r)));

  const form = () =>
    `POST /login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\n`;

  it('refuses a form whose Content-Length is over the limit with a 413 page before its body is sent', async () => {
    const { text, sentBefore } = await announce(port, form(), HUGE);
    expect(statusOf(text), text.slice(0, 200)).to.equal(413);
    expect(text).to.match(/\r\nconnection: close\r\n/i);
    expect(text).to.include('The request is too large to be accepted.');
    expect(sentBefore).to.equal(4096);
  });

  it('refuses JSON over the limit on its Content-Length with a JSON error', async () => {
    const head = `POST /login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAccept: application/json\r\n`;
    const { text } = await announce(port, head, HUGE);
    expect(statusOf(text)).to.equal(413);
    const body = JSON.parse(text.split('\r\n\r\n')[1]);
    expect(body.error.status).to.equal(413);
  });

  it('stops reading a chunked form at the limit and answers 413 while the client is still sending', async () => {
    const { text, sentBefore } = await stream(port, form(), HUGE);
    expect(statusOf(text), text.slice(0, 200)).to.equal(413);
    expect(text).to.match(/\r\nconnection: close\r\n/i);
    expect(sentBefore).to.be.below(10 * MB);
  });

  it('still takes a form under the limit', async () => {
    const res = await supertest(app)
      .post('/login')
      .set('Host', host)
      .type('form')
      .send({ email: 'nobody@example.test', password: 'x'.repeat(100_000) });
    expect(res.status).to.not.equal(413);
  });

  describe('uploads (members import: a 5 MB file)', () => {
    let cookie: string;
    let csrf: string;
    before(async () => {
      ({ cookie, csrf } = await signIn(app, host, adminEmail(tenant)));
    });

    const BOUNDARY = 'steward-test-boundary';
    const upload = () =>
      `POST /members/import?_csrf=${encodeURIComponent(csrf)} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\n`;
    const fileStart = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="people.csv"\r\nContent-Type: text/csv\r\n\r\nfirst_name,last_name\r\n`,
    );

    it('refuses an upload whose Content-Length is over every upload limit before it is sent', async () => {
      const { text, sentBefore } = await announce(port, upload(), HUGE);
      expect(statusOf(text), text.slice(0, 300)).to.equal(413);
      expect(sentBefore).to.equal(4096);
    });

    it("refuses an upload over the route's own limit on its Content-Length, with the route's message", async () => {
      const { text } = await announce(port, upload(), 8 * MB);
      expect(statusOf(text), text.slice(0, 300)).to.equal(413);
      expect(text).to.include('The file is larger than 5 MB');
    });

    it('stops reading a chunked upload at the limit and answers 413', async () => {
      let first = true;
      const { text, sentBefore } = await stream(port, upload(), HUGE, (n) => {
        if (!first) return Buffer.from('Ada,Lovelace\r\n'.repeat(Math.floor(n / 14)));
        first = false;
        return fileStart;
      });
      expect(statusOf(text), text.slice(0, 300)).to.equal(413);
      expect(sentBefore).to.be.below(20 * MB);
    });

    it('still takes an upload under the limit', async () => {
      const res = await supertest(app)
        .post(`/members/import?_csrf=${encodeURIComponent(csrf)}`)
        .set('Host', host)
        .set('Cookie', cookie)
        .attach('file', Buffer.from('first_name,last_name\r\nAda,Lovelace\r\n'), 'people.csv');
      expect(res.status, res.text.slice(0, 300)).to.equal(200);
      expect(res.text).to.include('Check the import');
    });
  });
});
