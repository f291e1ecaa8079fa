export * from './env.ts';
export * from './tokens.ts';
