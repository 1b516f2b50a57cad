import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { databaseUrl, db } from '../../app/db/database.ts';
import { rootLogger } from '../../app/logger.ts';
import {
  decodeRelayMessage,
  encodeRelayMessage,
  flushRelay,
  RELAY_APPLICATION_NAME,
  type RelayMessage,
  relayThroughDatabase,
  startRelayListener,
} from '../../app/realtime/relay.ts';
import { pause } from './support.ts';

describe('the notification relay message', () => {
  const message = {
    origin: 'web-1',
    room: 't:12:u:34',
    event: 'notification',
    data: { id: '5', kind: 'task.overdue', title: 'Late', body: 'Two days late', url: '/tasks/5' },
  };

  it('reads back what it wrote', () => {
    expect(decodeRelayMessage(encodeRelayMessage(message))).to.deep.equal(message);
  });

  it('stays under the NOTIFY limit with the longest body of escaped characters, the rest whole', () => {
    const body = '\u0001'.repeat(1000);
    const text = encodeRelayMessage({ ...message, data: { ...message.data, title: 'é'.repeat(200), body } });
    expect(Buffer.byteLength(text)).to.be.below(8000);
    const read = decodeRelayMessage(text);
    expect(read?.data.title).to.equal('é'.repeat(200));
    expect(read?.data.id).to.equal('5');
    const shortened = read?.data.body as string;
    expect(shortened.length).to.be.within(2, 1000);
    expect(body.startsWith(shortened.slice(0, -1))).to.equal(true);
  });

  it('refuses a message for no single room, an event it does not relay, or no payload object', () => {
    const raw = (over: Record<string, unknown>) =>
      JSON.stringify({ o: 'web-1', r: 't:12:u:34', e: 'notification', d: {}, ...over });
    expect(decodeRelayMessage(raw({}))).to.not.equal(null);
    expect(decodeRelayMessage(raw({ r: 't:12' }))).to.equal(null);
    expect(decodeRelayMessage(raw({ r: 't:12:u:34#' }))).to.equal(null);
    expect(decodeRelayMessage(raw({ e: 'disconnect' }))).to.equal(null);
    expect(decodeRelayMessage(raw({ d: [1] }))).to.equal(null);
    expect(decodeRelayMessage(raw({ o: 3 }))).to.equal(null);
    expect(decodeRelayMessage('{not json')).to.equal(null);
  });
});

describe('the notification relay listener', function () {
  this.timeout(20_000);

  async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
      await pause(25);
    }
  }

  it('listens again after losing its connection, and skips what its own origin sent', async () => {
    const got: RelayMessage[] = [];
    const listener = await startRelayListener({
      url: databaseUrl(),
      origin: 'this-server',
      log: rootLogger,
      deliver: (m) => got.push(m),
    });
    try {
      expect(listener.listening()).to.equal(true);
      const send = (origin: string, id: string) => {
        relayThroughDatabase({ origin, room: 't:1:u:2', event: 'notification', data: { id } });
        return flushRelay();
      };
      await send('this-server', 'own');
      await send('elsewhere', 'before');
      await until('the first delivery', () => got.length === 1);

      const killed = await db().query(
        'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = :name AND datname = current_database()',
        { replacements: { name: RELAY_APPLICATION_NAME }, type: QueryTypes.SELECT, transaction: null },
      );
      expect(killed, 'the listening connection').to.have.length(1);
      await until('the loss', () => !listener.listening());
      await listener.whenListening();
      await send('elsewhere', 'after');
      await until('the delivery after reconnecting', () => got.length === 2);
      await pause(200);
      expect(got.map((m) => m.data.id)).to.deep.equal(['before', 'after']);
    } finally {
      await listener.stop();
    }
  });
});
