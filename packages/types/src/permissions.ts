import type { Role } from './auth.ts';
import { type ResourceName, resourceNames } from './resources/index.ts';
import type { OrderStatus } from './resources/orders.ts';

export const actions = ['read', 'create', 'update', 'delete', 'cancel'] as const;
export type Action = (typeof actions)[number];

const crud = ['read', 'create', 'update', 'delete'] as const satisfies readonly Action[];

/**
 * The actions each resource has. Cancelling an order is its own action: it is a
 * status move (a PATCH to `cancelled`) that gives reserved stock back, which
 * confirming or fulfilling does not, so it is granted apart from `update`.
 */
export const resourceActions: Readonly<Record<ResourceName, readonly Action[]>> = Object.freeze({
  branches: crud,
  clients: crud,
  products: crud,
  stock: crud,
  orders: [...crud, 'cancel'],
  reports: crud,
  employees: crud,
});

type Grants = Readonly<Record<ResourceName, readonly Action[]>>;

const frozen = (grants: Record<ResourceName, readonly Action[]>): Grants =>
  Object.freeze(
    Object.fromEntries(
      Object.entries(grants).map(([resource, granted]) => [resource, Object.freeze([...granted])]),
    ) as Record<ResourceName, readonly Action[]>,
  );

/**
 * Who may do what, per role and resource (docs/architecture.md §6). Branch
 * scope is separate: a manager or staff member acts only on rows of their own
 * branches, whatever this grants. Anything not listed is denied.
 */
export const permissions: Readonly<Record<Role, Grants>> = Object.freeze({
  staff: frozen({
    branches: ['read'],
    clients: ['read', 'create', 'update'],
    products: ['read'],
    stock: ['read'],
    orders: ['read', 'create', 'update'],
    reports: ['read'],
    employees: ['read'],
  }),
  manager: frozen({
    branches: ['read'],
    clients: crud,
    products: ['read'],
    stock: crud,
    orders: [...crud, 'cancel'],
    reports: crud,
    employees: crud,
  }),
  admin: frozen(
    Object.fromEntries(resourceNames.map((r) => [r, resourceActions[r]])) as Record<
      ResourceName,
      readonly Action[]
    >,
  ),
});

/**
 * Whether `role` may perform `action` on `resource`. Deny by default: a role,
 * resource or action the matrix does not name (including inherited object
 * keys such as `constructor`) is refused.
 */
export function can(role: Role | undefined, resource: ResourceName, action: Action): boolean {
  const r: unknown = role;
  const res: unknown = resource;
  if (typeof r !== 'string' || typeof res !== 'string' || typeof action !== 'string') return false;
  if (!Object.hasOwn(permissions, r)) return false;
  const grants = permissions[r as Role];
  if (!Object.hasOwn(grants, res)) return false;
  return (grants[res as ResourceName] as readonly string[]).includes(action);
}

/** Whether `role` may perform every one of `needed` on `resource` (none needed: denied). */
export function canAll(
  role: Role | undefined,
  resource: ResourceName,
  needed: readonly Action[],
): boolean {
  return needed.length > 0 && needed.every((action) => can(role, resource, action));
}

/**
 * The actions a change (PATCH) of a `resource` record with `patch` needs:
 * `update`, plus `cancel` when it moves an order to `cancelled`. `patch` is
 * the raw body, before validation, so the check can come first.
 */
export function updateActions(resource: ResourceName, patch: unknown): Action[] {
  const needed: Action[] = ['update'];
  if (resource === 'orders' && typeof patch === 'object' && patch !== null) {
    const status: unknown = (patch as { status?: unknown }).status;
    if (status === ('cancelled' satisfies OrderStatus)) needed.push('cancel');
  }
  return needed;
}

/**
 * Things outside the resource matrix, and the roles that may do them. Denied
 * to every role not listed, like the matrix.
 *
 * - `ops:read`: the relay's position and Prometheus' alerts (`GET /api/ops/status`).
 */
export const capabilityRoles = Object.freeze({
  'ops:read': Object.freeze(['admin'] as const satisfies readonly Role[]),
});
export type Capability = keyof typeof capabilityRoles;

/** Whether `role` has `capability` (deny by default, as {@link can}). */
export function hasCapability(role: Role | undefined, capability: Capability): boolean {
  if (typeof role !== 'string' || !Object.hasOwn(capabilityRoles, capability)) return false;
  return (capabilityRoles[capability] as readonly string[]).includes(role);
}
