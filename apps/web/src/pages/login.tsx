import { useEffect, useState } from 'react';
import { apiFetch } from '../lib/api.ts';
import type { DemoUser } from '../lib/auth.ts';
import { useSession } from '../lib/session.tsx';

/** Development login: pick a seeded demo user; the token is kept in localStorage. */
export function LoginPage() {
  const { signIn } = useSession();
  const [users, setUsers] = useState<DemoUser[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  // The API may not answer yet (starting, or the network is down): keep asking
  // every 2 s, showing why, until it does.
  useEffect(() => {
    let live = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      apiFetch<{ users: DemoUser[] }>('/api/auth/dev-users', {}, { anonymous: true })
        .then((r) => {
          if (!live) return;
          setUsers(r.users);
          setError(undefined);
        })
        .catch((err: unknown) => {
          if (!live) return;
          setError(err instanceof Error ? err.message : String(err));
          retry = setTimeout(load, 2_000);
        });
    void load();
    return () => {
      live = false;
      clearTimeout(retry);
    };
  }, []);

  const login = async (user: DemoUser) => {
    setBusy(user.id);
    setError(undefined);
    try {
      const res = await apiFetch<{ token: string; user: DemoUser }>(
        '/api/auth/dev-login',
        {
          method: 'POST',
          body: JSON.stringify({ userId: user.id }),
        },
        { anonymous: true },
      );
      signIn(res.token, res.user);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <main className="login" id="main">
      <h1>Dynapharm branch console</h1>
      <p>Development sign-in: choose a demo user.</p>
      {error ? (
        <p className="form-error" role="alert">
          Sign-in is unavailable: {error}
        </p>
      ) : null}
      {users === undefined && !error ? <p>Loading demo users…</p> : null}
      <ul className="user-list">
        {users?.map((u) => (
          <li key={u.id}>
            <button type="button" onClick={() => void login(u)} disabled={busy !== undefined}>
              <strong>{u.name}</strong>
              <span>
                {u.role} · {u.role === 'admin' ? 'all branches' : `${u.branches.length} branch(es)`}
              </span>
              <small>{u.email}</small>
            </button>
          </li>
        ))}
      </ul>
    </main>
  );
}
