/**
 * `/web-modules/realtime-client.js`: the realtime client as one self-contained
 * ES module (socket.io-client bundled in) for pages without a bundler.
 *
 * @example
 * import { RealtimeClient } from '/web-modules/realtime-client.js';
 * const rt = new RealtimeClient({ wsUrl: location.origin, token });
 * await rt.connect();
 * rt.subscribe(['clients']);
 * rt.on('clients:created', (client) => render(client));
 * // who is online in the user's branches: a snapshot, then joins and leaves
 * rt.on('presence', (update, members) => showOnline(update.branchId, members));
 * await rt.watchPresence();
 */
export * from '@dynapharm/realtime-client';
