import { useEffect, useRef, useState } from 'react';

/** Reads a JSON endpoint of the gateways (`/ws-stats`, `/ws-devices`); a non-2xx answer is an error. */
export async function fetchJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, {
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Calls `load` now and every `everyMs` while `key` is not null, keeping the
 * last answer and the last error (cleared by the next success). A new `key`
 * (say, another token) starts again; null stops polling.
 */
export function usePoll<T>(
  key: string | null,
  load: () => Promise<T>,
  everyMs: number,
): { data: T | undefined; error: string | undefined } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    if (key === null) return;
    let live = true;
    const poll = async () => {
      try {
        const next = await loadRef.current();
        if (!live) return;
        setData(next);
        setError(undefined);
      } catch (err) {
        if (live) setError(err instanceof Error ? err.message : String(err));
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), everyMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [key, everyMs]);

  return { data, error };
}
