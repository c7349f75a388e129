// @ts-check
// One client connection to the embedded engine, whatever carries its bytes (a TCP socket for
// psql and DATABASE_URL clients, a MessagePort for the server's own pool): PostgreSQL's frontend
// protocol framed into messages and handed to PGlite.

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const TERMINATE = 0x58; // 'X'
// Parse of a statement that cannot parse (unnamed, no parameter types), then Sync.
const ABANDON = (() => {
  const text = new TextEncoder().encode('\0the client is gone\0\0\0');
  const bytes = new Uint8Array(5 + text.length + 5);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x50; // 'P'
  view.setInt32(1, 4 + text.length);
  bytes.set(text, 5);
  bytes.set([0x53, 0, 0, 0, 4], 5 + text.length); // 'S'
  return bytes;
})();

/**
 * @typedef {import('@electric-sql/pglite').PGlite} PGlite
 * @typedef {{ send(bytes: Uint8Array): void; end(): void }} Transport
 * @typedef {{ execute?: Uint8Array; reply?: Uint8Array; end?: boolean }} Step
 */

/**
 * Every complete message a chunk brings goes to PGlite in ONE call: PGlite's main loop consumes a
 * buffer of several messages exactly as a server consumes them from its socket (pipelines, errors
 * skipping to Sync, ReadyForQuery after each Sync: reply bytes identical to one call per message,
 * compared scenario by scenario), and the answers leave in one write. pglite-socket made one call
 * per message, each with its own locks and awaits: 10-15 µs per message, 9 messages for a
 * pipelined search (measured). The startup message goes alone (with a query in the same buffer,
 * PGlite answers the query only on the next call), and Terminate never reaches PGlite: inside a
 * larger buffer it broke the next query.
 */
export class EmbeddedSession {
  /**
   * @param {PGlite} db @param {Transport} transport @param {() => void} onEnd
   * @param {Promise<void>} after the session before this one finished (its client may be gone while its
   *   leftovers are still being cleared: this one's statements must not run in between)
   */
  constructor(db, transport, onEnd, after = Promise.resolve()) {
    this.db = db;
    this.transport = transport;
    this.onEnd = onEnd;
    this.started = false;
    this.ended = false;
    /** The client is gone or going: the engine may take the next one, which waits for `finished`. */
    this.leaving = false;
    /** @type {() => void} */
    let resolveFinished = () => {};
    /** @type {Promise<void>} */
    this.finished = new Promise((resolve) => (resolveFinished = resolve));
    this.resolveFinished = resolveFinished;
    /** @type {Uint8Array} */
    this.pending = new Uint8Array(0);
    /** @type {Promise<void>} */
    this.work = after;
  }

  /**
   * Bytes from the client, in order; answers go to the transport as they are ready.
   * @param {Uint8Array} chunk
   */
  receive(chunk) {
    if (this.ended) return;
    this.pending = this.pending.length === 0 ? chunk : concat([this.pending, chunk]);
    this.work = this.work.then(() => this.drain()).catch((error) => this.fail(error));
  }

  /** The client went away (its transport closed). */
  async close() {
    this.leaving = true;
    await this.work;
    await this.finish();
    // Ended already (a Terminate, a failure): its clearing may still be under way.
    await this.finished;
  }

  async drain() {
    while (!this.ended) {
      const step = this.started ? this.takeMessages() : this.takeStartupPacket();
      if (!step) return;
      if (step.execute) await this.execute(step.execute);
      if (step.reply) this.transport.send(step.reply);
      if (step.end) {
        this.transport.end();
        await this.finish();
      }
    }
  }

