import { describe, expect, it } from 'vitest';
import { sparkPoints } from './sparkline.ts';
import { pushSample } from './stats-history.ts';

describe('sparkPoints', () => {
  it('scales values into the box, highest at the top', () => {
    expect(sparkPoints([0, 10], 100, 12)).toBe('0.0,11.0 100.0,1.0');
    expect(sparkPoints([], 100, 12)).toBe('');
  });
});

describe('pushSample', () => {
  it('keeps a bounded series per replica and for the totals', () => {
    const stats = {
      replicas: [
        {
          replicaId: 'gw-1',
          url: '',
          connections: 4,
          rooms: 2,
          eventsPerSec: 1.5,
          deliveriesPerSec: 3,
          draining: false,
          startedAt: '',
        },
      ],
      totals: { replicas: 1, connections: 4, eventsPerSec: 1.5, deliveriesPerSec: 3 },
    };
    let h = {};
    for (let i = 0; i < 5; i++) h = pushSample(h, stats, 3);
    expect(h).toMatchObject({
      'gw-1:connections': [4, 4, 4],
      'total:eventsPerSec': [1.5, 1.5, 1.5],
    });
  });
});
