import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPolicy, PolicyStore, type EffectivePolicy } from '../src/index.js';
import {
  createPolicyFixture,
  expectEveryKeyFailedClosed,
  writeWithMode,
  type PolicyFixture,
} from './policy-fixture.js';

let fx: PolicyFixture;
let store: PolicyStore | undefined;
beforeEach(() => {
  fx = createPolicyFixture();
});
afterEach(() => {
  store?.close();
  store = undefined;
  fx.cleanup();
});

const OLD = { 'sandbox.network': 'none', 'budget.maxTurns': 100, 'plugins.blocked': ['old-a', 'old-b'] };
const NEW = { 'sandbox.network': 'proxy', 'budget.maxTurns': 50, 'plugins.blocked': ['new-a'] };

/** Everything a reader sees while files change: each change event and the store's current value, sampled often. */
class Observer {
  readonly events: Array<{ next: EffectivePolicy; previous: EffectivePolicy }> = [];
  readonly samples: EffectivePolicy[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(readonly store: PolicyStore) {
    store.onChange((next, previous) => this.events.push({ next, previous }));
    this.#timer = setInterval(() => this.samples.push(store.current), 2);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  all(): EffectivePolicy[] {
    return [...this.samples, ...this.events.flatMap(({ next, previous }) => [next, previous])];
  }
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the policy store');
    await sleep(10);
  }
}

function expectWhole(observed: EffectivePolicy[], expected: EffectivePolicy[]): void {
  const allowed = expected.map((policy) => policy.values);
  for (const policy of observed) {
    expect(allowed).toContainEqual(policy.values);
    expect(expected.map((p) => p.version)).toContain(policy.version);
  }
}

async function openStore(): Promise<PolicyStore> {
  store = await PolicyStore.open({ ...fx.options, debounceMs: 20, pollIntervalMs: 200, parseRetries: 6 });
  return store;
}

/** The policy the store should settle on, computed from what is on disk now. */
function expectedFromDisk(): EffectivePolicy {
  return loadPolicy(fx.options);
}

describe('PolicyStore', () => {
  it('starts with the policy on disk', async () => {
    fx.writeManaged(OLD);
    const opened = await openStore();
    expect(opened.current.values['budget.maxTurns']).toBe(100);
    expect(opened.current.version).toBe(expectedFromDisk().version);
  });

  it('a half-written managed file that is then completed: readers see only the old or the new policy', async () => {
    const file = fx.writeManaged(OLD);
    const before = expectedFromDisk();
    const observer = new Observer(await openStore());

    const full = JSON.stringify(NEW, null, 2);
    writeFileSync(file, full.slice(0, Math.floor(full.length / 2)));
    await sleep(40);
    writeFileSync(file, full);
    const after = expectedFromDisk();
    await until(() => observer.store.current.version === after.version);
    await sleep(300);
    observer.stop();

    expect(after.values['sandbox.network']).toBe('proxy');
    expectWhole(observer.all(), [before, after]);
    expect(observer.events).toHaveLength(1);
    expect(observer.events[0]?.previous.version).toBe(before.version);
    expect(observer.events[0]?.next.version).toBe(after.version);
  });

  it('a new file renamed over the managed file: one change event from the old to the new policy', async () => {
    const file = fx.writeManaged(OLD);
    const before = expectedFromDisk();
    const observer = new Observer(await openStore());

    const temporary = writeWithMode(join(fx.managedDir, 'managed-settings.json.tmp'), NEW);
    renameSync(temporary, file);
    const after = expectedFromDisk();
    await until(() => observer.store.current.version === after.version);
    await sleep(300);
    observer.stop();

    expectWhole(observer.all(), [before, after]);
    expect(observer.events.map(({ next }) => next.version)).toEqual([after.version]);
  });

  it('a drop-in renamed into managed-settings.d is picked up whole', async () => {
    fx.writeManaged(OLD);
    fx.writeDropIn('00-base.json', { 'scheduler.minIntervalSeconds': 120 });
    const before = expectedFromDisk();
    const observer = new Observer(await openStore());

    const temporary = writeWithMode(join(fx.dropInDir, '.50-new.json.partial'), NEW);
    renameSync(temporary, join(fx.dropInDir, '50-new.json'));
    const after = expectedFromDisk();
    await until(() => observer.store.current.version === after.version);
    observer.stop();

    expect(after.values['budget.maxTurns']).toBe(50);
    expect(after.values['scheduler.minIntervalSeconds']).toBe(120);
    expectWhole(observer.all(), [before, after]);
  });

  it('a file left half-written fails closed after the retries, with an error naming it', async () => {
    const file = fx.writeManaged(OLD);
    const observer = new Observer(await openStore());
    writeFileSync(file, '{ "budget.maxTurns": 5');
    await until(() => observer.events.length === 1);
    observer.stop();
    const failed = observer.store.current;
    expectEveryKeyFailedClosed(failed);
    expect(failed.errors[0]).toMatchObject({ code: 'unparseable-source', source: file });
  });

  it('a managed file made group-writable while running fails closed', async () => {
    const file = fx.writeManaged(OLD);
    const opened = await openStore();
    chmodSync(file, 0o664);
    await until(() => opened.current.sources['budget.maxTurns'].kind === 'fail-closed');
    expectEveryKeyFailedClosed(opened.current);
  });

  it('follows the person’s settings.json too', async () => {
    const opened = await openStore();
    fx.writeSettings({ 'budget.maxTurns': 77 });
    await until(() => opened.current.values['budget.maxTurns'] === 77);
    expect(opened.current.sources['budget.maxTurns'].kind).toBe('settings');
  });

  it('does not fire when a rewrite leaves every value the same', async () => {
    const file = fx.writeManaged(OLD);
    const opened = await openStore();
    let fired = 0;
    opened.onChange(() => {
      fired += 1;
    });
    writeWithMode(file, { ...OLD });
    writeWithMode(file, JSON.stringify(OLD));
    await sleep(300);
    expect(opened.current.version).toBe(expectedFromDisk().version);
    expect(fired).toBe(0);
  });

  it('stops notifying after unsubscribe and after close', async () => {
    const file = fx.writeManaged(OLD);
    const opened = await openStore();
    let fired = 0;
    const unsubscribe = opened.onChange(() => {
      fired += 1;
    });
    writeWithMode(file, NEW);
    await until(() => fired === 1);
    unsubscribe();
    writeWithMode(file, OLD);
    await until(() => opened.current.values['budget.maxTurns'] === 100);
    opened.close();
    const closedVersion = opened.current.version;
    writeWithMode(file, NEW);
    await sleep(300);
    expect(fired).toBe(1);
    expect(opened.current.version).toBe(closedVersion);
  });

  it('keeps other listeners informed when one throws', async () => {
    const file = fx.writeManaged(OLD);
    const opened = await openStore();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    let seen = 0;
    opened.onChange(() => {
      throw new Error('faulty subscriber');
    });
    opened.onChange(() => {
      seen += 1;
    });
    writeWithMode(file, NEW);
    await until(() => seen === 1 && warnings.length === 1);
    process.off('warning', onWarning);
    expect(warnings[0]?.message).toBe('faulty subscriber');
  });

  it('with watch off, changes only on reload()', async () => {
    const file = fx.writeManaged(OLD);
    store = await PolicyStore.open({ ...fx.options, watch: false });
    writeWithMode(file, NEW);
    await sleep(200);
    expect(store.current.values['budget.maxTurns']).toBe(100);
    expect((await store.reload()).values['budget.maxTurns']).toBe(50);
  });
});
