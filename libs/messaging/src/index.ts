export { busConnectionOptions, connectBus, type BusCredentials } from './bus-connection.js';
export { BusClient, type BusState, type RequestOptions } from './bus-client.js';
export { StewardBusServer, isMalformedPayload } from './bus-server.js';
export { RpcHandler, type CallContext } from './rpc-handler.decorator.js';
export { fromNatsError } from './bus-errors.js';
export { BLOB_MIN_CHARS, decodeBody, encodeBody, MalformedBodyError } from './body-codec.js';
export {
  ensureTaskEventStream,
  TASK_EVENT_STREAM_LIMITS,
  TaskEventLog,
  TaskEventReader,
  taskEventStreamConfig,
  type AppendOptions,
  type EventReplay,
  type ReplayOptions,
  type StoredEvent,
  type StreamEnsured,
  type TaskEventLogOptions,
} from './event-log.js';
