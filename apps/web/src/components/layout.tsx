import type { ReactNode } from 'react';
import { useConfirmedSignOut } from '../lib/queue.tsx';
import type { Route } from '../lib/router.ts';
import { useSession } from '../lib/session.tsx';
import { BranchSwitcher } from './branch-switcher.tsx';
import { ConnectionIndicator } from './connection-indicator.tsx';
import { OfflineBanner } from './offline-banner.tsx';
import { PresenceList } from './presence-list.tsx';
import { QueueBadge } from './queue-badge.tsx';
import { SyncStatus } from './sync-status.tsx';

const nav: { route: Route; label: string; adminOnly?: boolean }[] = [
  { route: 'clients', label: 'Clients' },
  { route: 'orders', label: 'Orders' },
  { route: 'products', label: 'Products' },
  { route: 'stock', label: 'Stock' },
  { route: 'reports', label: 'Reports' },
  { route: 'employees', label: 'Employees' },
  { route: 'queue', label: 'Sync queue' },
  { route: 'operator', label: 'Operator', adminOnly: true },
];

/** Header (navigation, branch, connection, who is online, queue), offline banner and the page. */
export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const { session, signOut, isAdmin } = useSession();
  const confirmedSignOut = useConfirmedSignOut(signOut);
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">Dynapharm</div>
        <BranchSwitcher />
        <ConnectionIndicator />
        <PresenceList />
        <QueueBadge />
        <div className="user">
          <span title={session?.user.email}>
            {session?.user.name} <small>({session?.user.role})</small>
          </span>
          <button type="button" onClick={confirmedSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <nav className="nav" aria-label="Sections">
        {nav
          .filter((n) => !n.adminOnly || isAdmin)
          .map((n) => (
            <a
              key={n.route}
              href={`#/${n.route}`}
              aria-current={route === n.route ? 'page' : undefined}
            >
              {n.label}
            </a>
          ))}
      </nav>
      <OfflineBanner />
      <SyncStatus />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
