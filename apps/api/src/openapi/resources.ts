import { type ErrorCode, globalResources, type ResourceName } from '@dynapharm/types';
import {
  authenticatedErrors,
  bodyErrors,
  contentETag,
  errorResponse,
  jsonResponse,
  notModified,
  optional,
  parameterRef,
  rateLimitHeaders,
  recordETag,
  replayHeader,
  retryAfter,
  writeErrors,
} from './common.ts';
import { componentName, schemaRef } from './schemas.ts';

const query = (name: string, schema: object, description: string) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

const listParameters = [
  query('branchId', { type: 'string', format: 'uuid' }, 'Only rows of this branch.'),
  query(
    'status',
    { type: 'string', maxLength: 40 },
    'Only rows with this status (orders; a 400 elsewhere).',
  ),
  query(
    'from',
    { type: 'string', format: 'date' },
    'Inclusive first day (report date for reports, UTC creation day otherwise).',
  ),
  query('to', { type: 'string', format: 'date' }, 'Inclusive last day.'),
  query(
    'updated_since',
    { type: 'string', format: 'date-time' },
    'Only rows updated at or after this instant (with an offset).',
  ),
  query('cursor', { type: 'string', maxLength: 500 }, '`nextCursor` of the previous page.'),
  query(
    'limit',
    { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    'Page size, 1 to 500.',
  ),
  query(
    'include_deleted',
    { type: 'boolean', default: false },
    'Include soft-deleted rows (tombstones, with `deletedAt` set), e.g. for an incremental sync.',
  ),
];

const deleteVersion = query(
  'version',
  { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
  'Expected version when no If-Match header is sent; without either the delete is unconditional.',
);

/** Any stored answer may come back as a replay; the rate limiter ran before it. */
const afterWriteChecks = { ...rateLimitHeaders, ...optional(replayHeader) };

function conflict(description: string, codes: ErrorCode[]) {
  return errorResponse(description, [...codes, 'idempotency_in_progress'], {
    ...afterWriteChecks,
    ...optional(retryAfter),
  });
}

const writeRefusals = (codes: { 403?: string; 404?: string }) => ({
  ...(codes[403] ? { 403: errorResponse(codes[403], ['forbidden'], afterWriteChecks) } : undefined),
  ...(codes[404] ? { 404: errorResponse(codes[404], ['not_found'], afterWriteChecks) } : undefined),
});

const notVisible = 'no such record, or outside your branches (deleted rows are gone too)';

/** The permission matrix refuses the action to the caller's role (before any row is looked at). */
const roleRefusal = (action: string) => `your role may not ${action} this resource`;

/** The list, get, create, PATCH and DELETE operations of one resource. */
export function resourcePaths(resource: ResourceName) {
  const name = componentName(resource);
  const record = (description: string, extra: Record<string, unknown> = {}) =>
    jsonResponse(description, schemaRef(name), { ...recordETag, ...extra });
  const isOrders = resource === 'orders';
  const scope = globalResources.has(resource)
    ? 'shared by all branches; only admins write them'
    : 'in your branches';
  const writeBody = (component: string) => ({
    required: true,
    content: { 'application/json': { schema: schemaRef(component) } },
  });

  const collection = {
    get: {
      operationId: `list${name}`,
      tags: [resource],
      summary: `List ${resource} (${scope}), in (updatedAt, id) order`,
      description: 'Unknown query parameters are refused with a 400.',
      parameters: listParameters,
      responses: {
        200: jsonResponse('one page; `nextCursor` is null on the last', schemaRef(`${name}Page`), {
          ...contentETag,
        }),
        304: notModified(contentETag),
        ...authenticatedErrors('invalid query parameter, or a cursor this API did not issue'),
        403: errorResponse(roleRefusal('read'), ['forbidden']),
      },
    },
    post: {
      operationId: `create${name}`,
      tags: [resource],
      summary: `Create a ${name.toLowerCase()} record (${scope})`,
      description:
        'A client-supplied `id` makes the create repeatable: the same id with the same content answers 200 with the existing row.',
      parameters: [parameterRef('IdempotencyKey')],
      requestBody: writeBody(`${name}Create`),
      responses: {
        201: record('created', afterWriteChecks),
        200: record(
          'the id already existed with the same content; nothing changed',
          afterWriteChecks,
        ),
        ...authenticatedErrors('invalid body; `details.issues` name the fields'),
        ...writeRefusals({
          403: `${roleRefusal('create')}, or branchId outside your branches`,
        }),
        409: conflict(
          isOrders
            ? 'the id exists with other content, a unique value clashes, or stock is insufficient (nothing reserved)'
            : 'the id exists with other content, or a unique value clashes',
          isOrders ? ['conflict', 'insufficient_stock'] : ['conflict'],
        ),
        ...bodyErrors,
        ...writeErrors,
      },
    },
  };

  const item = {
    parameters: [parameterRef('RecordId')],
    get: {
      operationId: `get${name}`,
      tags: [resource],
      summary: `Get one ${name.toLowerCase()} record`,
      responses: {
        200: record('the record'),
        304: notModified(recordETag),
        ...authenticatedErrors('the id is not a UUID'),
        403: errorResponse(roleRefusal('read'), ['forbidden']),
        404: errorResponse(notVisible, ['not_found']),
      },
    },
    patch: {
      operationId: `update${name}`,
      tags: [resource],
      summary: `Update a ${name.toLowerCase()} record at an expected version`,
      description:
        'The expected version comes from `If-Match` or, failing that, the body’s `version`; without either the answer is 428.',
      parameters: [parameterRef('IfMatch'), parameterRef('IdempotencyKey')],
      requestBody: writeBody(`${name}Update`),
      responses: {
        200: record('updated (or unchanged when no field differs)', afterWriteChecks),
        ...authenticatedErrors('invalid id, version or body; `details.issues` name the fields'),
        ...writeRefusals({
          403: isOrders
            ? `${roleRefusal('update')} (a move to \`cancelled\` also needs \`cancel\`)`
            : roleRefusal('update'),
          404: notVisible,
        }),
        409: conflict(
          'stale version (`details.current` holds the row as it is now)',
          isOrders
            ? ['version_conflict', 'invalid_transition', 'conflict']
            : ['version_conflict', 'conflict'],
        ),
        428: errorResponse(
          'no expected version: send If-Match or a body `version`',
          ['bad_request'],
          afterWriteChecks,
        ),
        ...bodyErrors,
        ...writeErrors,
      },
    },
    delete: {
      operationId: `delete${name}`,
      tags: [resource],
      summary: `Soft-delete a ${name.toLowerCase()} record (a versioned change)`,
      description: 'Deleting a deleted record answers 200 with it unchanged.',
      parameters: [parameterRef('IfMatch'), deleteVersion, parameterRef('IdempotencyKey')],
      responses: {
        200: record('deleted: `deletedAt` is set', afterWriteChecks),
        ...authenticatedErrors('invalid id or version'),
        ...writeRefusals({ 403: roleRefusal('delete'), 404: notVisible }),
        409: conflict(
          'stale version (`details.current` holds the row), or the row is still in use',
          ['version_conflict', 'conflict'],
        ),
        ...bodyErrors,
        ...writeErrors,
      },
    },
  };

  const history = {
    parameters: [parameterRef('RecordId')],
    get: {
      operationId: `history${name}`,
      tags: [resource],
      summary: `Every change of one ${name.toLowerCase()} record, newest first`,
      description:
        'Read from the change log and its archive: who (`actor`, `actorName`), when, from which operation (`origin`, the write’s `Idempotency-Key`) and the fields changed against the version before. Deleted records keep their history; a record outside your branches is a 404 like a missing one. Unknown query parameters are refused with a 400.',
      parameters: [
        query('cursor', { type: 'string', maxLength: 100 }, '`nextCursor` of the previous page.'),
        query(
          'limit',
          { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          'Page size, 1 to 200.',
        ),
      ],
      responses: {
        200: jsonResponse(
          'one page; `nextCursor` is null on the last',
          schemaRef('HistoryPage'),
          contentETag,
        ),
        304: notModified(contentETag),
        ...authenticatedErrors(
          'the id is not a UUID, or an invalid query parameter (`details.issues` name it)',
        ),
        403: errorResponse(roleRefusal('read'), ['forbidden']),
        404: errorResponse('no such record, or outside your branches', ['not_found']),
      },
    },
  };

  return {
    [`/api/${resource}`]: collection,
    [`/api/${resource}/{id}`]: item,
    [`/api/${resource}/{id}/history`]: history,
  };
}
