import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  JetStreamApiError,
  jetstreamManager,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import {
  errors,
  headers as natsHeaders,
  nanos,
  type MsgHdrs,
  type NatsConnection,
} from '@nats-io/transport-node';
import {
  BUS_MAX_PAYLOAD_BYTES,
  StewardError,
  subjectMatches,
  TASK_EVENT_STREAM,
  TASK_EVENT_SUBJECTS,
  type ServiceName,
} from '@steward/contracts';
import { decodeBody, encodeBody } from './body-codec.js';
import { connectBus, type BusCredentials } from './bus-connection.js';
import { fromNatsError } from './bus-errors.js';
import { outgoingTraceHeaders } from './trace-headers.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the task event stream keeps, and for how long (ARCHITECTURE §1: replay across restarts). */
export const TASK_EVENT_STREAM_LIMITS = {
  maxAgeMs: 30 * DAY_MS,
  maxBytes: 1024 * 1024 * 1024,
  /** How long the server remembers a message id, so a retried append is stored once. */
  duplicateWindowMs: 2 * 60 * 1000,
} as const;

/** The stream's settings exactly; `ensureTaskEventStream` makes the server's match them. */
export function taskEventStreamConfig(): Pick<
  StreamConfig,
  | 'name'
  | 'subjects'
  | 'storage'
  | 'retention'
  | 'discard'
  | 'max_age'
  | 'max_bytes'
  | 'duplicate_window'
  | 'num_replicas'
> {
  return {
    name: TASK_EVENT_STREAM,
    subjects: [TASK_EVENT_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(TASK_EVENT_STREAM_LIMITS.maxAgeMs),
    max_bytes: TASK_EVENT_STREAM_LIMITS.maxBytes,
    duplicate_window: nanos(TASK_EVENT_STREAM_LIMITS.duplicateWindowMs),
    num_replicas: 1,
  };
}

export type StreamEnsured = 'created' | 'updated' | 'unchanged';

const API_CODES = {
  streamNotFound: 10059,
  streamNameInUse: 10058,
  wrongLastMsgId: 10070,
} as const;

function apiCode(error: unknown): number | undefined {
  return error instanceof JetStreamApiError ? error.code : undefined;
}

/** A JetStream failure as the typed error callers handle; `what` says what was being done. */
function fromJetStreamError(error: unknown, what: string): StewardError {
  if (error instanceof StewardError) return error;
  const code = apiCode(error);
  if (code === API_CODES.streamNotFound) {
    return new StewardError('UNAVAILABLE', `${what}: the task event stream does not exist yet`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof JetStreamApiError) {
    return new StewardError('INTERNAL', `${what}: JetStream refused (${error.code}: ${error.message})`, {
      cause: error,
    });
  }
  if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
    return new StewardError('UNAVAILABLE', `${what}: JetStream is not available`, {
      retryable: true,
      cause: error,
    });
  }
  return fromNatsError(error, what);
}

function differs(info: StreamInfo): boolean {
  const want = taskEventStreamConfig();
  const have = info.config;
  return (
    have.subjects?.length !== want.subjects.length ||
    have.subjects.some((subject, i) => subject !== want.subjects[i]) ||
    have.storage !== want.storage ||
    have.retention !== want.retention ||
    have.discard !== want.discard ||
    have.max_age !== want.max_age ||
    have.max_bytes !== want.max_bytes ||
    have.duplicate_window !== want.duplicate_window ||
    have.num_replicas !== want.num_replicas
  );
}

/**
 * Makes the task event stream exist with exactly its settings: created when missing, updated
 * when any of them differs (limits changed in a new version), left alone otherwise.
 */
export async function ensureTaskEventStream(connection: NatsConnection): Promise<StreamEnsured> {
  const jsm = await jetstreamManager(connection, { checkAPI: false });
  try {
    return await ensureWith(jsm).catch((error: unknown) => {
      // Another writer created it between our look and our create: look again.
      if (apiCode(error) === API_CODES.streamNameInUse) return ensureWith(jsm);
      throw error;
    });
  } catch (error) {
    throw fromJetStreamError(error, `ensuring stream ${TASK_EVENT_STREAM}`);
  }
}

async function ensureWith(jsm: JetStreamManager): Promise<StreamEnsured> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(TASK_EVENT_STREAM);
  } catch (error) {
    if (apiCode(error) !== API_CODES.streamNotFound) throw error;
    await jsm.streams.add(taskEventStreamConfig());
    return 'created';
  }
  if (!differs(info)) return 'unchanged';
  const { name, storage, ...updatable } = taskEventStreamConfig();
  if (info.config.storage !== storage) {
    throw new StewardError(
      'CONFLICT',
      `stream ${name} exists with ${info.config.storage} storage; it must be ${storage} (remove it to let it be recreated)`,
    );
  }
  await jsm.streams.update(name, updatable);
  return 'updated';
}

