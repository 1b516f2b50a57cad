import { z } from 'zod';
import { CAPABILITIES } from '../../auth/capabilities.ts';
import { MEMBER_STATUSES } from '../../models/member.ts';
import { Role } from '../../models/role.ts';
import { User } from '../../models/user.ts';
import { searchMembers } from '../../services/member-directory.ts';
import {
  createHousehold,
  deleteHousehold,
  householdFormOf,
  loadHousehold,
  membersOf,
  presentHousehold,
  searchHouseholds,
  updateHousehold,
} from '../../services/people/households.ts';
import {
  createMember,
  deleteMember,
  loadMember,
  memberFormOf,
  presentMember,
  updateMember,
} from '../../services/people/members.ts';
import { createRole, deleteRole, loadRole, presentRole, updateRole } from '../../services/people/roles.ts';
import {
  deactivateUser,
  inviteUser,
  loadUser,
  presentSelf,
  presentUser,
  reactivateUser,
  resendInvitation,
  searchUsers,
  updateProfile,
  updateUser,
  userFormOf,
} from '../../services/people/users.ts';
import { lineField } from '../../validators/common.ts';
import { householdSchema, MEMBER_SORTS, memberSchema } from '../../validators/member.validator.ts';
import { profileSchema } from '../../validators/profile.validator.ts';
import { roleApiSchema } from '../../validators/role.validator.ts';
import {
  USER_STATUS_FILTERS,
  userCreateApiSchema,
  userUpdateApiSchema,
} from '../../validators/user.validator.ts';
import { apiRoutes, mergePatch } from '../kit.ts';
import { listResult, offsetOf } from '../pagination.ts';
import { day, idPath, idString, listQuery, pageOf, timestamp } from '../schemas.ts';

/**
 * People: the signed-in person, staff accounts, roles, the directory and its households. Each
 * handler parses with the page's schema and calls the service the page calls.
 */

const capability = z.enum(Object.keys(CAPABILITIES) as [keyof typeof CAPABILITIES]);

const roleRef = z
  .object({ id: idString, name: z.string(), permissionLevel: z.number().int().min(0).max(5) })
  .meta({ id: 'RoleRef' });

export const selfOut = z
  .object({
    id: idString,
    email: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    roles: z.array(roleRef),
    permissionLevel: z
      .number()
      .int()
      .min(0)
      .max(5)
      .meta({ description: 'The lowest level of the roles (5 without any).' }),
    capabilities: z.array(capability),
  })
  .meta({ id: 'Me' });

export const userOut = z
  .object({
    id: idString,
    email: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    active: z.boolean(),
    invitationPending: z.boolean().meta({ description: 'The person has not chosen a password yet.' }),
    roles: z.array(roleRef),
    permissionLevel: z.number().int().min(0).max(5),
    lastLoginAt: timestamp.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'User' });

const invitedOut = userOut
  .extend({
    invitationSent: z.boolean().meta({ description: 'False when the e-mail could not be sent now.' }),
  })
  .meta({ id: 'InvitedUser' });

const invitationOut = z
  .object({
    invitationSent: z.boolean().meta({ description: 'False when the e-mail could not be sent now.' }),
  })
  .meta({ id: 'Invitation' });

