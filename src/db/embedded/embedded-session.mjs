// @ts-check
// One client connection to the embedded engine, whatever carries its bytes (a TCP socket for
// psql and DATABASE_URL clients, a MessagePort for the server's own pool): PostgreSQL's frontend
// protocol framed into messages and handed to PGlite, in turns with the engine's other clients
// (engine-turns.mjs).

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const TERMINATE = 0x58; // 'X'
const PARSE = 0x50; // 'P'
const BIND = 0x42; // 'B'
const DESCRIBE = 0x44; // 'D'
const CLOSE = 0x43; // 'C'
const QUERY = 0x51; // 'Q'
const SYNC = 0x53; // 'S'
const FLUSH = 0x48; // 'H'
const STATEMENT = 0x53; // 'S', of Describe and Close
const READY_FOR_QUERY_IDLE = Uint8Array.of(0x5a, 0, 0, 0, 5, 0x49); // 'Z', idle outside a transaction
// Words of the statements that drop other clients' prepared statements too.
const DROPS_STATEMENTS = /deallocate|discard/i;
// What a session leaves in the backend that every client shares: cursors kept past their
// transaction, LISTEN, session advisory locks, temporary tables and sequences' cached values,
// and statements prepared with SQL's PREPARE (unlike the protocol's, their names are not the
// client's own). The server's pool makes none of these.
const SHARED_LEFTOVERS = `close all; unlisten *; select pg_advisory_unlock_all(); discard temp; discard sequences;
  do $$ declare s record; begin
    for s in select name from pg_prepared_statements where from_sql loop execute format('deallocate %I', s.name); end loop;
  end $$`;
const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');
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
 * @typedef {import('./engine-turns.mjs').EngineTurns} EngineTurns
 * @typedef {{ send(bytes: Uint8Array): void; end(): void }} Transport
 * @typedef {{ execute?: Uint8Array; startup?: boolean; reply?: Uint8Array; end?: boolean }} Step
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
 *
 * Clients share the one backend (engine-turns.mjs), so what one keeps in its session must not
 * reach another: its session settings are set aside while others run, and the statements it
 * prepares through the protocol are renamed to names of its own (`<session>:<name>`), so the
 * server's pool and psql may both call one `narwhal_1`.
 */
export class EmbeddedSession {
  /**
   * @param {PGlite} db @param {EngineTurns} turns @param {number} id unique among the engine's sessions
   * @param {'tcp' | 'channel'} kind @param {Transport} transport @param {() => void} onEnd
   */
  constructor(db, turns, id, kind, transport, onEnd) {
    this.db = db;
    this.turns = turns;
    this.kind = kind;
    this.transport = transport;
    this.onEnd = onEnd;
    this.started = false;
    this.ended = false;
    /** The client is gone or going: nothing more is sent to it. */
    this.leaving = false;
    /** Its session settings while another client has the backend. @type {[string, string][]} */
    this.settings = [];
    /** Its prepared statements (renamed), each with the Parse that made it. @type {Map<string, Uint8Array>} */
    this.statements = new Map();
    /** Another client dropped every prepared statement: this one's are made again before it runs. */
    this.statementsLost = false;
    /** A refused pipeline left unsynced: its messages are skipped up to its Sync, as a backend does after an error. */
    this.skipping = false;
    this.prefix = encoder.encode(`${id}:`);
    /** @type {() => void} */
    let resolveFinished = () => {};
    /** @type {Promise<void>} */
    this.finished = new Promise((resolve) => (resolveFinished = resolve));
    this.resolveFinished = resolveFinished;
    /** @type {Uint8Array} */
    this.pending = new Uint8Array(0);
    /** @type {Promise<void>} */
    this.work = Promise.resolve();
    turns.clients.add(this);
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
    // A turn it still waits for is no longer wanted.
    this.turns.cancel(this);
    await this.work;
    await this.finish();
    // Ended already (a Terminate, a failure): its clearing may still be under way.
    await this.finished;
  }

  async drain() {
    while (!this.ended) {
      const step = this.started ? this.takeMessages() : this.takeStartupPacket();
      if (!step) return;
      if (step.execute) await this.execute(step.execute, step.startup === true);
      if (step.reply) this.transport.send(step.reply);
      if (step.end) {
        this.transport.end();
        await this.finish();
      }
    }
  }

