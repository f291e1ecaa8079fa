import { deleteOtherReplicas, Replica, type ReplicaOptions } from '@dynapharm/replica';
import { type ResourceName, roles } from '@dynapharm/types';
import { decodeJwtPayload } from '../lib/auth.ts';
import { deviceId, SOCKET_PATH, STORAGE_KEYS } from '../lib/config.ts';

export * from '@dynapharm/replica';

/**
 * `/web-modules/replica.js`: the device replica as one self-contained ES
 * module (the realtime client and idb bundled in). `openReplica()` sets it up
 * for pages served next to the console: same-origin API and gateways, and the
 * user, role and branches of the token in `localStorage['dynapharm.token']`.
 * It shares the console's database, so a page opened after the console starts warm.
 *
 * @example
 * import { openReplica } from '/web-modules/replica.js';
 * const replica = await openReplica(['clients']);
 * replica.subscribe('clients', render);
 * // who is online in a branch (the replica's realtime client):
 * replica.onRealtime((rt) => {
 *   rt.on('presence', (update, members) => showOnline(members));
 *   rt.watchPresence([branchId]);
 * });
 * const { items } = await replica.query('clients', { branchId, limit: 50 });
 * // sign-out: await replica.destroy();
 */
export async function openReplica(
  resources: readonly ResourceName[],
  options: Partial<ReplicaOptions> = {},
): Promise<Replica> {
  const token = () => globalThis.localStorage?.getItem(STORAGE_KEYS.token) ?? undefined;
  const claims = decodeJwtPayload(token() ?? '');
  const role = roles.find((r) => r === claims?.role);
  if (!claims || typeof claims.sub !== 'string' || !role) {
    throw new Error('openReplica: no valid token in localStorage["dynapharm.token"]');
  }
  const branches = Array.isArray(claims.branches) ? claims.branches.map(String) : [];
  await deleteOtherReplicas(claims.sub).catch(() => []);
  const replica = new Replica({
    userId: claims.sub,
    scope: { role, branches },
    resources,
    token,
    apiUrl: '',
    // The console's device id: this page's tabs and the console's count once in presence.
    clientOptions: { path: SOCKET_PATH, deviceId: deviceId() },
    ...options,
  });
  return replica.start();
}