export const roleOut = z
  .object({
    id: idString,
    name: z.string(),
    description: z.string().nullable(),
    permissionLevel: z.number().int().min(0).max(5),
    holders: z.number().int().meta({ description: 'How many people hold the role.' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Role' });

const memberStatus = z.enum(MEMBER_STATUSES);
const householdRef = z.object({ id: idString, name: z.string() }).meta({ id: 'HouseholdRef' });

export const memberRowOut = z
  .object({
    id: idString,
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    status: memberStatus,
    joinedOn: day.nullable(),
    household: householdRef.nullable(),
  })
  .meta({ id: 'MemberRow' });

export const memberOut = z
  .object({
    id: idString,
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    address: z.string().nullable(),
    birthDate: day.nullable(),
    status: memberStatus,
    joinedOn: day.nullable(),
    notes: z.string().nullable().optional().meta({ description: 'Only for permission levels 0 to 4.' }),
    household: householdRef.nullable(),
    householdMates: z.array(z.object({ id: idString, firstName: z.string(), lastName: z.string() })),
    userId: idString.nullable().meta({ description: 'The staff account linked to this person.' }),
    groups: z.array(z.object({ id: idString, name: z.string(), role: z.enum(['leader', 'member']) })),
    attendanceLast90Days: z.number().int(),
    giving: z
      .object({
        year: z.number().int(),
        totalCents: z.number().int().meta({ description: "This calendar year's total, in cents." }),
        latest: z.array(
          z.object({
            id: idString,
            amountCents: z.number().int(),
            receivedOn: day,
            fund: z.object({ id: idString, name: z.string() }).nullable(),
          }),
        ),
      })
      .optional()
      .meta({ description: 'Only for those who may view the finances (levels 0 to 2).' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Member' });

const householdPerson = z.object({
  id: idString,
  firstName: z.string(),
  lastName: z.string(),
  status: memberStatus,
});

export const householdOut = z
  .object({
    id: idString,
    name: z.string(),
    address: z.string().nullable(),
    phone: z.string().nullable(),
    size: z.number().int().meta({ description: 'How many people it has.' }),
    people: z
      .array(householdPerson)
      .optional()
      .meta({ description: 'Its people, by name (on a single household).' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Household' });

const searchText = lineField(100).default('').meta({ description: 'Text to look for.' });

const memberListQuery = listQuery.extend({
  q: searchText.meta({ description: 'Part of a name, e-mail or phone number.' }),
  status: z.enum(['all', ...MEMBER_STATUSES]).default('all'),
  group: idString.optional().meta({ description: 'Only the people of this group.' }),
  sort: z.enum(MEMBER_SORTS).default('name'),
  dir: z.enum(['asc', 'desc']).default('asc'),
});

const userListQuery = listQuery.extend({
  q: searchText.meta({ description: 'Part of a name, e-mail or department.' }),
  status: z.enum(USER_STATUS_FILTERS).default('all'),
});

const householdListQuery = listQuery.extend({ q: searchText.meta({ description: 'Part of the name.' }) });

async function presentUsers(users: User[]) {
  const pending = await User.pendingInvitations(users.map((u) => u.id));
  return users.map((u) => presentUser(u, pending.has(String(u.id))));
}

async function userView(user: User) {
  return presentUser(user, await user.invitationPending());
}

async function roleView(role: Role) {
  return presentRole(role, await role.holderCount());
}

export default apiRoutes(
  { tag: 'People', host: 'tenant', description: 'Staff accounts, roles, the directory and its households.' },
  (r) => {
    // --- the signed-in person ---------------------------------------------------------------
    r.get(
      '/users/me',
      {
        summary: 'The signed-in person',
        description: 'Who the token acts for, their roles and what they may do.',
        responses: { 200: selfOut },
      },
      async (ctx) => ({ body: presentSelf(ctx.user) }),
    );

    r.patch(
      '/users/me',
      {
        summary: 'Change your name or e-mail',
        description: 'What the profile page changes. Send only the fields to change.',
        body: profileSchema.partial(),
        responses: { 200: selfOut },
        errors: [412],
      },
      async (ctx) => {
        const user = ctx.user;
        ctx.ifMatch(presentSelf(user));
        const data = mergePatch(profileSchema, { name: user.name, email: user.email }, ctx.req.body);
        return { body: presentSelf(await updateProfile(user, data)) };
      },
    );

    // --- staff accounts -------------------------------------------------------------------
    r.get(
      '/users',
      {
        summary: 'List the staff accounts',
        capability: 'users.manage',
        query: userListQuery,
        responses: { 200: pageOf(userOut) },
        errors: [403],
      },
      async (ctx) => {
        const { limit, cursor, q, status } = ctx.query;
        const offset = offsetOf(cursor);
        const { users, total } = await searchUsers({ q, status }, { limit, offset });
        return listResult(ctx, await presentUsers(users), { limit, offset, total });
      },
    );

    r.get(
      '/users/:id',
      {
        summary: 'A staff account',
        capability: 'users.manage',
        params: idPath,
        responses: { 200: userOut },
        errors: [403, 404],
      },
      async (ctx) => ({ body: await userView(await loadUser(ctx.params.id)) }),
    );

    r.post(
      '/users',
      {
        summary: 'Invite a person',
        description:
          'Creates the account without a password and e-mails an invitation link with which the person chooses one. ' +
          'Refused with 422 (`plan-limit`) when the plan has no place for another active account.',
        capability: 'users.manage',
        body: userCreateApiSchema,
        responses: { 201: invitedOut },
        errors: [403],
        idempotent: true,
      },
      async (ctx) => {
        // The account and its invitation e-mail are queued in one transaction.
        const user = await inviteUser(ctx.body, ctx.user, ctx.req);
        const invitationSent = true;
        const body = { ...(await userView(user)), invitationSent };
        return { status: 201, body, location: `/api/v1/users/${user.id}` };
      },
    );

    r.patch(
      '/users/:id',
      {
        summary: 'Change a staff account',
        description:
          'Name, department and roles (`roleIds` replaces the list). Refused with 422 on `roleIds` when it would leave no active super admin.',
        capability: 'users.manage',
        params: idPath,
        body: userUpdateApiSchema.partial(),
        responses: { 200: userOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const user = await loadUser(ctx.params.id);
        ctx.ifMatch(await userView(user));
        const data = mergePatch(userUpdateApiSchema, userFormOf(user), ctx.req.body);
        return { body: await userView(await updateUser(user, data)) };
      },
    );

    r.post(
      '/users/:id/activation',
      {
        summary: 'Let a deactivated person sign in again',
        description:
          'An active account takes a place of the plan (422 `plan-limit` when full); 409 when already active.',
        capability: 'users.manage',
        params: idPath,
        responses: { 200: userOut },
        errors: [403, 404, 409],
      },
      async (ctx) => ({
        body: await userView(await reactivateUser(await loadUser(ctx.params.id), ctx.user)),
      }),
    );

    r.delete(
      '/users/:id/activation',
      {
        summary: 'Deactivate a staff account',
        description:
          'Signs the person out everywhere and keeps them out. 409 when already deactivated, or when they are the last active super admin.',
        capability: 'users.manage',
        params: idPath,
        responses: { 200: userOut },
        errors: [403, 404, 409],
      },
      async (ctx) => ({ body: await userView(await deactivateUser(await loadUser(ctx.params.id))) }),
    );

    r.post(
      '/users/:id/invitation',
      {
        summary: 'Send the invitation again',
        description:
          'A new link (earlier ones stop working); 409 when the person has already chosen a password or is deactivated.',
        capability: 'users.manage',
        params: idPath,
        responses: { 200: invitationOut },
        errors: [403, 404, 409],
      },
      async (ctx) => {
        const user = await loadUser(ctx.params.id);
        return { body: { invitationSent: await resendInvitation(ctx.req, user, ctx.user) } };
      },
    );

    // --- roles --------------------------------------------------------------------------------
    r.get(
      '/roles',
      {
        summary: 'List the roles',
        description: 'Most powerful first.',
        capability: 'roles.manage',
        responses: { 200: pageOf(roleOut) },
        errors: [403],
      },
      async (ctx) => {
        const rows = await Role.withHolderCounts();
        const data = rows.map(({ role, holders }) => presentRole(role, holders));
        return listResult(ctx, data, { limit: data.length || 1, offset: 0, total: data.length });
      },
    );

    r.get(
      '/roles/:id',
      {
        summary: 'A role',
        capability: 'roles.manage',
        params: idPath,
        responses: { 200: roleOut },
        errors: [403, 404],
      },
      async (ctx) => ({ body: await roleView(await loadRole(ctx.params.id)) }),
    );

    r.post(
      '/roles',
      {
        summary: 'Add a role',
        description:
          'A name of your choosing over one of the fixed permission levels 0 (super admin) to 5 (member).',
        capability: 'roles.manage',
        body: roleApiSchema,
        responses: { 201: roleOut },
        errors: [403],
        idempotent: true,
      },
      async (ctx) => {
        const role = await createRole(ctx.body);
        return { status: 201, body: presentRole(role, 0), location: `/api/v1/roles/${role.id}` };
      },
    );

    r.patch(
      '/roles/:id',
      {
        summary: 'Change a role',
        description:
          'A level change that would leave no active super admin is refused with 422 on `permissionLevel`.',
        capability: 'roles.manage',
        params: idPath,
        body: roleApiSchema.partial(),
        responses: { 200: roleOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const role = await loadRole(ctx.params.id);
        ctx.ifMatch(await roleView(role));
        const current = {
          name: role.name,
          description: role.description ?? '',
          permissionLevel: role.permissionLevel,
        };
        return {
          body: await roleView(await updateRole(role, mergePatch(roleApiSchema, current, ctx.req.body))),
        };
      },
    );

    r.delete(
      '/roles/:id',
      {
        summary: 'Delete a role',
        description: 'Only a role nobody holds (409 otherwise).',
        capability: 'roles.manage',
        params: idPath,
        responses: { 204: null },
        errors: [403, 404, 409, 412],
      },
      async (ctx) => {
        const role = await loadRole(ctx.params.id);
        ctx.ifMatch(await roleView(role));
        await deleteRole(role);
        return { status: 204 };
      },
    );

    // --- the directory -------------------------------------------------------------------------
    r.get(
      '/members',
      {
        summary: 'List the directory',
        capability: 'members.view',
        query: memberListQuery,
        responses: { 200: pageOf(memberRowOut) },
        errors: [403],
      },
      async (ctx) => {
        const { limit, cursor, group, ...filter } = ctx.query;
        const offset = offsetOf(cursor);
        const { members, total } = await searchMembers(
          { ...filter, group: group ?? '', page: 1 },
          { limit, offset },
        );
        return listResult(ctx, members, { limit, offset, total });
      },
    );

    r.get(
      '/members/:id',
      {
        summary: 'A person',
        description:
          "What the person's page shows: household, groups, attendance; notes for levels 0 to 4, giving for finance viewers.",
        capability: 'members.view',
        params: idPath,
        responses: { 200: memberOut },
        errors: [403, 404],
      },
      async (ctx) => ({ body: await presentMember(await loadMember(ctx.params.id), ctx.user) }),
    );

    r.post(
      '/members',
      {
        summary: 'Add a person',
        description: 'Ids as strings; an empty string leaves a field empty.',
        capability: 'members.edit',
        body: memberSchema,
        responses: { 201: memberOut },
        errors: [403],
        idempotent: true,
      },
      async (ctx) => {
        const created = await createMember(ctx.body);
        const member = await loadMember(created.id);
        return {
          status: 201,
          body: await presentMember(member, ctx.user),
          location: `/api/v1/members/${member.id}`,
        };
      },
    );

    r.patch(
      '/members/:id',
      {
        summary: 'Change a person',
        description: 'Send only the fields to change; an empty string empties a field.',
        capability: 'members.edit',
        params: idPath,
        body: memberSchema.partial(),
        responses: { 200: memberOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const member = await loadMember(ctx.params.id);
        ctx.ifMatch(await presentMember(member, ctx.user));
        const saved = await updateMember(
          member,
          mergePatch(memberSchema, memberFormOf(member), ctx.req.body),
        );
        return { body: await presentMember(saved, ctx.user) };
      },
    );

    r.delete(
      '/members/:id',
      {
        summary: 'Delete a person',
        description:
          'Their attendance and group places go with them; their contributions stay, without the name.',
        capability: 'members.edit',
        params: idPath,
        responses: { 204: null },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const member = await loadMember(ctx.params.id);
        ctx.ifMatch(await presentMember(member, ctx.user));
        await deleteMember(member);
        return { status: 204 };
      },
    );

    // --- households ------------------------------------------------------------------------------
    r.get(
      '/households',
      {
        summary: 'List the households',
        description: 'By name, with how many people each has.',
        capability: 'members.view',
        query: householdListQuery,
        responses: { 200: pageOf(householdOut) },
        errors: [403],
      },
      async (ctx) => {
        const { limit, cursor, q } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, total } = await searchHouseholds({ q }, { limit, offset });
        return listResult(
          ctx,
          rows.map((h) => presentHousehold(h)),
          { limit, offset, total },
        );
      },
    );

    r.get(
      '/households/:id',
      {
        summary: 'A household, with its people',
        capability: 'members.view',
        params: idPath,
        responses: { 200: householdOut },
        errors: [403, 404],
      },
      async (ctx) => {
        const household = await loadHousehold(ctx.params.id);
        return { body: presentHousehold(household, await membersOf(household)) };
      },
    );

    r.post(
      '/households',
      {
        summary: 'Add a household',
        capability: 'members.edit',
        body: householdSchema,
        responses: { 201: householdOut },
        errors: [403],
        idempotent: true,
      },
      async (ctx) => {
        const household = await createHousehold(ctx.body);
        return {
          status: 201,
          body: presentHousehold(household, []),
          location: `/api/v1/households/${household.id}`,
        };
      },
    );

    r.patch(
      '/households/:id',
      {
        summary: 'Change a household',
        capability: 'members.edit',
        params: idPath,
        body: householdSchema.partial(),
        responses: { 200: householdOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const household = await loadHousehold(ctx.params.id);
        ctx.ifMatch(presentHousehold(household, await membersOf(household)));
        await updateHousehold(
          household,
          mergePatch(householdSchema, householdFormOf(household), ctx.req.body),
        );
        return { body: presentHousehold(household, await membersOf(household)) };
      },
    );

    r.delete(
      '/households/:id',
      {
        summary: 'Delete a household',
        description: 'Its people stay in the directory, without a household.',
        capability: 'members.edit',
        params: idPath,
        responses: { 204: null },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const household = await loadHousehold(ctx.params.id);
        ctx.ifMatch(presentHousehold(household, await membersOf(household)));
        await deleteHousehold(household);
        return { status: 204 };
      },
    );
  },
);
