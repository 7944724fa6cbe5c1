export { busConnectionOptions, connectBus, type BusCredentials } from './bus-connection.js';
export { BusClient, type BusState, type RequestOptions } from './bus-client.js';
export { StewardBusServer, isMalformedPayload } from './bus-server.js';
export { RpcHandler, type CallContext } from './rpc-handler.decorator.js';
export { fromNatsError } from './bus-errors.js';
export { BLOB_MIN_CHARS, decodeBody, encodeBody, MalformedBodyError } from './body-codec.js';
