import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canGrantRole as serverCanGrantRole, PERMISSIONS, ROLE_PERMISSIONS, ROLES, STAFF_ROLES } from '../../server/src/http/access.js';
import { BY_ROLE, canGrantRole, CONSOLE_PERMISSIONS } from '../src/console/permissions.js';

/** The console hides what a role cannot do from its copy of the server's role table: the two must agree. */
test("the console's role permissions are the server's, for every staff role and permission", () => {
  assert.deepEqual([...CONSOLE_PERMISSIONS].sort(), [...PERMISSIONS].sort());
  for (const role of STAFF_ROLES) {
    assert.deepEqual([...(BY_ROLE[role] ?? [])].sort(), [...ROLE_PERMISSIONS[role]].sort(), role);
  }
});

test('the console offers exactly the roles the server lets each role grant', () => {
  for (const granter of ROLES) {
    for (const role of ROLES) assert.equal(canGrantRole(granter, role), serverCanGrantRole(granter, role), `${granter} grants ${role}`);
  }
});
