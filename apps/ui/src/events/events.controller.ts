import { Controller, Headers, Inject, Query, Sse, type MessageEvent } from '@nestjs/common';
import { Ctx, EventPattern, Payload, type NatsContext } from '@nestjs/microservices';
import { map, type Observable } from 'rxjs';
import { EventHub } from './event-hub.service.js';

@Controller('api/events')
export class EventsController {
  constructor(@Inject(EventHub) private readonly hub: EventHub) {}

  /** Every event any service publishes on `events.>` reaches the hub. */
  @EventPattern('events.>')
  onBusEvent(@Payload() data: unknown, @Ctx() ctx: unknown): void {
    const subject = (ctx as NatsContext).getSubject();
    this.hub.publish(subject, data);
  }

  /** Server-sent events; `Last-Event-ID` (or `?after=`) replays what the page missed. */
  @Sse()
  stream(
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('after') after: string | undefined,
    @Query('prefix') prefix: string | undefined,
  ): Observable<MessageEvent> {
    const from = Number.parseInt(lastEventId ?? after ?? '', 10);
    return this.hub
      .stream(Number.isSafeInteger(from) ? from : undefined, prefix)
      .pipe(map((event) => ({ id: String(event.id), type: 'bus', data: event })));
  }
}