export interface TaskEventLogOptions {
  /** How long one publish waits for the server's acknowledgement before it is sent again. */
  readonly ackTimeoutMs?: number;
  /** How long an append keeps trying (server restarts, reconnects) before it is rejected. */
  readonly giveUpAfterMs?: number;
  /** Publishes awaiting their acknowledgement at once. */
  readonly maxInFlight?: number;
}

export interface AppendOptions {
  /**
   * The message id the server deduplicates on (within the stream's duplicate window). Defaults to
   * one unique to this append; pass a stable one to make an append idempotent across restarts.
   */
  readonly msgId?: string;
}

interface Entry {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgId: string;
  /** The id of the append made just before this one by this writer. */
  readonly previousId: string | undefined;
  readonly trace: MsgHdrs | undefined;
  readonly appendedAt: number;
  /** Sent with "store only right after `previousId`"; see TaskEventLog. */
  chained: boolean;
  state: 'queued' | 'sent' | 'failed' | 'settled';
  error?: unknown;
  resolve(seq: number): void;
  reject(error: StewardError): void;
}

const MSG_ID = /^[\x21-\x7e]{1,128}$/;
const RETRY_BACKOFF_MS = [50, 250, 500, 1_000, 2_000] as const;

/**
 * The orchestrator's side of the task event stream: appends events and returns where the server
 * stored them.
 *
 * Appends are pipelined (many awaiting their acknowledgement at once) yet always stored in the
 * order they were made. Each append after the first names the one before it
 * (`Nats-Expected-Last-Msg-Id`), so the server stores it only right after its predecessor: an
 * append lost in a reconnect makes every later one in flight fail instead of overtaking it. Failed
 * appends are then sent again, in order, with the same message ids, so the ones the server did
 * store (only their acknowledgement was lost) are recognised as duplicates and not stored twice.
 * When the predecessor is settled but the server's last message is someone else's (another
 * publisher on these subjects) the next append starts a new chain rather than wait forever.
 */
