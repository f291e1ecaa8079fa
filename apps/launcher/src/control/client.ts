import { isAlive, readState, stateFile } from '../state.ts';

/** Talks to the running launcher of `dataDir` (for `cluster:scale` and `cluster:status`). */
export async function callLauncher(
  dataDir: string,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown; timeoutMs?: number },
): Promise<Record<string, unknown>> {
  const state = readState(dataDir);
  if (!state || !isAlive(state.pid)) {
    throw new Error(
      `no local cluster is running (no live launcher in ${stateFile(dataDir)}); start one with npm start`,
    );
  }
  const res = await fetch(`http://127.0.0.1:${state.controlPort}${request.path}`, {
    method: request.method,
    headers: {
      authorization: `Bearer ${state.controlToken}`,
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    signal: AbortSignal.timeout(request.timeoutMs ?? 120_000),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`launcher answered ${res.status}: ${String(body.error ?? '')}`);
  return body;
}
