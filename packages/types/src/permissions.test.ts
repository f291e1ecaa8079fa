import { describe, expect, it } from 'vitest';
import { type Role, roles } from './auth.ts';
import {
  type Action,
  actions,
  can,
  canAll,
  capabilityRoles,
  hasCapability,
  permissions,
  resourceActions,
  updateActions,
} from './permissions.ts';
import { type ResourceName, resourceNames } from './resources/index.ts';

/** The policy in words, written out independently of the matrix it checks. */
function expected(role: Role, resource: ResourceName, action: Action): boolean {
  if (!resourceActions[resource].includes(action)) return false;
  if (role === 'admin') return true;
  if (action === 'read') return true;
  if (resource === 'branches' || resource === 'products') return false;
  if (role === 'manager') return true;
  return (
    (resource === 'clients' || resource === 'orders') &&
    (action === 'create' || action === 'update')
  );
}

describe('the permission matrix', () => {
  it.each(roles)('grants %s exactly what the policy says, cell by cell', (role) => {
    for (const resource of resourceNames) {
      for (const action of actions) {
        expect({ resource, action, allowed: can(role, resource, action) }).toEqual({
          resource,
          action,
          allowed: expected(role, resource, action),
        });
      }
    }
  });

  it('names every role and resource, and grants only actions a resource has', () => {
    expect(Object.keys(permissions).sort()).toEqual([...roles].sort());
    for (const role of roles) {
      expect(Object.keys(permissions[role]).sort()).toEqual([...resourceNames].sort());
      for (const resource of resourceNames) {
        for (const action of permissions[role][resource]) {
          expect(resourceActions[resource]).toContain(action);
        }
      }
    }
    expect(resourceNames.filter((r) => resourceActions[r].includes('cancel'))).toEqual(['orders']);
  });

  it('lets every role read every resource (so /api/changes needs no resource filter today)', () => {
    for (const role of roles)
      for (const r of resourceNames) expect(can(role, r, 'read')).toBe(true);
  });

  it('denies unknown roles, resources and actions, inherited keys included', () => {
    const loose = can as (role: unknown, resource: unknown, action: unknown) => boolean;
    expect(loose('root', 'clients', 'read')).toBe(false);
    expect(loose(undefined, 'clients', 'read')).toBe(false);
    expect(loose('constructor', 'clients', 'read')).toBe(false);
    expect(loose('__proto__', 'clients', 'read')).toBe(false);
    expect(loose('admin', 'patients', 'read')).toBe(false);
    expect(loose('admin', 'toString', 'read')).toBe(false);
    expect(loose('admin', 'clients', 'approve')).toBe(false);
    expect(loose('admin', 'clients', 'cancel')).toBe(false);
    expect(loose('admin', 'clients', 'includes')).toBe(false);
    expect(loose('admin', 'clients', undefined)).toBe(false);
    expect(loose('admin', 'clients', ['read'])).toBe(false);
  });

  it('cannot be changed at run time', () => {
    expect(() => {
      (permissions.staff.stock as Action[]).push('update');
    }).toThrow(TypeError);
    expect(() => {
      (permissions as Record<string, unknown>).root = permissions.admin;
    }).toThrow(TypeError);
    expect(can('staff', 'stock', 'update')).toBe(false);
  });
});

describe('updateActions', () => {
  it('needs cancel as well for a move of an order to cancelled, and only then', () => {
    expect(updateActions('orders', { status: 'cancelled', version: 3 })).toEqual([
      'update',
      'cancel',
    ]);
    expect(updateActions('orders', { status: 'confirmed' })).toEqual(['update']);
    expect(updateActions('orders', { notes: 'x' })).toEqual(['update']);
    expect(updateActions('orders', null)).toEqual(['update']);
    expect(updateActions('clients', { status: 'cancelled' })).toEqual(['update']);
  });

  it('combines with canAll: staff confirm orders but cannot cancel them', () => {
    expect(canAll('staff', 'orders', updateActions('orders', { status: 'confirmed' }))).toBe(true);
    expect(canAll('staff', 'orders', updateActions('orders', { status: 'cancelled' }))).toBe(false);
    expect(canAll('manager', 'orders', updateActions('orders', { status: 'cancelled' }))).toBe(
      true,
    );
    expect(canAll('admin', 'orders', [])).toBe(false);
  });
});

describe('capabilities', () => {
  it('give the operations status to admins only, and nothing unknown to anyone', () => {
    expect(hasCapability('admin', 'ops:read')).toBe(true);
    expect(hasCapability('manager', 'ops:read')).toBe(false);
    expect(hasCapability('staff', 'ops:read')).toBe(false);
    expect(hasCapability(undefined, 'ops:read')).toBe(false);
    expect(hasCapability('admin', 'constructor' as never)).toBe(false);
    expect(hasCapability('root' as never, 'ops:read')).toBe(false);
    expect(Object.isFrozen(capabilityRoles['ops:read'])).toBe(true);
  });
});
