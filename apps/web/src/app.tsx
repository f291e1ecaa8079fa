import type { ReactNode } from 'react';
import { ConflictWatcher } from './components/conflict-watcher.tsx';
import { Layout } from './components/layout.tsx';
import { QueueProvider } from './lib/queue.tsx';
import { ReplicaProvider } from './lib/replica.tsx';
import { type Route, useRoute } from './lib/router.ts';
import { SessionProvider, useSession } from './lib/session.tsx';
import { ClientsPage } from './pages/clients.tsx';
import { EmployeesPage } from './pages/employees.tsx';
import { LoginPage } from './pages/login.tsx';
import { OperatorPage } from './pages/operator.tsx';
import { OrdersPage } from './pages/orders.tsx';
import { ProductsPage } from './pages/products.tsx';
import { QueuePage } from './pages/queue.tsx';
import { ReportsPage } from './pages/reports.tsx';
import { StockPage } from './pages/stock.tsx';

function page(route: Route, isAdmin: boolean): ReactNode {
  switch (route) {
    case 'clients':
      return <ClientsPage />;
    case 'orders':
      return <OrdersPage />;
    case 'products':
      return <ProductsPage />;
    case 'stock':
      return <StockPage />;
    case 'reports':
      return <ReportsPage />;
    case 'employees':
      return <EmployeesPage />;
    case 'queue':
      return <QueuePage />;
    case 'operator':
      return isAdmin ? <OperatorPage /> : <p>The operator page is for admins.</p>;
    default: {
      const never: never = route;
      return never;
    }
  }
}

function Console() {
  const { session, isAdmin, branchId } = useSession();
  const route = useRoute();
  if (!session) return <LoginPage />;
  return (
    <ReplicaProvider session={session}>
      <QueueProvider>
        <Layout route={route}>
          {/* A new branch remounts the page, so its lists start from page one. */}
          <div key={branchId}>{page(route, isAdmin)}</div>
        </Layout>
        <ConflictWatcher />
      </QueueProvider>
    </ReplicaProvider>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Console />
    </SessionProvider>
  );
}
