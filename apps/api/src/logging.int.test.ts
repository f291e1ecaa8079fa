import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

let t: TestApi;
let output = '';

beforeAll(async () => {
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  t = await startTestApi({ logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await t?.close();
});

describe('request log', () => {
  it('logs requests without their credentials', async () => {
    const token = await t.token('admin', [], 'logged-user');
    const me = await t.request('/api/auth/me', {
      token,
      headers: { cookie: 'session=cookie-secret-value' },
    });
    expect(me.status).toBe(200);
    // An error answer is logged a second time, by the error handler.
    const refused = await t.request('/api/clients', {
      method: 'POST',
      token,
      headers: { 'idempotency-key': 'log-key-1' },
      json: { fullName: 42 },
    });
    expect(refused.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(output).toContain('"url":"/api/auth/me"');
    expect(output).toContain('"method":"POST"');
    expect(output).toContain('log-key-1');
    expect(output).not.toContain(token);
    expect(output).not.toContain(token.split('.')[2]);
    expect(output).not.toContain('cookie-secret-value');
    expect(output).toContain('[redacted]');
  });
});
