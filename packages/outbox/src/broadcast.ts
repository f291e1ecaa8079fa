import { eventName, type LiveChange, roomsForChange } from '@dynapharm/types';

/** Anything that can broadcast to rooms cluster-wide (a Socket.IO server or namespace). */
export interface Broadcaster {
  to(rooms: string[]): { emit(event: string, payload: LiveChange): unknown };
}

/**
 * The one way a change goes out: to `<resource>` and `<resource>@<branchId>`
 * under `<resource>:<action>`. The relay and the gateways' `POST /publish`
 * both call it, so room computation cannot diverge.
 */
export function broadcastChange(target: Broadcaster, change: LiveChange): void {
  target.to(roomsForChange(change)).emit(eventName(change.resource, change.action), change);
}
