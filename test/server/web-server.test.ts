import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { drain, listen } from '../../app/web-server.ts';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe('the web server', () => {
  it('refuses to start on a port in use, with a message naming the port', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      const started = listen(express(), port, '127.0.0.1');
      await started.then(
        () => expect.fail('it listened on a port in use'),
        (err: Error) => expect(err.message).to.include(`Port ${port}`).and.include('already in use'),
      );
    } finally {
      blocker.close();
    }
  });

  it('lets a request whose body is still arriving finish, and closes an idle keep-alive connection at once', async () => {
    let bodyStarted!: () => void;
    const started = new Promise<void>((r) => {
      bodyStarted = r;
    });
    const app = express();
    app.post('/slow', (req, res) => {
      bodyStarted();
      req.resume();
      req.on('end', () => res.status(201).send('saved'));
    });
    app.get('/', (_req, res) => res.send('hi'));
    const server = await listen(app, 0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;

    // An idle keep-alive connection: one request answered, the socket left open.
    const idle = await connect(port);
    const idleClosed = new Promise<void>((r) => idle.once('close', () => r()));
    await new Promise<void>((r) => {
      idle.once('data', () => r());
      idle.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    });

    // A POST whose body is still arriving when the shutdown starts.
    const slow = await connect(port);
    let answer = '';
    slow.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    const slowClosed = new Promise<void>((r) => slow.once('close', () => r()));
    slow.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf-');
    await started;

    const drained = drain(server, { graceMs: 10_000 });
    await idleClosed;
    slow.write('done!');
    await slowClosed;
    expect(answer).to.match(/^HTTP\/1\.1 201/);
    expect(answer).to.include('saved');
    expect(await drained, 'every connection ended within the grace period').to.equal(true);
  });
});
