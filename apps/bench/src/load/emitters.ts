import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ChangeEvent, roomsForChange } from '@dynapharm/types';
import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';

/**
 * `at` as PostgreSQL's `timestamp(3)` would store it: the wall clock rounded
 * to the millisecond, so the baselines' latency has the same resolution as ours.
 */
export function roundedNowIso(): string {
  return new Date(Math.round(performance.timeOrigin + performance.now())).toISOString();
}

/**
 * Publishes change events shaped exactly like the relay's (`template` is a
 * real `clients:created` payload taken from our run), numbering offsets from 1
 * and remembering which room got which offset.
 */
export class BaselinePublisher {
  private offset = 0;
  // The baseline is its own stream, with an identity of its own.
  private readonly epoch = randomUUID();
  private readonly emitter: Emitter;
  expected: Record<string, number[]> = {};

  constructor(
    private readonly mode: 'socketio' | 'raw',
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly template: Record<string, unknown>,
  ) {
    this.emitter = new Emitter(redis, { key: prefix });
  }

  resetExpected() {
    this.expected = {};
  }

  publish(branchId: string) {
    const id = randomUUID();
    const offset = ++this.offset;
    const at = roundedNowIso();
    const event: ChangeEvent = {
      resource: 'clients',
      action: 'created',
      id,
      branchId,
      version: 1,
      offset,
      epoch: this.epoch,
      at,
      data: { ...this.template, id, branchId, createdAt: at, updatedAt: at },
    };
    const rooms = roomsForChange(event);
    const room = rooms[rooms.length - 1] ?? '';
    const list = this.expected[room] ?? [];
    list.push(offset);
    this.expected[room] = list;
    if (this.mode === 'socketio') {
      this.emitter.to(rooms).emit('clients:created', event);
    } else {
      const frame = JSON.stringify(['clients:created', event]);
      void this.redis.publish(`${this.prefix}#raw`, `${rooms.join(',')}\n${frame}`);
    }
  }
}
