// @ts-check
// Which client the embedded engine's one backend serves now. PGlite is a single PostgreSQL
// session, and psql, the server's pool and any other client share it by taking turns at
// transaction boundaries, as a transaction-mode pooler shares a server connection: a client that
// is idle outside a transaction holds nothing, and one inside a transaction (or a pipeline not yet
// synced) holds the backend until it leaves it. Others wait for their turn, at most waitMs.

/**
 * @typedef {import('@electric-sql/pglite').PGlite} PGlite
 * @typedef {{ kind: 'tcp' | 'channel'; started: boolean; settings: [string, string][]; statementsLost: boolean }} Client
 * @typedef {{ client: Client; resolve: (granted: boolean) => void; timer: NodeJS.Timeout | undefined }} Waiter
 */

// Every session-level setting (SET, set_config(..., false)): the role and session user are not
// listed in pg_settings, so they come apart.
const CAPTURE = `select coalesce(json_agg(json_build_array(name, setting)), '[]')::text as settings,
  current_setting('role') as role, current_setting('session_authorization') as auth
  from pg_settings where source = 'session'`;
// Back to the engine's configuration; RESET ALL leaves the role and session user alone.
const RESET = 'set session authorization default; reset role; reset all';
// In order: the session user before the role it may switch to, then the rest.
const APPLY = `select set_config(s->>0, s->>1, false) from json_array_elements($1::json) with ordinality as t(s, n) order by n`;

export class EngineTurns {
  /** @param {PGlite} db @param {number} waitMs */
  static async create(db, waitMs) {
    const { rows } = await db.query(`select current_setting('session_authorization') as auth`);
    return new EngineTurns(db, waitMs, /** @type {{ auth: string }} */ (rows[0]).auth);
  }

  /** @param {PGlite} db @param {number} waitMs @param {string} defaultAuth the session user a fresh session has */
  constructor(db, waitMs, defaultAuth) {
    this.db = db;
    this.waitMs = waitMs;
    /** @type {Set<Client>} */
    this.clients = new Set();
    /** The client inside a transaction or an unsynced pipeline: it alone runs until it leaves it. @type {Client | undefined} */
    this.holder = undefined;
    /** The client whose session settings the backend has now. @type {Client | undefined} */
    this.owner = undefined;
    this.defaultAuth = defaultAuth;
    this.running = false;
    /** @type {Waiter[]} */
    this.waiting = [];
  }

  /**
   * Resolves true once client may use the backend alone, until give(); false, without the turn,
   * when bounded and the backend stayed held by others for waitMs.
   * @param {Client} client @param {boolean} bounded
   * @returns {Promise<boolean>}
   */
  take(client, bounded) {
    if (this.free(client)) {
      this.running = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      /** @type {Waiter} */
      const waiter = { client, resolve, timer: undefined };
      if (bounded) waiter.timer = setTimeout(() => this.drop(waiter, false), this.waitMs);
      this.waiting.push(waiter);
    });
  }

  /**
   * The client's statements ran; it holds the backend on while inside a transaction.
   * @param {Client} client @param {boolean} holds
   */
  give(client, holds) {
    this.holder = holds ? client : undefined;
    this.running = false;
    // First come, first served among those who may run: only the holder, while there is one.
    const next = this.waiting.find((waiter) => this.free(waiter.client));
    if (next) {
      this.running = true;
      this.drop(next, true);
    }
  }

  /** The client is going: its waits end without a turn. @param {Client} client */
  cancel(client) {
    for (const waiter of this.waiting.filter((w) => w.client === client)) this.drop(waiter, false);
  }

  /** @param {Client} client */
  free(client) {
    return !this.running && (this.holder === undefined || this.holder === client);
  }

  /** @param {Waiter} waiter @param {boolean} granted */
  drop(waiter, granted) {
    const index = this.waiting.indexOf(waiter);
    if (index < 0) return;
    this.waiting.splice(index, 1);
    clearTimeout(waiter.timer);
    waiter.resolve(granted);
  }

  /**
   * With the turn, before client's statements: the backend gets client's session settings back,
   * and the last client's are kept aside for its next turn. Nothing runs while the same client
   * goes on, so a server alone with the engine pays nothing.
   * @param {Client} client
   */
  async switchTo(client) {
    if (this.owner === client) return;
    const previous = this.owner;
    this.owner = client;
    if (previous) previous.settings = await this.saveAndReset();
    if (client.settings.length > 0) await this.apply(client.settings);
  }

  /**
   * A setting that no longer applies (its role dropped since) is left out, not fatal to the client.
   * @param {[string, string][]} settings
   */
  async apply(settings) {
    try {
      await this.db.query(APPLY, [JSON.stringify(settings)]);
    } catch {
      for (const setting of settings) await this.db.query(APPLY, [JSON.stringify([setting])]).catch(() => {});
    }
  }

  /** The owner's session settings, the backend reset to the engine's own. @returns {Promise<[string, string][]>} */
  async saveAndReset() {
    const { rows } = await this.db.query(CAPTURE);
    const row = /** @type {{ settings: string; role: string; auth: string }} */ (rows[0]);
    /** @type {[string, string][]} */
    const settings = [];
    if (row.auth !== this.defaultAuth) settings.push(['session_authorization', row.auth]);
    if (row.role !== 'none') settings.push(['role', row.role]);
    settings.push(.../** @type {[string, string][]} */ (JSON.parse(row.settings)));
    if (settings.length > 0) await this.db.exec(RESET);
    return settings;
  }
}
