export * from './context.ts';
export * from './database.ts';
export * from './fault-proxy.ts';
export * from './mode.ts';
export * from './postgres.ts';
export * from './process-control.ts';
export * from './redis.ts';
export type * from './server.ts';
export type * from './stack-info.ts';
