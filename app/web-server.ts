import type { Server } from 'node:http';
import type { Express } from 'express';

/** Listens on `port`, or rejects with a message naming the port when it cannot (in use, no access). */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    const failed = (err: NodeJS.ErrnoException) => {
      server.off('listening', listening);
      const why =
        err.code === 'EADDRINUSE'
          ? 'is already in use'
          : err.code === 'EACCES'
            ? 'may not be used by this user'
            : `cannot be listened on (${err.message})`;
      reject(new Error(`Port ${port} on ${host} ${why}: stop what uses it or set PORT to another port`));
    };
    const listening = () => {
      server.off('error', failed);
      resolve(server);
    };
    server.once('error', failed);
    server.once('listening', listening);
  });
}

export interface DrainOptions {
  /** How long requests in flight may take to finish before their connections are closed. */
  graceMs: number;
}

/**
 * Stops accepting connections and lets the requests in flight finish: idle keep-alive connections
 * close at once, a connection closes as soon as its request has been answered (the answer says
 * `Connection: close`), and whatever is still open after `graceMs` is closed. Resolves once every
 * connection is gone; true when that happened within the grace period.
 */
export function drain(server: Server, opts: DrainOptions): Promise<boolean> {
  return new Promise((resolve) => {
    let inTime = true;
    // A request that arrives on an open keep-alive connection is still answered, then the
    // connection ends with it.
    server.prependListener('request', (_req, res) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    });
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      inTime = false;
      server.closeAllConnections();
    }, opts.graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      resolve(inTime);
    });
    server.closeIdleConnections();
  });
}
