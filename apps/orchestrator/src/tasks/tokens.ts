/** Injection tokens of the model side of the orchestrator. */
export const MODEL_ROUTER = Symbol('MODEL_ROUTER');
export const MODEL_SETTINGS = Symbol('MODEL_SETTINGS');
export const MODEL_KEYS = Symbol('MODEL_KEYS');
