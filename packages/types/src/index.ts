export * from './auth.ts';
export * from './common.ts';
export * from './env.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './permissions.ts';
export * from './resources/index.ts';
export type * from './socket.ts';
export * from './sync.ts';
