export * from './backoff.ts';
export {
  type ChangeHandler,
  type PresenceHandler,
  type PresenceUpdate,
  RealtimeClient,
  type RealtimeClientOptions,
} from './client.ts';
export * from './merge.ts';