  /**
   * Runs the messages in the client's turn. A client kept waiting past the engine's bound (another
   * holds it inside a transaction) gets an error for each of its statements, the server's pool
   * DATABASE_UNAVAILABLE: a wait, never a hang.
   * @param {Uint8Array} bytes @param {boolean} startup
   */
  async execute(bytes, startup) {
    const input = startup ? bytes : this.skipToSync(bytes);
    if (input.length === 0) return;
    if (!(await this.turns.take(this, true))) {
      if (this.leaving) return;
      const refused = `the embedded engine is held by another client's transaction; gave up after ${this.turns.waitMs} ms`;
      if (startup) {
        this.transport.send(fatal('53300', refused));
        this.transport.end();
        // Nothing of it reached the backend: nothing to clear.
        this.started = false;
        await this.finish();
      } else {
        this.transport.send(this.refuse(input, refused));
      }
      return;
    }
    let holds = true;
    try {
      await this.turns.switchTo(this);
      if (this.statementsLost) await this.prepareAgain();
      const { rewritten, dropsStatements } = startup ? { rewritten: input, dropsStatements: false } : this.rename(input);
      /** @type {Uint8Array[]} */
      const answers = [];
      // onRawData hands out views of PGlite's reusable buffer: copied before the next call.
      await this.db.runExclusive(() => this.db.execProtocolRawStream(rewritten, { onRawData: (data) => answers.push(data.slice()) }));
      const answer = answers.length === 1 ? /** @type {Uint8Array} */ (answers[0]) : concat(answers);
      // Idle outside a transaction, with nothing unsynced, only when the last answer says so.
      holds = !endsWith(answer, READY_FOR_QUERY_IDLE);
      if (dropsStatements) for (const client of this.turns.clients) if (client !== this) client.statementsLost = true;
      if (answer.length > 0 && !this.ended) this.transport.send(answer);
    } finally {
      this.turns.give(this, holds);
    }
  }

  /**
   * What the client leaves must not reach the others. A client gone inside a transaction, or
   * before its Sync, left either the transaction open (its statements must not commit) or, after
   * an error, the backend skipping every message until a Sync: a statement that fails to parse,
   * then a Sync, aborts the first and ends the second, as a server's backend ending with its
   * connection would, and an open transaction block rolls back. Then its prepared statements
   * close and its session settings reset. What all clients share (temporary tables, SQL-level
   * PREPAREs, LISTEN, session advisory locks) goes when the last psql-like (TCP) client goes, and
   * the last client of all leaves the backend as DISCARD ALL does, as a pooler resets a server
   * connection. The engine's own settings are its configuration file's, which these keep.
   */
  async finish() {
    if (this.ended) return;
    this.ended = true;
    this.leaving = true;
    this.turns.cancel(this);
    try {
      if (this.started) {
        // Unbounded: clearing waits for a holder's transaction to end, however long.
        await this.turns.take(this, false);
        try {
          await this.clear();
        } finally {
          this.turns.give(this, false);
        }
      }
    } finally {
      this.turns.clients.delete(this);
      if (this.turns.owner === this) this.turns.owner = undefined;
      // Even if clearing failed (the engine is then broken for everyone), the others are not left
      // waiting for good: they get the engine's errors instead.
      this.onEnd();
      this.resolveFinished();
    }
  }

  async clear() {
    if (this.turns.holder === this) {
      await this.db.runExclusive(() => this.db.execProtocolRawStream(ABANDON, { onRawData: () => {} }));
      if (this.db.isInTransaction()) await this.db.exec('rollback');
    }
    const others = [...this.turns.clients].filter((client) => client !== this && client.started);
    if (others.length === 0) {
      await this.db.exec('discard all');
      this.turns.owner = undefined;
      return;
    }
    if (this.statements.size > 0) {
      const closes = [...this.statements.keys()].map((name) => message(CLOSE, Uint8Array.of(STATEMENT), latin1Bytes(name), Uint8Array.of(0)));
      await this.db.runExclusive(() => this.db.execProtocolRawStream(concat([...closes, SYNC_MESSAGE]), { onRawData: () => {} }));
    }
    if (this.turns.owner === this) {
      await this.turns.saveAndReset();
      this.turns.owner = undefined;
    }
    if (this.kind === 'tcp' && !others.some((client) => client.kind === 'tcp')) await this.db.exec(SHARED_LEFTOVERS);
  }

  /**
   * Its prepared statements, made again after another client's DEALLOCATE ALL or DISCARD ALL:
   * each closed, parsed and synced on its own, so one that no longer parses (its table dropped)
   * fails alone, as it would have at its next use.
   */
  async prepareAgain() {
    this.statementsLost = false;
    const parts = [...this.statements].flatMap(([name, parse]) => [
      message(CLOSE, Uint8Array.of(STATEMENT), latin1Bytes(name), Uint8Array.of(0)),
      parse,
      SYNC_MESSAGE,
    ]);
    if (parts.length > 0) await this.db.runExclusive(() => this.db.execProtocolRawStream(concat(parts), { onRawData: () => {} }));
  }