export class TaskEventLog {
  private readonly js: JetStreamClient;
  private readonly writerId = randomUUID();
  private readonly ackTimeoutMs: number;
  private readonly giveUpAfterMs: number;
  private readonly maxInFlight: number;
  /** Every append not yet settled, in the order they were made. */
  private unsettled: Entry[] = [];
  private unsettledCount = 0;
  private idle: Array<() => void> = [];
  private toSend: Entry[] = [];
  private inFlight = 0;
  private counter = 0;
  private lastAppendedId: string | undefined;
  private recovering = false;
  private retryRound = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly ownsConnection: boolean,
    options: TaskEventLogOptions,
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 512);
    this.js = jetstream(connection, { timeout: this.ackTimeoutMs });
  }

  /** A writer on an open connection (which stays the caller's); makes sure the stream exists first. */
  static async open(connection: NatsConnection, options: TaskEventLogOptions = {}): Promise<TaskEventLog> {
    await ensureTaskEventStream(connection);
    return new TaskEventLog(connection, false, options);
  }

  /** A writer with its own connection as `service`, closed with the writer. */
  static async connect(
    service: ServiceName,
    credentials: BusCredentials,
    options: TaskEventLogOptions = {},
  ): Promise<TaskEventLog> {
    const connection = await connectBus(service, credentials, 'client');
    try {
      await ensureTaskEventStream(connection);
    } catch (error) {
      await connection.close();
      throw error;
    }
    return new TaskEventLog(connection, true, options);
  }

  /** Appends not yet settled (queued, in flight or waiting to be sent again). */
  get pending(): number {
    return this.unsettledCount;
  }

  /**
   * Stores `body` (through the bus body codec) on `subject`, under `events.orchestrator.task.>`,
   * and resolves with its stream sequence once the server acknowledged it. Rejects with
   * INVALID_INPUT (subject outside the stream, bad msgId), TOO_LARGE, or — when the server could
   * not be reached within `giveUpAfterMs` or refused — UNAVAILABLE / FORBIDDEN / INTERNAL.
   */
  append(subject: string, body: unknown, options: AppendOptions = {}): Promise<number> {
    if (this.closed) {
      return Promise.reject(new StewardError('UNAVAILABLE', 'the task event log is closed'));
    }
    if (!subjectMatches(TASK_EVENT_SUBJECTS, subject) || !/^[A-Za-z0-9_.-]+$/.test(subject)) {
      return Promise.reject(
        new StewardError('INVALID_INPUT', `${subject} is not a task event subject (${TASK_EVENT_SUBJECTS})`),
      );
    }
    if (options.msgId !== undefined && !MSG_ID.test(options.msgId)) {
      return Promise.reject(new StewardError('INVALID_INPUT', 'a msgId is 1–128 printable characters'));
    }
    const data = encodeBody(body);
    if (data.byteLength > BUS_MAX_PAYLOAD_BYTES) {
      return Promise.reject(
        new StewardError('TOO_LARGE', `a task event is at most ${BUS_MAX_PAYLOAD_BYTES} bytes`, {
          details: { bytes: data.byteLength },
        }),
      );
    }
    return new Promise<number>((resolve, reject) => {
      const msgId = options.msgId ?? `${this.writerId}-${++this.counter}`;
      const entry: Entry = {
        subject,
        data,
        msgId,
        previousId: this.lastAppendedId,
        trace: outgoingTraceHeaders(),
        appendedAt: Date.now(),
        chained: this.lastAppendedId !== undefined,
        state: 'queued',
        resolve,
        reject,
      };
      this.lastAppendedId = msgId;
      this.unsettled.push(entry);
      this.unsettledCount++;
      this.toSend.push(entry);
      this.pump();
    });
  }

  /** Resolves once no append is left unsettled (each one stored or rejected). */
  flush(): Promise<void> {
    if (this.unsettledCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Refuses new appends, waits for the ones made to settle, then closes its own connection. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.ownsConnection && !this.connection.isClosed()) {
      await this.connection.drain().catch(() => this.connection.close());
    }
  }

  private pump(): void {
    if (this.recovering) return;
    while (this.inFlight < this.maxInFlight && this.toSend.length > 0) {
      const entry = this.toSend.shift()!;
      if (entry.state === 'queued') this.send(entry);
    }
  }

  private send(entry: Entry): void {
    entry.state = 'sent';
    this.inFlight++;
    // Fresh headers on every attempt: an append sent again may no longer be chained.
    const headers = natsHeaders();
    for (const key of entry.trace?.keys() ?? []) headers.set(key, entry.trace!.get(key));
    this.js
      .publish(entry.subject, entry.data, {
        msgID: entry.msgId,
        headers,
        timeout: this.ackTimeoutMs,
        ...(entry.chained && entry.previousId ? { expect: { lastMsgID: entry.previousId } } : {}),
      })
      .then(
        (ack) => this.stored(entry, ack.seq),
        (error: unknown) => this.failed(entry, error),
      );
  }

  private stored(entry: Entry, seq: number): void {
    this.inFlight--;
    this.retryRound = 0;
    this.settle(entry);
    entry.resolve(seq);
    this.next();
  }

  private failed(entry: Entry, error: unknown): void {
    this.inFlight--;
    entry.state = 'failed';
    entry.error = error;
    // Nothing new goes out until everything in flight has settled and the failures are resent.
    this.recovering = true;
    this.next();
  }

  private settle(entry: Entry): void {
    entry.state = 'settled';
    this.unsettledCount--;
    while (this.unsettled.length > 0 && this.unsettled[0]!.state === 'settled') this.unsettled.shift();
    if (this.unsettledCount === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private next(): void {
    if (!this.recovering) {
      this.pump();
      return;
    }
    if (this.inFlight === 0 && this.retryTimer === undefined) this.recover();
  }

  /**
   * Everything sent has settled and some appends failed. Rejects the ones that cannot succeed,
   * then sends every unsettled append again in its original order.
   */
  private recover(): void {
    const now = Date.now();
    let cascadeOnly = true;
    let streamMissing = false;
    let previous: Entry | undefined;
    for (const entry of [...this.unsettled]) {
      if (entry.state === 'failed') {
        const error = entry.error;
        const code = apiCode(error);
        if (code !== API_CODES.wrongLastMsgId) cascadeOnly = false;
        if (isNoResponders(error)) streamMissing = true;
        if (isPermanent(error) || now - entry.appendedAt > this.giveUpAfterMs) {
          this.settle(entry);
          entry.reject(fromJetStreamError(error, `appending to ${entry.subject} (msgId ${entry.msgId})`));
          previous = entry;
          continue;
        }
        // Refused only because the server's last message was not its predecessor, although the
        // predecessor is settled: someone else published in between; start a new chain here.
        const predecessorUnsettled =
          previous !== undefined && previous.msgId === entry.previousId && previous.state !== 'settled';
        if (code === API_CODES.wrongLastMsgId && !predecessorUnsettled) entry.chained = false;
        entry.state = 'queued';
      }
      previous = entry;
    }
    this.toSend = this.unsettled.filter((entry) => entry.state === 'queued');
    const delay = cascadeOnly ? 0 : RETRY_BACKOFF_MS[Math.min(this.retryRound, RETRY_BACKOFF_MS.length - 1)]!;
    if (!cascadeOnly) this.retryRound++;
    this.retryTimer = setTimeout(() => {
      void (async () => {
        // A publish nobody answered may mean the stream is gone (deleted, or a fresh store).
        if (streamMissing) await ensureTaskEventStream(this.connection).catch(() => undefined);
        this.retryTimer = undefined;
        this.recovering = false;
        this.pump();
      })();
    }, delay);
  }
}

function isNoResponders(error: unknown): boolean {
  if (error instanceof Error && error.name === 'JetStreamNotEnabled') return true;
  return error instanceof errors.RequestError && error.isNoResponders();
}

/** Failures that sending again cannot fix. */
function isPermanent(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code !== API_CODES.wrongLastMsgId;
  const cause = error instanceof errors.RequestError && error.cause ? error.cause : error;
  return (
    cause instanceof errors.PermissionViolationError ||
    cause instanceof errors.ClosedConnectionError ||
    cause instanceof errors.DrainingConnectionError ||
    cause instanceof errors.InvalidArgumentError ||
    cause instanceof errors.InvalidSubjectError
  );
}

/** One stored event: where the stream put it, its subject, and its decoded body. */
export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly body: unknown;
}

