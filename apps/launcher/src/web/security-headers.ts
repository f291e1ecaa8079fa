import { createHash } from 'node:crypto';

/**
 * Security headers of the console's static responses. The compose image's
 * static server (`infra/docker/static-server.mjs`, no dependencies) has a copy
 * of this logic; `security-headers.test.ts` checks that both answer alike.
 */

/** A Host header that can be written into a CSP source as is. */
const CSP_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Hashes of a page's inline `<script>` (without `src`) and `<style>` blocks.
 * The example page and the launcher's status page have such blocks; allowing
 * exactly their hashes keeps injected scripts out as `'self'` alone would.
 */
export function inlineHashes(html: string): { scripts: string[]; styles: string[] } {
  const scripts: string[] = [];
  const styles: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (!/\bsrc\s*=/i.test(m[1] ?? '') && (m[2] ?? '') !== '') scripts.push(sha256(m[2] ?? ''));
  }
  for (const m of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)) {
    styles.push(sha256(m[1] ?? ''));
  }
  return { scripts, styles };
}

/** The Content-Security-Policy of a response; `html` is the body when it is a page. */
export function contentSecurityPolicy(host: string | undefined, html?: string): string {
  const { scripts, styles } = html ? inlineHashes(html) : { scripts: [], styles: [] };
  // CSP3 lets 'self' cover ws: and wss: to the same host; older engines need them spelled out.
  const sockets = host && CSP_HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
  return [
    "default-src 'self'",
    ["script-src 'self'", ...scripts].join(' '),
    ["style-src 'self'", ...styles].join(' '),
    "img-src 'self' data:",
    ["connect-src 'self'", ...sockets].join(' '),
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every static response of the console carries. */
export function securityHeaders(host: string | undefined, html?: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(host, html),
    'x-content-type-options': 'nosniff',
    // The console's URLs carry no secrets, but other sites need not learn them.
    'referrer-policy': 'no-referrer',
    // For browsers that predate frame-ancestors.
    'x-frame-options': 'DENY',
  };
}
