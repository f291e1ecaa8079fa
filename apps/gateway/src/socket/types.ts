import type { ClientToServerEvents, ServerToClientEvents, SocketData } from '@dynapharm/types';
import type { Server, Socket } from 'socket.io';

/** Replicas talk only through the Redis adapter, never with custom server events. */
type InterServerEvents = Record<string, never>;

export type GatewayServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
export type GatewaySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;
