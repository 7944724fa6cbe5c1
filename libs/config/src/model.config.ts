import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { StewardError } from '@steward/contracts';
import type { Env, StewardPaths } from './runtime.config.js';
import { readFileNoFollow } from './secure-file.js';

/** The default of the `models.defaultModel` policy key (`STEWARD_MODEL`, settings.json, managed policy). */
export const DEFAULT_MODEL = 'claude-sonnet-4-5';
/** How long an approval nobody answers waits before it fails closed. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 60 * 60_000;

export interface ModelSettings {
  /** `ANTHROPIC_BASE_URL`: another endpoint that speaks the Messages API (a gateway, Ollama, …). */
  readonly anthropicBaseUrl: string | undefined;
  /** `STEWARD_OPENAI_BASE_URL`: an OpenAI-compatible chat endpoint (LM Studio, vLLM, llama.cpp). */
  readonly openaiBaseUrl: string | undefined;
  /** `STEWARD_APPROVAL_TIMEOUT_MS`. */
  readonly approvalTimeoutMs: number;
}

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function parseUrl(env: Env, name: string): string | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StewardError('INVALID_INPUT', `${name} must be a URL, got "${raw}"`, {
      details: { variable: name },
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StewardError('INVALID_INPUT', `${name} must be an http(s) URL`, {
      details: { variable: name },
    });
  }
  return raw.replace(/\/+$/, '');
}

export function loadModelSettings(env: Env = process.env): ModelSettings {
  const timeout = envValue(env, 'STEWARD_APPROVAL_TIMEOUT_MS');
  const approvalTimeoutMs = timeout === undefined ? DEFAULT_APPROVAL_TIMEOUT_MS : Number(timeout);
  if (!Number.isSafeInteger(approvalTimeoutMs) || approvalTimeoutMs < 100) {
    throw new StewardError(
      'INVALID_INPUT',
      'STEWARD_APPROVAL_TIMEOUT_MS must be a whole number of ms ≥ 100',
      {
        details: { variable: 'STEWARD_APPROVAL_TIMEOUT_MS' },
      },
    );
  }
  return Object.freeze({
    anthropicBaseUrl: parseUrl(env, 'ANTHROPIC_BASE_URL'),
    openaiBaseUrl: parseUrl(env, 'STEWARD_OPENAI_BASE_URL'),
    approvalTimeoutMs,
  });
}

export type ModelKeySource = 'env' | 'saved' | 'none';

/**
 * The model API keys: `ANTHROPIC_API_KEY` from the environment wins; otherwise the key the person
 * saved from the page, kept in `run/anthropic-key` (0600, never a symlink). Keys are only ever
 * handed to the model client; nothing here logs or returns them to callers beyond that.
 */
export class ModelKeyStore {
  constructor(
    private readonly paths: StewardPaths,
    private readonly env: Env = process.env,
  ) {}

  private get file(): string {
    return join(this.paths.runDir, 'anthropic-key');
  }

  anthropic(): { key: string | undefined; source: ModelKeySource } {
    const fromEnv = envValue(this.env, 'ANTHROPIC_API_KEY');
    if (fromEnv !== undefined) return { key: fromEnv, source: 'env' };
    const read = readFileNoFollow(this.file);
    if (!read.ok) return { key: undefined, source: 'none' };
    if ((read.stats.mode & 0o077) !== 0) {
      throw new StewardError(
        'FORBIDDEN',
        `${this.file} is open to other users; run chmod 600 on it or save the key again`,
      );
    }
    const key = read.text.trim();
    return key === '' ? { key: undefined, source: 'none' } : { key, source: 'saved' };
  }

  /** The OpenAI-compatible endpoint's key, when it needs one (`STEWARD_OPENAI_API_KEY`). */
  openai(): string | undefined {
    return envValue(this.env, 'STEWARD_OPENAI_API_KEY');
  }

  /** Writes the key atomically, readable by this user only. */
  saveAnthropic(key: string): void {
    mkdirSync(this.paths.runDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0),
      0o600,
    );
    try {
      writeSync(fd, `${key}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }
}
