import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from './openapi.ts';
import { createContractChecker } from './testing/contract.ts';

const document = buildOpenApi() as unknown as Record<string, unknown>;
const base = 'http://api.test';
const clientId = '0193a1b2-0000-7000-8000-00000000000a';
const branchId = '0193a1b2-0000-7000-8000-00000000000b';
const at = '2024-05-01T10:00:00.000Z';

const client = {
  id: clientId,
  branchId,
  createdAt: at,
  updatedAt: at,
  lastSyncedAt: null,
  version: 2,
  deletedAt: null,
  fullName: 'Grace Nakato',
  email: null,
  phone: null,
  address: '',
  notes: '',
};

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-request-id': 'req-1',
      ...headers,
    },
  });
}

const error = (code: string) => ({ error: { code, message: 'no' } });

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('has schemas Ajv compiles in strict mode', () => {
    expect(createContractChecker(document).compileAll()).toBeGreaterThan(100);
  });

  it('lets PATCH bodies carry the expected version beside the fields', () => {
    const schemas = (document.components as { schemas: Record<string, { properties: object }> })
      .schemas;
    expect(schemas.ClientUpdate?.properties).toHaveProperty('version');
    expect(schemas.ClientCreate?.properties).not.toHaveProperty('version');
  });
});

describe('the contract checker', () => {
  const checker = createContractChecker(document);
  const check = (method: string, path: string, res: Response) =>
    checker.check(method, `${base}${path}`, res);

  it('accepts an answer the document describes', async () => {
    const res = answer(200, client, { etag: '"2"' });
    expect(await check('GET', `/api/clients/${clientId}`, res)).toEqual([]);
    expect(await res.json()).toEqual(client);
  });

  it('names an undocumented status', async () => {
    const [violation] = await check(
      'GET',
      `/api/clients/${clientId}`,
      answer(418, error('bad_request')),
    );
    expect(violation).toMatch(/status 418 is not documented/);
  });

  it('names a body that does not match', async () => {
    const { fullName: _, ...partial } = client;
    const violations = await check(
      'GET',
      `/api/clients/${clientId}`,
      answer(200, partial, { etag: '"2"' }),
    );
    expect(violations.join()).toMatch(/must have required property 'fullName'/);
  });

  it('names an error code the status does not use', async () => {
    const violations = await check(
      'PATCH',
      `/api/clients/${clientId}`,
      answer(428, error('forbidden'), {
        ratelimit: '"600-in-1min"; r=599; t=60',
        'ratelimit-policy': '"600-in-1min"; q=600; w=60; pk=:abc=:',
      }),
    );
    expect(violations.join()).toMatch(/allowed values/);
  });

  it('names a missing or malformed header', async () => {
    const missing = await check('GET', `/api/clients/${clientId}`, answer(200, client));
    expect(missing).toEqual(['required header ETag is missing']);
    const weak = await check(
      'GET',
      `/api/clients/${clientId}`,
      answer(200, client, { etag: 'W/"a1-xyz"' }),
    );
    expect(weak.join()).toMatch(/header ETag/);
  });

  it('names a content type the document does not list', async () => {
    const res = new Response('hello', {
      status: 200,
      headers: { 'content-type': 'text/html', 'x-request-id': 'r', etag: 'W/"5-x"' },
    });
    expect((await check('GET', '/api/auth/me', res)).join()).toMatch(/content type text\/html/);
  });

  it('allows only a 4xx error on a route the document does not list', async () => {
    expect(await check('GET', '/api/nothing', answer(404, error('not_found')))).toEqual([]);
    expect(await check('PUT', '/api/clients', answer(404, error('not_found')))).toEqual([]);
    expect((await check('GET', '/api/nothing', answer(200, {}))).join()).toMatch(/undocumented/);
  });
});
