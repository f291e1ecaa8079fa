import type { ManagedChild } from '../process/child.ts';
import type { GatewayTarget } from './routes.ts';

/** The load balancer in front of the local cluster, whichever implementation. */
export interface FrontDoor {
  kind: 'haproxy' | 'node';
  /** Processes it runs (HAProxy's master), for the state file. */
  children(): ManagedChild[];
  /** Replaces the gateway list (scale up/down); existing sessions keep their replica. */
  setGateways(gateways: readonly GatewayTarget[]): Promise<void>;
  close(): Promise<void>;
}
