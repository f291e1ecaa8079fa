import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

/**
 * Checks real answers of the API against its OpenAPI 3.1 document with Ajv, a
 * validator that knows nothing of zod: the documented status for the path and
 * method, the body against the documented schema of its content type, and the
 * documented headers (required ones present, every present one well-formed).
 */

type Json = Record<string, unknown>;

interface MediaType {
  schema?: Json;
}
interface ResponseObject {
  headers?: Record<string, Json>;
  content?: Record<string, MediaType>;
}
interface HeaderObject {
  required?: boolean;
  schema?: Json;
}

/** Where Ajv finds the document; JSON pointers into it address every schema. */
const DOCUMENT_ID = 'https://contract.invalid/openapi.json';

const escapePointer = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1');

interface Route {
  template: string;
  pattern: RegExp;
  literal: boolean;
  item: Json;
}

export interface ContractChecker {
  /** The violations of one answer; reads a clone of the body, so the caller can still read it. */
  check(method: string, url: string, response: Response): Promise<string[]>;
  /** Compiles every documented response schema (Ajv strict mode refuses unknown keywords); returns how many. */
  compileAll(): number;
}

export function createContractChecker(document: Json): ContractChecker {
  const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: true });
  formats.default(ajv);
  // Keywords of the OpenAPI dialect that JSON Schema itself does not define, and
  // the document's own fields: Ajv compiles the root (to no effect) when it
  // follows a pointer into it, and strict mode would refuse them there.
  ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
  ajv.addVocabulary([
    'openapi',
    'info',
    'servers',
    'paths',
    'webhooks',
    'components',
    'security',
    'tags',
    'jsonSchemaDialect',
  ]);
  ajv.addSchema(document, DOCUMENT_ID);
  const compiled = new Map<string, ValidateFunction>();

  const validatorAt = (pointer: string) => {
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer}` });
      compiled.set(pointer, validate);
    }
    return validate;
  };

  /** Follows a local `$ref` (components) and returns the object with its pointer. */
  const resolve = <T>(value: unknown, pointer: string): { value: T; pointer: string } => {
    let current = value as Json;
    let at = pointer;
    for (let hops = 0; typeof current?.$ref === 'string' && hops < 10; hops++) {
      const ref = current.$ref as string;
      if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
      at = ref.slice(1);
      current = ref
        .slice(2)
        .split('/')
        .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce<Json>((node, key) => node?.[key] as Json, document);
    }
    return { value: current as T, pointer: at };
  };

  const routes: Route[] = Object.entries((document.paths ?? {}) as Record<string, Json>).map(
    ([template, item]) => {
      const source = template
        .split(/\{[^}]+\}/)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+');
      return {
        template,
        pattern: new RegExp(`^${source}/?$`),
        literal: !template.includes('{'),
        item,
      };
    },
  );
  // A literal path wins over a template that also matches it.
  routes.sort((a, b) => Number(b.literal) - Number(a.literal));

  const describe = (errors: ErrorObject[] | null | undefined, dataVar = 'body') =>
    ajv.errorsText(errors, { dataVar, separator: '; ' });

  async function check(method: string, url: string, response: Response) {
    const violations: string[] = [];
    const lower = method.toLowerCase();
    const { pathname } = new URL(url);
    const route = routes.find((r) => r.pattern.test(pathname));
    const operation = route?.item[lower === 'head' ? 'get' : lower] as Json | undefined;
    const text = lower === 'head' ? '' : await response.clone().text();
    const status = response.status;

    if (!route || !operation) {
      // Unlisted routes fall through to the API's 404 (behind auth and body checks).
      if (status < 400 || status >= 500) {
        violations.push(`status ${status} for an undocumented route (only a 4xx error may answer)`);
      } else {
        violations.push(...checkJson(text, '/components/schemas/Error'));
      }
      return violations;
    }

    const operationPointer = `/paths/${escapePointer(route.template)}/${lower === 'head' ? 'get' : lower}`;
    const answers = (operation.responses ?? {}) as Json;
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in answers);
    if (!key) {
      const documented = Object.keys(answers).join(', ');
      violations.push(`status ${status} is not documented (documented: ${documented})`);
      return violations;
    }
    const answer = resolve<ResponseObject>(
      answers[key],
      `${operationPointer}/responses/${escapePointer(key)}`,
    );

    for (const [name, raw] of Object.entries(answer.value.headers ?? {})) {
      const header = resolve<HeaderObject>(raw, `${answer.pointer}/headers/${escapePointer(name)}`);
      const value = response.headers.get(name);
      if (value === null) {
        if (header.value.required) violations.push(`required header ${name} is missing`);
        continue;
      }
      if (!header.value.schema) continue;
      const validate = validatorAt(`${header.pointer}/schema`);
      const typed =
        header.value.schema.type === 'integer' && /^\d+$/.test(value) ? Number(value) : value;
      if (!validate(typed)) {
        violations.push(`header ${name}: ${describe(validate.errors, JSON.stringify(value))}`);
      }
    }

    const content = answer.value.content;
    if (!content) {
      if (text !== '') violations.push(`a body was sent where none is documented: ${clip(text)}`);
      return violations;
    }
    const mediaType =
      (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const documentedType = Object.keys(content).find((t) => t.toLowerCase() === mediaType);
    if (documentedType === undefined) {
      violations.push(
        `content type ${mediaType || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`,
      );
      return violations;
    }
    if (!content[documentedType]?.schema) return violations;
    const schemaPointer = `${answer.pointer}/content/${escapePointer(documentedType)}/schema`;
    if (/^application\/([\w.-]+\+)?json$/.test(mediaType)) {
      violations.push(...checkJson(text, schemaPointer));
    } else {
      const validate = validatorAt(schemaPointer);
      if (!validate(text)) violations.push(`body ${describe(validate.errors)}`);
    }
    return violations;
  }

  function checkJson(text: string, schemaPointer: string): string[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [`body is not JSON: ${clip(text)}`];
    }
    const validate = validatorAt(schemaPointer);
    if (validate(body)) return [];
    return [
      `body does not match #${schemaPointer}: ${describe(validate.errors)}; body: ${clip(text)}`,
    ];
  }

  function compileAll() {
    const pointers: string[] = [];
    for (const route of routes) {
      for (const [method, operation] of Object.entries(route.item)) {
        const answers = (operation as Json).responses as Json | undefined;
        for (const [key, raw] of Object.entries(answers ?? {})) {
          const at = `/paths/${escapePointer(route.template)}/${method}/responses/${escapePointer(key)}`;
          const answer = resolve<ResponseObject>(raw, at);
          for (const [name, header] of Object.entries(answer.value.headers ?? {})) {
            const h = resolve<HeaderObject>(
              header,
              `${answer.pointer}/headers/${escapePointer(name)}`,
            );
            if (h.value.schema) pointers.push(`${h.pointer}/schema`);
          }
          for (const [type, media] of Object.entries(answer.value.content ?? {})) {
            if (media.schema)
              pointers.push(`${answer.pointer}/content/${escapePointer(type)}/schema`);
          }
        }
      }
    }
    for (const pointer of pointers) validatorAt(pointer);
    return pointers.length;
  }

  return { check, compileAll };
}

const clip = (text: string) => (text.length > 400 ? `${text.slice(0, 400)}…` : text);
