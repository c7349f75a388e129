import { once } from 'node:events';
import { connect } from 'node:net';
import { serialize } from 'pg-protocol';

export const READY_FOR_QUERY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/**
 * A started session with a PostgreSQL server over TCP that writes frontend messages as the test
 * builds them (pg-protocol's serializer, pg's own) and keeps every answer byte: for what pg never
 * sends, such as a pipeline left without its Sync.
 */
export async function openRawConnection(url: string) {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const connection = {
    socket,
    closed,
    received: () => received,
    clear: () => (received = Buffer.alloc(0)),
    /** Resolves once the answers so far contain these bytes. */
    async waitFor(bytes: Buffer | string): Promise<void> {
      for (let waited = 0; !received.includes(bytes); waited += 10) {
        if (waited > 10_000) throw new Error(`no ${String(bytes)} in the answers within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
  socket.write(serialize.startup({ user: 'postgres', database: 'postgres' }));
  await connection.waitFor(READY_FOR_QUERY_IDLE);
  connection.clear();
  return connection;
}
