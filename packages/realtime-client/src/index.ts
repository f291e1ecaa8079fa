export * from './backoff.ts';
export { type ChangeHandler, RealtimeClient, type RealtimeClientOptions } from './client.ts';
export * from './merge.ts';
