import { resourceNames } from '@dynapharm/types';
import { headers, parameters, responses } from './common.ts';
import { resourcePaths } from './resources.ts';
import { componentSchemas } from './schemas.ts';
import {
  authPaths,
  changesPath,
  documentPath,
  healthPaths,
  opsPath,
  snapshotPath,
} from './service.ts';

const description = [
  'Branch-scoped REST API of Dynapharm Realtime. Every answer carries `x-request-id`.',
  'Errors are JSON `{ error: { code, message, details? } }`; a path or method not listed here',
  'answers 404 `not_found` (after authentication for `/api` paths that need it).',
  'GET answers carry an ETag and honour `If-None-Match` with 304.',
].join(' ');

/** The OpenAPI 3.1 document of the API; its schemas are generated from the shared zod schemas. */
export function buildOpenApi() {
  const paths: Record<string, unknown> = {
    ...healthPaths,
    ...documentPath,
    ...authPaths,
    ...changesPath,
    ...snapshotPath,
    ...opsPath,
  };
  for (const resource of resourceNames) Object.assign(paths, resourcePaths(resource));
  return {
    openapi: '3.1.0',
    info: { title: 'Dynapharm Realtime API', version: '0.1.0', description },
    tags: [
      { name: 'operations' },
      { name: 'auth' },
      { name: 'sync' },
      ...resourceNames.map((name) => ({ name })),
    ],
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      responses,
      headers,
      parameters,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'the `METRICS_TOKEN`' },
      },
    },
  };
}