  /**
   * The messages with the client's statement names made its own (Parse, Bind, Describe and
   * Close of a named statement; the unnamed one lasts only until the next Parse or simple query,
   * and portals only as long as their transaction, which holds the backend). Also tells whether
   * they may drop other clients' statements (a DEALLOCATE or DISCARD in their SQL).
   * @param {Uint8Array} bytes complete messages
   */
  rename(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    /** @type {Uint8Array[]} */
    const parts = [];
    let copied = 0;
    let dropsStatements = false;
    for (let at = 0; at < bytes.length; at += 1 + view.getInt32(at + 1)) {
      const type = bytes[at];
      const end = at + 1 + view.getInt32(at + 1);
      /** Offset of the statement name in this message, if it names one. */
      let nameAt = -1;
      if (type === PARSE) {
        nameAt = at + 5;
        const sqlAt = bytes.indexOf(0, nameAt) + 1;
        dropsStatements ||= DROPS_STATEMENTS.test(latin1.decode(bytes.subarray(sqlAt, bytes.indexOf(0, sqlAt))));
      } else if (type === BIND) {
        nameAt = bytes.indexOf(0, at + 5) + 1;
      } else if ((type === DESCRIBE || type === CLOSE) && bytes[at + 5] === STATEMENT) {
        nameAt = at + 6;
      } else if (type === QUERY) {
        dropsStatements ||= DROPS_STATEMENTS.test(latin1.decode(bytes.subarray(at + 5, end)));
      }
      if (nameAt < 0 || bytes[nameAt] === 0) continue;
      const nameEnd = bytes.indexOf(0, nameAt);
      const renamed = concat([
        Uint8Array.of(/** @type {number} */ (type), 0, 0, 0, 0),
        bytes.subarray(at + 5, nameAt),
        this.prefix,
        bytes.subarray(nameAt, end),
      ]);
      new DataView(renamed.buffer).setInt32(1, renamed.length - 1);
      const name = latin1.decode(renamed.subarray(nameAt - at, nameAt - at + this.prefix.length + nameEnd - nameAt));
      if (type === PARSE) this.statements.set(name, renamed);
      else if (type === CLOSE) this.statements.delete(name);
      parts.push(bytes.subarray(copied, at), renamed);
      copied = end;
    }
    if (copied === 0) return { rewritten: bytes, dropsStatements };
    parts.push(bytes.subarray(copied));
    return { rewritten: concat(parts), dropsStatements };
  }

  /**
   * The messages after a refused pipeline's Sync (all of them when none was left unsynced); its
   * Sync is answered here, as the backend answers the Sync that ends an error.
   * @param {Uint8Array} bytes
   */
  skipToSync(bytes) {
    if (!this.skipping) return bytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at < bytes.length; at += 1 + view.getInt32(at + 1)) {
      if (bytes[at] !== SYNC) continue;
      this.skipping = false;
      if (!this.leaving) this.transport.send(READY_FOR_QUERY_IDLE);
      return bytes.subarray(at + 5);
    }
    return new Uint8Array(0);
  }

  /**
   * The answers of a backend whose every statement failed: an ErrorResponse for each simple query
   * and each pipeline (its other messages skipped up to its Sync), ReadyForQuery after each.
   * @param {Uint8Array} bytes @param {string} reason
   */
  refuse(bytes, reason) {
    const error = errorResponse('ERROR', '53300', reason);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    /** @type {Uint8Array[]} */
    const answers = [];
    let failed = false;
    for (let at = 0; at < bytes.length; at += 1 + view.getInt32(at + 1)) {
      const type = bytes[at];
      if (type === QUERY) {
        answers.push(error, READY_FOR_QUERY_IDLE);
      } else if (type === SYNC) {
        if (!failed) answers.push(error);
        answers.push(READY_FOR_QUERY_IDLE);
        failed = false;
      } else if (type !== FLUSH && !failed) {
        answers.push(error);
        failed = true;
      }
    }
    this.skipping = failed;
    return concat(answers);
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
    return { execute: packet, startup: true };
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

  /** @param {unknown} error */
  fail(error) {
    const message = error instanceof Error ? error.message : String(error);
    if (this.ended) return;
    this.transport.send(fatal('XX000', `embedded engine: ${message}`));
    this.transport.end();
    void this.finish();
  }
}

const SYNC_MESSAGE = Uint8Array.of(SYNC, 0, 0, 0, 4);

/** @param {Uint8Array} bytes @param {Uint8Array} tail */
function endsWith(bytes, tail) {
  if (bytes.length < tail.length) return false;
  return tail.every((byte, index) => bytes[bytes.length - tail.length + index] === byte);
}

/** A message of this type with these parts as its body. @param {number} type @param {Uint8Array[]} parts */
function message(type, ...parts) {
  const bytes = concat([Uint8Array.of(type, 0, 0, 0, 0), ...parts]);
  new DataView(bytes.buffer).setInt32(1, bytes.length - 1);
  return bytes;
}

/** @param {'ERROR' | 'FATAL'} severity @param {string} sqlstate @param {string} text */
function errorResponse(severity, sqlstate, text) {
  return message(0x45, encoder.encode(`S${severity}\0V${severity}\0C${sqlstate}\0M${text}\0\0`)); // 'E'
}

/** A FATAL ErrorResponse, as a server sends one before it closes the connection. */
/** @param {string} sqlstate @param {string} text */
export function fatal(sqlstate, text) {
  return errorResponse('FATAL', sqlstate, text);
}

/** A name kept as a latin1 string (one character per byte), as bytes again. @param {string} name */
function latin1Bytes(name) {
  return Uint8Array.from(name, (char) => char.charCodeAt(0));
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
