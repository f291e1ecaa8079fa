export { buildOpenApi } from './openapi/document.ts';
