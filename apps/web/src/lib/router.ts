import { useEffect, useState } from 'react';

/** The console's pages, addressed by the URL hash (`#/clients`) so any static server works. */
export const routes = [
  'clients',
  'orders',
  'products',
  'stock',
  'reports',
  'employees',
  'queue',
  'operator',
] as const;
export type Route = (typeof routes)[number];

export function parseRoute(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (routes as readonly string[]).includes(name) ? (name as Route) : 'clients';
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