  /**
   * What the client left behind must not reach the next one. A client gone before its Sync left
   * either an implicit transaction open (its statements must not commit) or, after an error, the
   * backend skipping every message until a Sync (the next client's queries hung there): a
   * statement that fails to parse, then a Sync, aborts the first and ends the second, as a
   * server's backend ending with its connection would. Then an open transaction block rolls back,
   * and DISCARD ALL drops what else a backend keeps for its session (prepared statements, whose
   * names the next client may use too; session settings; temporary tables), as a pooler resets a
   * server connection between clients. The engine's own settings are its configuration file's,
   * which DISCARD ALL keeps.
   */
  async finish() {
    if (this.ended) return;
    this.ended = true;
    this.leaving = true;
    try {
      if (this.started) await this.db.runExclusive(() => this.db.execProtocolRawStream(ABANDON, { onRawData: () => {} }));
      if (this.db.isInTransaction()) await this.db.exec('rollback');
      if (this.started) await this.db.exec('discard all');
    } finally {
      // Even if clearing failed (the engine is then broken for everyone), the next client is not
      // left waiting for good: it gets the engine's errors instead.
      this.onEnd();
      this.resolveFinished();
    }
  }

  /**
   * The untyped packets before the first message: SSL and GSS requests (declined), a cancel
   * (unsupported: PGlite runs one statement at a time), the startup.
   * @returns {Step | undefined}
   */
  takeStartupPacket() {
    if (this.pending.length < 8) return undefined;
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, this.pending.byteLength);
    const length = view.getInt32(0);
    if (this.pending.length < length) return undefined;
    const code = view.getInt32(4);
    const packet = this.pending.subarray(0, length);
    this.pending = this.pending.subarray(length);
    if (code === SSL_REQUEST || code === GSS_REQUEST) return { reply: Uint8Array.of(0x4e) }; // 'N': go on unencrypted
    if (code === CANCEL_REQUEST) return { end: true };
    if (code !== PROTOCOL_3) return { reply: fatal('08P01', `unsupported protocol request ${code}`), end: true };
    this.started = true;
    return { execute: packet };
  }

  /**
   * The complete messages at the head of the buffer, up to (not including) a Terminate.
   * @returns {Step | undefined}
   */
  takeMessages() {
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, this.pending.byteLength);
    let end = 0;
    while (end + 5 <= this.pending.length) {
      if (this.pending[end] === TERMINATE) {
        const bytes = this.pending.subarray(0, end);
        this.pending = new Uint8Array(0);
        return { ...(end > 0 ? { execute: bytes } : {}), end: true };
      }
      const next = end + 1 + view.getInt32(end + 1);
      if (next > this.pending.length) break;
      end = next;
    }
    if (end === 0) return undefined;
    const bytes = this.pending.subarray(0, end);
    this.pending = this.pending.subarray(end);
    return { execute: bytes };
  }

  /** @param {Uint8Array} bytes */
  async execute(bytes) {
    /** @type {Uint8Array[]} */
    const answers = [];
    // onRawData hands out views of PGlite's reusable buffer: copied before the next call.
    await this.db.runExclusive(() => this.db.execProtocolRawStream(bytes, { onRawData: (data) => answers.push(data.slice()) }));
    if (answers.length > 0 && !this.ended) this.transport.send(answers.length === 1 ? /** @type {Uint8Array} */ (answers[0]) : concat(answers));
  }

  /** @param {unknown} error */
  fail(error) {
    const message = error instanceof Error ? error.message : String(error);
    if (this.ended) return;
    this.transport.send(fatal('XX000', `embedded engine: ${message}`));
    this.transport.end();
    void this.finish();
  }
}

/** A FATAL ErrorResponse, as a server sends one before it closes the connection. */
/** @param {string} sqlstate @param {string} message */
export function fatal(sqlstate, message) {
  const fields = new TextEncoder().encode(`SFATAL\0VFATAL\0C${sqlstate}\0M${message}\0\0`);
  const bytes = new Uint8Array(5 + fields.length);
  bytes[0] = 0x45; // 'E'
  new DataView(bytes.buffer).setInt32(1, 4 + fields.length);
  bytes.set(fields, 5);
  return bytes;
}

/**
 * The parts in a fresh array of their own (not Buffer.concat, which may hand out a slice of Node's
 * shared pool): the worker transfers answers to the main thread, moving their memory.
 * @param {Uint8Array[]} parts
 */
function concat(parts) {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