/**
 * Stored events, then live ones, in stream order with no gap or duplicate between the two.
 * Iterate it once; `close()` (or leaving the loop) stops delivery and deletes the server's consumer.
 */
export interface EventReplay extends AsyncIterable<StoredEvent> {
  /** The server-side consumer currently delivering (it is recreated after a server restart). */
  readonly consumerName: string;
  close(): Promise<void>;
}

export interface ReplayOptions {
  /** Called for a stored event whose body the codec cannot read; the event is skipped. */
  readonly onMalformed?: (seq: number, subject: string, error: unknown) => void;
}

/** How long a consumer nobody pulls from survives (its reader died, or could not delete it). */
const ORPHAN_CONSUMER_MS = 60_000;
const RECREATE_BACKOFF_MS = [100, 250, 500, 1_000, 2_000] as const;

/**
 * The ui's side of the task event stream: one replay per open page, each reading through an
 * ephemeral consumer of its own that is treated as ordered: the moment a delivery is missing (a
 * message lost on the wire), the consumer vanished (a nats-server restart drops it) or the
 * connection came back, the replay replaces it with a fresh one starting right after the last
 * event it delivered, so a page neither misses nor repeats anything. nats.js's own ordered
 * consumer does this too, but recreates consumers behind the caller's back, even after it was
 * stopped, which leaves orphans on the server; here every consumer is made and deleted in one place.
 */
