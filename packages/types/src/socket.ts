import type { ChangeEventName, LiveChange } from './events.ts';
import type {
  PresenceEvent,
  PresenceUnwatchAck,
  PresenceWatch,
  PresenceWatchAck,
} from './presence.ts';
import type { DeviceAck } from './sync.ts';

/** Answer to `subscribe`/`unsubscribe`: which channels were granted, which denied and why. */
export interface SubscribeAck {
  granted: string[];
  denied: { channel: string; reason: 'invalid' | 'forbidden' | 'limit' }[];
}

export type ChannelsAck = (ack: SubscribeAck) => void;

/** Events the gateway sends to clients. */
export type ServerToClientEvents = {
  [E in ChangeEventName]: (event: LiveChange) => void;
} & {
  /** Sent before a replica drains, so the client reconnects elsewhere. */
  'server:draining': (info: { replicaId: string; reconnectInMs: number }) => void;
  /** The replica may have missed broadcasts (its Redis link was down): fetch missed changes. */
  'server:catch-up': (info: { replicaId: string }) => void;
  /** The gateway's identity, sent once after the handshake. */
  'server:hello': (info: { replicaId: string }) => void;
  /** A member of a watched branch joined or left (`presence:watch`). */
  presence: (event: PresenceEvent) => void;
};

/** Events clients send to the gateway. */
export interface ClientToServerEvents {
  subscribe: (channels: string[], ack: ChannelsAck) => void;
  unsubscribe: (channels: string[], ack: ChannelsAck) => void;
  /** The stream position this device has applied (coalesced by the client). */
  'sync:ack': (ack: DeviceAck) => void;
  /** Starts presence events of branches and answers who is online in them now. */
  'presence:watch': (request: PresenceWatch, ack: (answer: PresenceWatchAck) => void) => void;
  'presence:unwatch': (request: PresenceWatch, ack: (answer: PresenceUnwatchAck) => void) => void;
}

/** Per-socket data the gateway keeps. */
export interface SocketData {
  userId: string;
  role: 'admin' | 'manager' | 'staff';
  branches: string[];
  /** The token's `name` claim, shown in presence. */
  name?: string;
  /** `auth.deviceId` of the handshake: two sockets of one device are one presence member. */
  deviceId?: string;
  tokenExpiresAt?: number;
}

/**
 * What the relay leader tells every gateway through the bus, every few
 * seconds: it is alive, and where the stream stands. A gateway that hears
 * nothing is on another bus than the relay (or no relay runs).
 */
export interface RelayBeat {
  epoch: string;
  /** Last offset published. */
  head: number;
  /** When the beat was sent (epoch milliseconds). */
  at: number;
}

/** Events servers on one bus send each other (Socket.IO `serverSideEmit`). */
export interface InterServerEvents {
  'relay:beat': (beat: RelayBeat) => void;
}
