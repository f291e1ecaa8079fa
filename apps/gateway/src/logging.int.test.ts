import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  branchA,
  branchB,
  type Cluster,
  closeClients,
  connect,
  staffToken,
  startCluster,
  subscribe,
  tokenFor,
} from './testing/cluster.ts';

let output = '';
const sink = new PassThrough();
sink.on('data', (chunk: Buffer) => {
  output += chunk.toString();
});
const logger = pino({ level: 'trace' }, sink);
const clusters: Cluster[] = [];

afterEach(closeClients);
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()));
});

describe('gateway log', () => {
  it('never carries a handshake token, accepted or refused', async () => {
    const ok = await startCluster(1, { logger });
    clusters.push(ok);
    const okUrl = ok.urls[0] ?? '';

    const good = await staffToken(branchA);
    const viaHeader = await tokenFor({ sub: 'header-user', role: 'admin' });
    const expired = await tokenFor({ role: 'admin' }, -60);
    const socket = await connect(okUrl, { token: good });
    expect(await subscribe(socket, ['clients'])).toMatchObject({ granted: [`clients@${branchA}`] });
    expect((await subscribe(socket, [`clients@${branchB}`])).denied).toHaveLength(1);
    await connect(okUrl, { extraHeaders: { authorization: `Bearer ${viaHeader}` } });
    await expect(connect(okUrl, { token: expired })).rejects.toThrow('token expired');
    await expect(connect(okUrl, { token: 'not.a.jwt' })).rejects.toThrow('invalid token');
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(output).toContain('gateway listening');
    expect(output).toContain('subscription denied');
    for (const token of [good, viaHeader, expired, 'not.a.jwt']) {
      expect(output).not.toContain(token);
      expect(output).not.toContain(token.split('.')[2]);
    }
  });
});