export class TaskEventReader {
  private readonly js: JetStreamClient;
  private readonly jsm: Promise<JetStreamManager>;
  private readonly open = new Set<ResumingReplay>();

  private constructor(
    private readonly connection: NatsConnection,
    private readonly ownsConnection: boolean,
  ) {
    this.js = jetstream(connection);
    this.jsm = jetstreamManager(connection, { checkAPI: false });
    void this.followReconnects();
  }

  /** A reader on an open connection, which stays the caller's. */
  static on(connection: NatsConnection): TaskEventReader {
    return new TaskEventReader(connection, false);
  }

  /** A reader with its own connection as `service`, closed with the reader. */
  static async connect(service: ServiceName, credentials: BusCredentials): Promise<TaskEventReader> {
    return new TaskEventReader(await connectBus(service, credentials, 'client'), true);
  }

  /** Replays open right now (each holds one consumer on the server). */
  get openReplays(): number {
    return this.open.size;
  }

  /**
   * Events on `filterSubject` (inside `events.orchestrator.task.>`) with a stream sequence after
   * `afterSeq` — all of them when undefined — then live ones as they are stored. Resolves once the
   * consumer exists, so a refusal (INVALID_INPUT, UNAVAILABLE when the stream does not exist yet,
   * FORBIDDEN) surfaces here rather than mid-stream. An `afterSeq` beyond the stream's last
   * sequence comes from a stream that has since been recreated: everything is replayed.
   */
  async replay(
    filterSubject: string,
    afterSeq: number | undefined,
    options: ReplayOptions = {},
  ): Promise<EventReplay> {
    if (!isWithin(filterSubject, TASK_EVENT_SUBJECTS)) {
      throw new StewardError('INVALID_INPUT', `${filterSubject} is not within ${TASK_EVENT_SUBJECTS}`);
    }
    if (afterSeq !== undefined && (!Number.isSafeInteger(afterSeq) || afterSeq < 0)) {
      throw new StewardError('INVALID_INPUT', 'afterSeq is a stream sequence: a whole number ≥ 0');
    }
    if (this.connection.isClosed()) throw new StewardError('UNAVAILABLE', 'the task event reader is closed');
    let after: number;
    try {
      const stream = await this.js.streams.get(TASK_EVENT_STREAM);
      const last = (await stream.info(true)).state.last_seq;
      after = afterSeq === undefined || afterSeq > last ? 0 : afterSeq;
    } catch (error) {
      throw fromJetStreamError(error, `replaying ${filterSubject}`);
    }
    const replay = new ResumingReplay(this.js, await this.jsm, filterSubject, after, options, () =>
      this.open.delete(replay),
    );
    await replay.start();
    this.open.add(replay);
    return replay;
  }

  /** Closes every open replay (deleting their consumers), then its own connection. */
  async close(): Promise<void> {
    await Promise.all([...this.open].map((replay) => replay.close()));
    if (this.ownsConnection && !this.connection.isClosed()) {
      await this.connection.drain().catch(() => this.connection.close());
    }
  }

  private async followReconnects(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'reconnect') for (const replay of this.open) replay.resume();
    }
  }
}

/** Whether every subject `filter` matches is also matched by `pattern` (which ends in `>`). */
function isWithin(filter: string, pattern: string): boolean {
  if (!/^[A-Za-z0-9_*>.-]+$/.test(filter)) return false;
  const tokens = filter.split('.');
  if (tokens.some((token, i) => token === '' || (token === '>' && i !== tokens.length - 1))) return false;
  if (tokens.some((token) => token.length > 1 && /[*>]/.test(token))) return false;
  const prefix = pattern.split('.').slice(0, -1);
  return tokens.length > prefix.length && prefix.every((token, i) => tokens[i] === token);
}

function isRefusal(error: unknown): boolean {
  const cause = error instanceof errors.RequestError && error.cause ? error.cause : error;
  return (
    cause instanceof errors.PermissionViolationError ||
    cause instanceof errors.ClosedConnectionError ||
    cause instanceof errors.DrainingConnectionError
  );
}

interface Reading {
  readonly consumer: Consumer;
  readonly name: string;
  readonly messages: ConsumerMessages;
}

