import {
  context,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

const setter: TextMapSetter<MsgHdrs> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys(carrier) {
    return carrier ? [...carrier.keys()] : [];
  },
  get(carrier, key) {
    if (!carrier?.has(key)) return undefined;
    return carrier.get(key);
  },
};

/** W3C `traceparent`/`tracestate` of the active context, as NATS headers (undefined when there is none). */
export function outgoingTraceHeaders(active: Context = context.active()): MsgHdrs | undefined {
  const carrier = natsHeaders();
  propagation.inject(active, carrier, setter);
  return carrier.has('traceparent') ? carrier : undefined;
}

export function incomingTraceContext(carrier: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), carrier, getter);
}
