import { closeClients, connect, record, subscribe } from '@dynapharm/gateway/testing';
import {
  can,
  globalResources,
  type ResourceName,
  type Role,
  resourceNames,
} from '@dynapharm/types';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type System, startSystem } from './system.ts';

let sys: System;
let admin: string;
let branchA: string;
let branchB: string;

beforeAll(async () => {
  sys = await startSystem({ gateways: 2 });
  admin = await sys.api.token('admin');
  [branchA, branchB] = sys.api.branches.map((b) => b.id) as [string, string];
});
afterAll(async () => {
  await sys?.close();
});
afterEach(() => closeClients());

async function firstId(resource: ResourceName, branchId: string) {
  const query = globalResources.has(resource) ? '' : `&branchId=${branchId}`;
  const res = await sys.api.request(`/api/${resource}?limit=1${query}`, { token: admin });
  const { items } = (await res.json()) as { items: { id: string; version: number }[] };
  const row = items[0];
  if (!row) throw new Error(`no ${resource} in ${branchId}`);
  return row;
}

describe('authorization matrix: role × branch × resource × verb × subscribe', () => {
  const roles: Role[] = ['admin', 'manager', 'staff'];

  it.each(roles)('%s of branch A', async (role) => {
    const token = await sys.api.token(role, [branchA], `${role}-matrix`);
    const socket = await connect(sys.cluster.urls[0] ?? '', { token });
    for (const resource of resourceNames) {
      const global = globalResources.has(resource);
      for (const [branch, own] of [
        [branchA, true],
        [branchB, false],
      ] as const) {
        // Branch scope (rows of other branches do not exist for the caller) and
        // the role's permissions (refused first, with a 403) both apply.
        const inScope = role === 'admin' || own || global;
        const writableScope = role === 'admin' || (own && !global);
        const mayRead = can(role, resource, 'read');
        const readStatus = !mayRead ? 403 : inScope ? 200 : 404;
        const writeStatus = (allowed: boolean) =>
          !allowed ? 403 : writableScope ? 409 : inScope ? 403 : 404;
        const row = await firstId(resource, branch);
        const read = await sys.api.request(`/api/${resource}/${row.id}`, { token });
        expect({ resource, branch: own ? 'A' : 'B', read: read.status }).toEqual({
          resource,
          branch: own ? 'A' : 'B',
          read: readStatus,
        });
        // A PATCH with a version that cannot match: an allowed caller gets 409
        // and nothing changes either way.
        const write = await sys.api.request(`/api/${resource}/${row.id}`, {
          method: 'PATCH',
          token,
          json: { version: 2_000_000_000 },
        });
        expect({ resource, branch: own ? 'A' : 'B', write: write.status }).toEqual({
          resource,
          branch: own ? 'A' : 'B',
          write: writeStatus(can(role, resource, 'update')),
        });
        const del = await sys.api.request(`/api/${resource}/${row.id}?version=2000000000`, {
          method: 'DELETE',
          token,
        });
        expect({ resource, branch: own ? 'A' : 'B', delete: del.status }).toEqual({
          resource,
          branch: own ? 'A' : 'B',
          delete: writeStatus(can(role, resource, 'delete')),
        });

        const channel = `${resource}@${branch}`;
        const ack = await subscribe(socket, [channel]);
        expect({ channel, granted: ack.granted.length > 0 }).toEqual({
          channel,
          granted: mayRead && inScope,
        });
      }
      const wide = await subscribe(socket, [resource]);
      if (!can(role, resource, 'read')) expect(wide.granted).toEqual([]);
      else if (role === 'admin' || global) expect(wide.granted).toEqual([resource]);
      else expect(wide.granted).toEqual([`${resource}@${branchA}`]);
    }
  });

  it('never delivers another branch’s events to a branch user', async () => {
    const token = await sys.api.token('manager', [branchA], 'manager-events');
    const socket = await connect(sys.cluster.urls[1] ?? '', { token });
    await subscribe(socket, [...resourceNames]);
    const seen = record(socket);
    const res = await sys.api.request('/api/clients', {
      method: 'POST',
      token: admin,
      json: { branchId: branchB, fullName: 'Branch B only' },
    });
    const { id } = (await res.json()) as { id: string };
    const mine = await sys.api.request('/api/clients', {
      method: 'POST',
      token: admin,
      json: { branchId: branchA, fullName: 'Branch A' },
    });
    const own = ((await mine.json()) as { id: string }).id;
    await eventually(() => seen.some((e) => e.id === own), 'the own-branch event');
    expect(seen.map((e) => e.id)).not.toContain(id);
    expect(seen.every((e) => e.branchId === branchA || e.branchId === null)).toBe(true);
  });
});

describe('socket event fuzzing', () => {
  it('keeps serving whatever events and payloads a client sends', async () => {
    const token = await sys.api.token('staff', [branchA], 'fuzzer');
    const payload = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(fc.string({ maxLength: 100 }), { maxLength: 200 }),
      fc.constantFrom(undefined, null, [], {}, ['clients@'], [`clients@${branchB}`], 'clients'),
      fc.uint8Array({ maxLength: 512 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom('subscribe', 'unsubscribe', 'server:hello'),
          fc.string({ maxLength: 30 }),
        ),
        fc.array(payload, { maxLength: 3 }),
        async (event, args) => {
          const socket = await connect(sys.cluster.urls[0] ?? '', { token });
          if (event.length > 0 && !['connect', 'disconnect', 'connect_error'].includes(event)) {
            (socket as unknown as { emit: (e: string, ...a: unknown[]) => void }).emit(
              event,
              ...args,
            );
          }
          // The gateway still answers a well-formed request afterwards, on a new socket too.
          const probe = await connect(sys.cluster.urls[0] ?? '', { token });
          const ack = await subscribe(probe, ['clients']);
          expect(ack.granted).toEqual([`clients@${branchA}`]);
          expect(ack.granted).not.toContain(`clients@${branchB}`);
          socket.close();
          probe.close();
        },
      ),
      { numRuns: 60 },
    );
    const health = await fetch(`${sys.cluster.urls[0]}/health`);
    expect(health.status).toBe(200);
  });
});
