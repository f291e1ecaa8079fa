import type { IncomingMessage } from 'node:http';
import { type Broadcaster, broadcastChange } from '@dynapharm/outbox';
import { fieldIssues, publishableChangeSchema } from '@dynapharm/types';
import { z } from 'zod';
import { hasBearer } from './bearer.ts';
import { HttpError } from './errors.ts';
import { mediaType, readJsonBody } from './respond.ts';

/** Most events one `POST /publish` may carry. */
export const maxEventsPerPublish = 100;

/**
 * Body of `POST /publish`: one change (`event`) or a batch (`events`), without
 * `offset` or `epoch` (only the relay positions changes in the stream). Rooms
 * are computed by `broadcastChange`, as for the relay, so a publisher cannot
 * send a branch's data into another branch's room.
 */
export const publishBodySchema = z
  .object({
    event: publishableChangeSchema.optional(),
    events: z.array(publishableChangeSchema).min(1).max(maxEventsPerPublish).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.event === undefined) === (body.events === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['event'],
        message: 'send exactly one of event, events',
      });
    }
  });

/**
 * Handles `POST /publish`: service token, JSON, size limit, validated body,
 * then one cluster-wide broadcast per event to `<resource>` and
 * `<resource>@<branch>` under the name `<resource>:<action>`.
 */
export async function handlePublish(
  req: IncomingMessage,
  options: { token: string; maxBytes: number; broadcaster: Broadcaster; redisReady: boolean },
) {
  if (!hasBearer(req, options.token)) {
    throw new HttpError(401, 'unauthorized', 'send the service token as Authorization: Bearer');
  }
  if (mediaType(req) !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', 'send Content-Type: application/json', {
      contentType: req.headers['content-type'] ?? null,
    });
  }
  const raw = await readJsonBody(req, options.maxBytes);
  const parsed = publishBodySchema.safeParse(raw);
  if (!parsed.success) {
    throw new HttpError(
      400,
      'validation_failed',
      describe(parsed.error),
      fieldIssues(parsed.error),
    );
  }
  if (!options.redisReady) {
    // Publishing now would reach only this replica's clients.
    throw new HttpError(503, 'unavailable', 'Redis is unavailable; retry later');
  }
  const events = parsed.data.events ?? (parsed.data.event ? [parsed.data.event] : []);
  for (const event of events) broadcastChange(options.broadcaster, event);
  return { published: events.length };
}

function describe(error: z.ZodError): string {
  const fields = [...new Set(fieldIssues(error).map((issue) => issue.path))];
  return `invalid field${fields.length > 1 ? 's' : ''}: ${fields.join(', ')}`;
}
