import type { Role } from '@dynapharm/types';
import { seedBranches } from './branches.ts';

/** A login the seed creates; the API's dev login offers these. */
export interface DemoUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** Branch ids the user may see (empty for the admin, who sees all). */
  branches: string[];
}

const title = (city: string) => city.replace(/\b\w/g, (c) => c.toUpperCase());

/**
 * `admin` (every branch), then `manager-<city>` and `staff-<city>` for each seeded
 * branch, e.g. `manager-kampala`, `staff-dar-es-salaam`. Ids and branch ids are
 * stable across runs.
 */
export const demoUsers: readonly DemoUser[] = [
  {
    id: 'admin',
    email: 'admin@dynapharm.example',
    name: 'Head Office Admin',
    role: 'admin',
    branches: [],
  },
  ...seedBranches.flatMap((branch): DemoUser[] => [
    {
      id: `manager-${branch.slug}`,
      email: `manager.${branch.slug}@dynapharm.example`,
      name: `${title(branch.city)} Branch Manager`,
      role: 'manager',
      branches: [branch.id],
    },
    {
      id: `staff-${branch.slug}`,
      email: `staff.${branch.slug}@dynapharm.example`,
      name: `${title(branch.city)} Pharmacy Staff`,
      role: 'staff',
      branches: [branch.id],
    },
  ]),
];
