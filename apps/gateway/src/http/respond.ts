import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.ts';

/** Writes a JSON response that no cache or browser sniffing may reuse. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: HttpError) {
  const headers: Record<string, string> =
    error.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  // Unread request bodies would otherwise keep the connection busy.
  if (error.status === 413) headers.connection = 'close';
  sendJson(
    res,
    error.status,
    {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    },
    headers,
  );
}

/** The media type of a request without parameters, lower case. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Bytes of an oversized body the server still reads (and drops) so the client sees the 413. */
const discardCap = 8 * 1024 * 1024;

/**
 * Reads a JSON body of at most `limit` bytes. Refuses early on a declared
 * `Content-Length` over the limit and stops collecting once the limit is
 * passed; the rest is read and dropped (up to a cap) so the client, still
 * sending, gets the 413 instead of a reset connection.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () =>
    new HttpError(413, 'payload_too_large', `request body exceeds ${limit} bytes`, { limit });
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      discard(req, 0);
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      discard(req, size);
      reject(tooLarge());
    };
    const onEnd = () => {
      cleanup();
      try {
        resolve(parseJson(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(
        new HttpError(400, 'bad_request', 'request body could not be read', undefined, {
          cause: err,
        }),
      );
    };
    const cleanup = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

function discard(req: IncomingMessage, alreadyRead: number) {
  let read = alreadyRead;
  req.on('error', () => {});
  req.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read > discardCap) req.socket.destroy();
  });
  req.resume();
}

function parseJson(text: string): unknown {
  if (text.trim() === '') {
    throw new HttpError(400, 'malformed_json', 'request body is empty; send a JSON object');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'malformed_json', 'request body is not valid JSON', undefined, {
      cause: err,
    });
  }
}
