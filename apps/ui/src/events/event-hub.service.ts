import { Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';

export interface BusEvent {
  readonly id: number;
  readonly subject: string;
  readonly data: unknown;
  readonly receivedAt: string;
}

const REPLAY_CAPACITY = 1_000;

/**
 * Fans bus events out to browsers. Keeps the most recent ones so a page that reconnects with
 * `Last-Event-ID` gets what it missed (durable replay across restarts comes from JetStream).
 */
@Injectable()
export class EventHub {
  private readonly live = new Subject<BusEvent>();
  private readonly recent: BusEvent[] = [];
  private nextId = 1;

  publish(subject: string, data: unknown): BusEvent {
    const event: BusEvent = { id: this.nextId++, subject, data, receivedAt: new Date().toISOString() };
    this.recent.push(event);
    if (this.recent.length > REPLAY_CAPACITY) this.recent.shift();
    this.live.next(event);
    return event;
  }

  /** Events after `afterId` (replayed first), then live ones, optionally only under a subject prefix. */
  stream(afterId: number | undefined, prefix?: string): Observable<BusEvent> {
    const matches = (e: BusEvent): boolean => prefix === undefined || e.subject.startsWith(prefix);
    return new Observable<BusEvent>((subscriber) => {
      let lastSent = afterId ?? this.nextId - 1;
      for (const event of this.recent) {
        if (event.id > lastSent && matches(event)) {
          subscriber.next(event);
          lastSent = event.id;
        }
      }
      const subscription = this.live.subscribe((event) => {
        if (event.id > lastSent && matches(event)) {
          lastSent = event.id;
          subscriber.next(event);
        }
      });
      return () => subscription.unsubscribe();
    });
  }
}
