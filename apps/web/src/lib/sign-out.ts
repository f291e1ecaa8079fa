type SignOutHook = () => void | Promise<void>;

const hooks = new Set<SignOutHook>();

/** Runs `hook` when the user signs out (say, to delete what the device keeps of them). */
export function onSignOut(hook: SignOutHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** Runs every sign-out hook; one failing does not stop the others. */
export async function runSignOutHooks(): Promise<void> {
  await Promise.allSettled([...hooks].map(async (hook) => hook()));
}
