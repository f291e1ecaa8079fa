import {
  changeEventSchema,
  errorBodySchema,
  globalResources,
  resourceNames,
  resourceSchemas,
} from '@dynapharm/types';
import { z } from 'zod';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' });

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const writeHeaders = [
  {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: 'Makes the write safely repeatable: a replay returns the first answer.',
    schema: { type: 'string', maxLength: 200 },
  },
];

/** The OpenAPI 3 document of the API, generated from the shared zod schemas. */
export function buildOpenApi() {
  const schemas: Record<string, unknown> = {
    Error: json(errorBodySchema),
    ChangeEvent: json(changeEventSchema),
  };
  const paths: Record<string, unknown> = {};
  for (const resource of resourceNames) {
    const s = resourceSchemas[resource];
    const name = resource[0]?.toUpperCase() + resource.slice(1);
    schemas[name] = json(s.read);
    schemas[`${name}Create`] = json(s.create, 'input');
    schemas[`${name}Update`] = json(s.update, 'input');
    const ref = (n: string) => ({ $ref: `#/components/schemas/${n}` });
    const body = (n: string) => ({
      required: true,
      content: { 'application/json': { schema: ref(n) } },
    });
    const one = {
      description: 'the record',
      content: { 'application/json': { schema: ref(name) } },
    };
    const common = {
      400: errorResponse('invalid input; details.issues name the fields'),
      401: errorResponse('missing or invalid token'),
      403: errorResponse('outside your branches'),
    };
    paths[`/api/${resource}`] = {
      get: {
        summary: `List ${resource}${globalResources.has(resource) ? ' (shared by all branches)' : ' in your branches'}`,
        parameters: ['branchId', 'status', 'from', 'to', 'updated_since', 'cursor', 'limit'].map(
          (p) => ({ name: p, in: 'query', required: false, schema: { type: 'string' } }),
        ),
        responses: {
          200: {
            description: 'a page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    items: { type: 'array', items: ref(name) },
                    nextCursor: { type: 'string', nullable: true },
                  },
                },
              },
            },
          },
          ...common,
        },
      },
      post: {
        summary: `Create a ${resource} record (a client-supplied id makes it idempotent)`,
        parameters: writeHeaders,
        requestBody: body(`${name}Create`),
        responses: { 201: one, 200: one, 409: errorResponse('conflict'), ...common },
      },
    };
    paths[`/api/${resource}/{id}`] = {
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
      ],
      get: {
        summary: `Get one ${resource} record`,
        responses: { 200: one, 404: errorResponse('not found'), ...common },
      },
      patch: {
        summary: 'Update with an expected version (If-Match or body `version`)',
        parameters: [
          ...writeHeaders,
          { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } },
        ],
        requestBody: body(`${name}Update`),
        responses: {
          200: one,
          409: errorResponse('stale version; details.current holds the row'),
          ...common,
        },
      },
      delete: {
        summary: 'Soft delete (a versioned change)',
        parameters: writeHeaders,
        responses: {
          200: one,
          404: errorResponse('not found'),
          409: errorResponse('stale version'),
          ...common,
        },
      },
    };
  }
  paths['/api/changes'] = {
    get: {
      summary: 'Changes after an offset, branch-scoped, in offset order',
      parameters: ['after', 'resources', 'limit'].map((p) => ({
        name: p,
        in: 'query',
        required: false,
        schema: { type: 'string' },
      })),
      responses: {
        200: {
          description: 'changes, next offset, and resync when the offset is no longer kept',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  changes: { type: 'array', items: { $ref: '#/components/schemas/ChangeEvent' } },
                  nextAfter: { type: 'integer' },
                  head: { type: 'integer' },
                  hasMore: { type: 'boolean' },
                  resync: { type: 'boolean' },
                },
              },
            },
          },
        },
      },
    },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'Dynapharm Realtime API', version: '0.1.0' },
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
