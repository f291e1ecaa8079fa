import {
  changeEventSchema,
  changesPageSchema,
  errorBodySchema,
  historyPageSchema,
  id,
  opsStatusSchema,
  type ResourceName,
  resourceNames,
  resourceSchemas,
  role,
  snapshotPageSchema,
} from '@dynapharm/types';
import { z } from 'zod';

const recordNames: Record<ResourceName, string> = {
  branches: 'Branch',
  clients: 'Client',
  products: 'Product',
  stock: 'Stock',
  orders: 'Order',
  reports: 'Report',
  employees: 'Employee',
};

/** The component name of a resource's record: `clients` → `Client`. */
export const componentName = (resource: ResourceName) => recordNames[resource];

export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

// The server reads the expected version from the PATCH body before the update
// schema sees the rest, so the body may carry `version` beside the fields.
const bodyVersion = z
  .int()
  .min(1)
  .max(2_147_483_647)
  .optional()
  .describe('Expected version when no If-Match header is sent.');

const healthSchema = z.object({
  status: z.literal('ok'),
  service: z.literal('api'),
  uptimeSeconds: z.int().min(0),
});

const probe = z.enum(['ok', 'unavailable']);
const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: probe,
  redis: probe,
  draining: z.boolean(),
  relayLeader: z.boolean(),
});

const devUserSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role,
  branches: z.array(id),
});

const principalSchema = z.object({
  userId: z.string(),
  role,
  branches: z.array(z.string()),
  name: z.string().optional(),
});

/** The component schemas answers are made of (zod's output side). */
function outputSchemas() {
  const registry = z.registry<{ id: string }>();
  registry.add(errorBodySchema, { id: 'Error' });
  registry.add(changeEventSchema, { id: 'ChangeEvent' });
  registry.add(changesPageSchema, { id: 'ChangesPage' });
  registry.add(snapshotPageSchema, { id: 'SnapshotPage' });
  registry.add(historyPageSchema, { id: 'HistoryPage' });
  registry.add(opsStatusSchema, { id: 'OpsStatus' });
  registry.add(healthSchema, { id: 'Health' });
  registry.add(readinessSchema, { id: 'Readiness' });
  registry.add(devUserSchema, { id: 'DevUser' });
  registry.add(z.object({ users: z.array(devUserSchema) }), { id: 'DevUsers' });
  registry.add(z.object({ token: z.string(), user: devUserSchema }), { id: 'DevLogin' });
  registry.add(z.object({ principal: principalSchema }), { id: 'Me' });
  for (const resource of resourceNames) {
    const name = componentName(resource);
    const read = resourceSchemas[resource].read;
    registry.add(read, { id: name });
    registry.add(z.object({ items: z.array(read), nextCursor: z.string().nullable() }), {
      id: `${name}Page`,
    });
  }
  return generate(registry, 'output');
}

/** The component schemas of request bodies (zod's input side: defaults make fields optional). */
function inputSchemas() {
  const registry = z.registry<{ id: string }>();
  registry.add(z.strictObject({ userId: z.string().min(1).max(100) }), { id: 'DevLoginRequest' });
  for (const resource of resourceNames) {
    const name = componentName(resource);
    const { create, update } = resourceSchemas[resource];
    registry.add(create, { id: `${name}Create` });
    registry.add(update.extend({ version: bodyVersion }), { id: `${name}Update` });
  }
  return generate(registry, 'input');
}

function generate(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output') {
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    uri: (name) => `#/components/schemas/${name}`,
  });
  const cleaned: Record<string, Record<string, unknown>> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // Component schemas live inside the document: they take its dialect and base
    // URI, and an `$id` that is only a fragment is not allowed in 2020-12.
    const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
    cleaned[name] = rest;
  }
  return cleaned;
}

/** Every component schema of the document, generated from the shared zod schemas. */
export function componentSchemas() {
  return { ...outputSchemas(), ...inputSchemas() };
}
