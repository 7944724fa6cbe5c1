export const UI_TOKEN = Symbol('steward.ui-token');
