import { type Action, can, type ResourceName } from '@dynapharm/types';
import { useCallback } from 'react';
import { useSession } from './session.tsx';

/**
 * Whether the signed-in user's role may perform an action on a resource: the
 * server's permission matrix, so the console offers only what will be accepted.
 */
export function useCan(): (resource: ResourceName, action: Action) => boolean {
  const role = useSession().session?.user.role;
  return useCallback((resource, action) => can(role, resource, action), [role]);
}
