import { lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { policyFingerprint, type EffectivePolicy } from './effective-policy.js';
import { MANAGED_DROP_IN_DIR_NAME, MANAGED_FILE_NAME, resolveManagedLocation } from './managed-source.js';
import { loadPolicy, type LoadPolicyOptions } from './policy-loader.js';

export interface PolicyStoreOptions extends LoadPolicyOptions {
  /** Follow changes to the managed files and settings.json; on by default. */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  /** The safety net for changes `fs.watch` misses (network file systems, re-created folders). */
  readonly pollIntervalMs?: number;
  /** How often, and how far apart, an unparseable file is re-read before it fails closed. */
  readonly parseRetries?: number;
  readonly parseRetryDelayMs?: number;
}

export type PolicyChangeListener = (next: EffectivePolicy, previous: EffectivePolicy) => void;

interface WatchedDir {
  readonly key: string;
  readonly watcher: FSWatcher;
}

/**
 * Holds the effective policy and replaces it as one immutable object when a source changes, so a
 * reader always sees an old or a new policy whole.
 */
export class PolicyStore {
  #current: EffectivePolicy;
  #fingerprint: string;
  #signature = '';
  #closed = false;
  #running: Promise<void> | undefined;
  #again = false;
  #debounce: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<PolicyChangeListener>();
  readonly #watchers = new Map<string, WatchedDir>();

  private constructor(
    private readonly options: PolicyStoreOptions,
    initial: EffectivePolicy,
  ) {
    this.#current = initial;
    this.#fingerprint = policyFingerprint(initial);
  }

  static async open(options: PolicyStoreOptions): Promise<PolicyStore> {
    const store = new PolicyStore(options, loadPolicy(options));
    await store.reload();
    if (options.watch ?? true) {
      store.#poll = setInterval(() => store.#pollOnce(), options.pollIntervalMs ?? 2000);
      store.#poll.unref();
    }
    return store;
  }

  get current(): EffectivePolicy {
    return this.#current;
  }

  /** The listener runs only when the policy version changes; the returned function unsubscribes. */
  onChange(listener: PolicyChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Re-reads every source now; resolves with the policy in force afterwards. */
  async reload(): Promise<EffectivePolicy> {
    await this.#kick();
    return this.#current;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#debounce);
    clearInterval(this.#poll);
    for (const { watcher } of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#listeners.clear();
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#kick(), this.options.debounceMs ?? 100);
    this.#debounce.unref();
  }

  #kick(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #reloadOnce(): Promise<void> {
    const retries = this.options.parseRetries ?? 3;
    // Taken before reading, so a change landing mid-read differs from it and the poll catches it.
    let signature = this.#readSignature();
    let next = loadPolicy(this.options);
    // A writer caught mid-write leaves a truncated file; give it a moment to finish before failing closed.
    for (let attempt = 0; attempt < retries && isMidWrite(next); attempt += 1) {
      await sleep(this.options.parseRetryDelayMs ?? 70);
      if (this.#closed) return;
      signature = this.#readSignature();
      next = loadPolicy(this.options);
    }
    if (this.#closed) return;
    this.#signature = signature;
    if (this.options.watch ?? true) this.#rearmWatchers();
    this.#swap(next);
  }

  #swap(next: EffectivePolicy): void {
    const fingerprint = policyFingerprint(next);
    if (fingerprint === this.#fingerprint) return;
    const previous = this.#current;
    this.#current = next;
    this.#fingerprint = fingerprint;
    if (next.version === previous.version) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(next, previous);
      } catch (error) {
        // One faulty subscriber must not keep the others on a stale policy.
        process.emitWarning(
          error instanceof Error ? error : new Error(String(error)),
          'PolicyListenerWarning',
        );
      }
    }
  }

  #pollOnce(): void {
    if (this.#closed || this.#running !== undefined) return;
    if (this.#readSignature() !== this.#signature) this.#schedule();
  }

  #locations(): { managedDir: string | undefined; dropInDir: string | undefined } {
    const { dir } = resolveManagedLocation({
      env: this.options.env ?? process.env,
      managedDir: this.options.managedDir,
      platform: this.options.platform ?? process.platform,
      trustedOwnerUid: this.options.trustedOwnerUid ?? 0,
    });
    return {
      managedDir: dir,
      dropInDir: dir === undefined ? undefined : join(dir, MANAGED_DROP_IN_DIR_NAME),
    };
  }

  /** Identity, size, times, owner and mode of every source: a chmod or chown is a change too. */
  #readSignature(): string {
    const { managedDir, dropInDir } = this.#locations();
    const paths = [this.options.settingsFile];
    if (managedDir !== undefined) paths.push(managedDir, join(managedDir, MANAGED_FILE_NAME));
    if (dropInDir !== undefined) {
      paths.push(dropInDir);
      try {
        paths.push(
          ...readdirSync(dropInDir)
            .sort()
            .map((name) => join(dropInDir, name)),
        );
      } catch {
        // No drop-in folder: its own absence is already part of the signature.
      }
    }
    return paths.map((path) => `${path}=${statSignature(path)}`).join('\n');
  }

  #rearmWatchers(): void {
    const { managedDir, dropInDir } = this.#locations();
    const settingsName = basename(this.options.settingsFile);
    const wanted = new Map<string, (name: string | null) => boolean>();
    if (managedDir !== undefined) wanted.set(managedDir, () => true);
    if (dropInDir !== undefined) wanted.set(dropInDir, () => true);
    // The folder, not the file: a rename over the file would leave a file watcher on the old inode.
    const settingsDir = dirname(this.options.settingsFile);
    if (!wanted.has(settingsDir)) wanted.set(settingsDir, (name) => name === null || name === settingsName);

    for (const [path, watched] of this.#watchers) {
      if (!wanted.has(path) || watched.key !== directoryKey(path)) {
        watched.watcher.close();
        this.#watchers.delete(path);
      }
    }
    for (const [path, relevant] of wanted) {
      const key = directoryKey(path);
      if (key === undefined || this.#watchers.has(path)) continue;
      try {
        const watcher = watch(path, { persistent: false }, (_event, name) => {
          if (relevant(name)) this.#schedule();
        });
        watcher.on('error', () => {
          watcher.close();
          this.#watchers.delete(path);
          this.#schedule();
        });
        this.#watchers.set(path, { key, watcher });
      } catch {
        // Out of inotify watches, or the folder vanished meanwhile: the poll still notices changes.
      }
    }
  }
}

function isMidWrite(policy: EffectivePolicy): boolean {
  return policy.errors.some((issue) => issue.code === 'unparseable-source');
}

function statSignature(path: string): string {
  try {
    const s = lstatSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.mode}:${s.uid}`;
  } catch {
    return 'absent';
  }
}

/** A folder deleted and re-created is a new inode, and a watcher on the old one hears nothing. */
function directoryKey(path: string): string | undefined {
  try {
    const s = lstatSync(path);
    return s.isDirectory() ? `${s.dev}:${s.ino}` : undefined;
  } catch {
    return undefined;
  }
}
