import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

type Reply = { id: number; data?: Uint8Array; end?: true };

/**
 * The server's connections to the embedded engine's worker thread, over one MessagePort instead
 * of loopback TCP. Each pg connection is a Duplex (pg's `stream` option) speaking the same
 * protocol bytes as a socket would carry. On two cores a loopback socket write cost the
 * main thread about 0.15 ms per query and the engine as much per answer (CPU profiles: socket
 * writes were the largest single item on both threads); a message to a thread costs a copy and a
 * wake-up. One port keeps every connection's messages in order: a closed connection is gone
 * before the next one opens.
 */
export class EngineChannel {
  private readonly streams = new Map<number, EngineStream>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly port: MessagePort) {
    port.on('message', (reply: Reply) => {
      const stream = this.streams.get(reply.id);
      if (!stream) return;
      if (reply.data) stream.push(Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength));
      if (reply.end) {
        this.streams.delete(reply.id);
        stream.push(null);
      }
    });
    // The worker's end closes when its thread ends, however it ends.
    port.on('close', () => this.shutDown());
  }

  /** A new, unconnected connection: pg calls connect() on it. */
  readonly stream = (): Duplex => new EngineStream(this, this.nextId++);

  open(stream: EngineStream): void {
    if (this.stopped) {
      process.nextTick(() => stream.destroy(Object.assign(new Error('connect ECONNREFUSED: the embedded engine stopped'), { code: 'ECONNREFUSED' })));
      return;
    }
    this.streams.set(stream.id, stream);
    this.port.postMessage({ id: stream.id, open: true });
  }

  send(id: number, bytes: Uint8Array): void {
    if (this.streams.has(id)) this.port.postMessage({ id, data: bytes }, [bytes.buffer as ArrayBuffer]);
  }

  close(id: number): void {
    if (this.streams.delete(id)) this.port.postMessage({ id, close: true });
  }

  /** The engine stopped: every open connection fails as a reset socket would. */
  shutDown(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const stream of this.streams.values()) {
      stream.destroy(Object.assign(new Error('Connection terminated: the embedded engine stopped'), { code: 'ECONNRESET' }));
    }
    this.streams.clear();
    this.port.close();
  }
}

class EngineStream extends Duplex {
  private queued: Buffer[] = [];

  constructor(
    private readonly channel: EngineChannel,
    readonly id: number,
  ) {
    // As a socket's: the engine ending the connection ends this side too, and 'close' follows.
    super({ allowHalfOpen: false });
  }

  // The parts of net.Socket that pg calls.
  connect(): this {
    this.channel.open(this);
    process.nextTick(() => this.destroyed || this.emit('connect'));
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  override _read(): void {}

  // pg writes a statement's Parse, Bind, Describe, Execute and Sync one by one in the same tick:
  // gathered, they cross as one message, as they would leave a socket in one segment.
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.queue(chunk);
    callback();
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) this.queue(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    this.channel.close(this.id);
    this.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.queued = [];
    this.channel.close(this.id);
    callback(error);
  }

  private queue(chunk: Buffer): void {
    if (this.queued.push(chunk) === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    if (this.queued.length === 0) return;
    // A fresh array of its own, so the port moves it rather than copying Node's shared buffer pool.
    const bytes = new Uint8Array(this.queued.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of this.queued) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    this.queued = [];
    this.channel.send(this.id, bytes);
  }
}
