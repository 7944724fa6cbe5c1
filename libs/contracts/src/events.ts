import { SUBJECT_PREFIX, type ServiceName } from './services.js';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** `events.<service>.<noun>.<id>.<kind>` — the id is checked so it cannot add or widen tokens. */
export function eventSubject(service: ServiceName, noun: string, id: string, kind: string): string {
  for (const part of [noun, id, kind]) {
    if (!TOKEN.test(part)) throw new Error(`event subject token "${part}" is not [A-Za-z0-9_-]+`);
  }
  return `events.${SUBJECT_PREFIX[service]}.${noun}.${id}.${kind}`;
}