class ResumingReplay implements EventReplay {
  private readonly namePrefix = `steward_ui_${randomUUID().replaceAll('-', '')}`;
  private serial = 0;
  private reading: Reading | undefined;
  private creating: Promise<Reading> | undefined;
  private closing: Promise<void> | undefined;
  private iterating = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly filterSubject: string,
    /** The last stream sequence delivered (or skipped past): the next consumer starts after it. */
    private lastSeq: number,
    private readonly options: ReplayOptions,
    private readonly onClosed: () => void,
  ) {}

  get consumerName(): string {
    return this.reading?.name ?? '';
  }

  /** Makes the first consumer; its failure is the caller's. */
  async start(): Promise<void> {
    try {
      this.reading = await this.create();
    } catch (error) {
      throw fromJetStreamError(error, `replaying ${this.filterSubject}`);
    }
  }

  /** Drops the current consumer so the loop reads on from a fresh one (after a reconnect). */
  resume(): void {
    if (this.closing === undefined) this.reading?.messages.stop();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.iterating) throw new StewardError('CONFLICT', 'a replay is iterated once');
    this.iterating = true;
    try {
      while (this.closing === undefined) {
        const reading = this.reading ?? (await this.recreate());
        if (reading === undefined) break;
        try {
          let delivered = 0;
          for await (const message of reading.messages) {
            // A delivery number that skips means one was lost: read on from a fresh consumer.
            if (message.info.deliverySequence !== ++delivered) break;
            if (message.seq <= this.lastSeq) continue;
            this.lastSeq = message.seq;
            let body: unknown;
            try {
              body = decodeBody(message.data);
            } catch (error) {
              this.options.onMalformed?.(message.seq, message.subject, error);
              continue;
            }
            yield { seq: message.seq, subject: message.subject, body };
          }
        } catch (error) {
          if (this.closing === undefined && isRefusal(error)) {
            throw fromJetStreamError(error, `replaying ${this.filterSubject}`);
          }
        }
        if (this.reading === reading) this.reading = undefined;
        reading.messages.stop();
        await reading.consumer.delete().catch(() => undefined);
      }
    } finally {
      await this.close();
    }
  }

  /**
   * Stops delivery and deletes the consumer. Never fails: a consumer that cannot be deleted right
   * now (server down, connection closed) has no one pulling from it and expires by itself.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const reading = this.reading ?? (await this.creating?.catch(() => undefined));
      this.reading = undefined;
      if (reading) {
        reading.messages.stop();
        await reading.consumer.delete().catch(() => undefined);
      }
      this.onClosed();
    })();
    return this.closing;
  }

  private async create(): Promise<Reading> {
    const name = `${this.namePrefix}_${++this.serial}`;
    const info = await this.jsm.consumers.add(TASK_EVENT_STREAM, {
      name,
      filter_subject: this.filterSubject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.lastSeq + 1,
      ack_policy: AckPolicy.None,
      max_deliver: 1,
      replay_policy: ReplayPolicy.Instant,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(ORPHAN_CONSUMER_MS),
    });
    const consumer = this.js.consumers.getConsumerFromInfo(info);
    const messages = await consumer.consume({ max_messages: 256 });
    void this.watch(messages);
    return { consumer, name, messages };
  }

  /** A consumer that is gone (server restart, deleted) is not waited for: a fresh one replaces it. */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_not_found' || status.type === 'consumer_deleted') {
        messages.stop();
        return;
      }
    }
  }

  /** A fresh consumer from where delivery stopped, retried until it exists, a refusal, or close. */
  private async recreate(): Promise<Reading | undefined> {
    for (let attempt = 0; this.closing === undefined; attempt++) {
      this.creating = this.create();
      try {
        const reading = await this.creating;
        if (this.closing !== undefined) {
          reading.messages.stop();
          await reading.consumer.delete().catch(() => undefined);
          return undefined;
        }
        this.reading = reading;
        return reading;
      } catch (error) {
        if (isRefusal(error)) throw fromJetStreamError(error, `replaying ${this.filterSubject}`);
        const wait = RECREATE_BACKOFF_MS[Math.min(attempt, RECREATE_BACKOFF_MS.length - 1)]!;
        await new Promise((resolve) => setTimeout(resolve, wait));
      } finally {
        this.creating = undefined;
      }
    }
    return undefined;
  }
}
