import { expect } from 'chai';
import { decodeRelayMessage, encodeRelayMessage } from '../../app/realtime/relay.ts';

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
