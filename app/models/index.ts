import type { Sequelize } from 'sequelize';
import { Attendance } from './attendance.ts';
import { AuditLog } from './audit-log.ts';
import { AuthToken } from './auth-token.ts';
import { Contribution } from './contribution.ts';
import { Domain } from './domain.ts';
import { Event } from './event.ts';
import { Expense } from './expense.ts';
import { Fund } from './fund.ts';
import { Group } from './group.ts';
import { GroupMember } from './group-member.ts';
import { Household } from './household.ts';
import { Member } from './member.ts';
import { Plan } from './plan.ts';
import { PlatformAdmin } from './platform-admin.ts';
import { Role } from './role.ts';
import { Setting } from './setting.ts';
import { Tenant } from './tenant.ts';
import { User } from './user.ts';
import { UserRole } from './user-role.ts';

export {
  Attendance,
  AuditLog,
  AuthToken,
  Contribution,
  Domain,
  Event,
  Expense,
  Fund,
  Group,
  GroupMember,
  Household,
  Member,
  Plan,
  PlatformAdmin,
  Role,
  Setting,
  Tenant,
  User,
  UserRole,
};

export function initModels(sequelize: Sequelize): void {
  for (const m of [
    Tenant,
    Domain,
    Plan,
    PlatformAdmin,
    User,
    Role,
    UserRole,
    Setting,
    AuthToken,
    AuditLog,
    Household,
    Member,
    Group,
    GroupMember,
    Event,
    Attendance,
    Fund,
    Contribution,
    Expense,
  ]) {
    m.initModel(sequelize);
  }
  // public
  Tenant.hasMany(Domain, { foreignKey: 'tenantId', as: 'domains' });
  Domain.belongsTo(Tenant, { foreignKey: 'tenantId', as: 'tenant' });
  // accounts
  User.belongsToMany(Role, { through: UserRole, foreignKey: 'userId', otherKey: 'roleId', as: 'roles' });
  Role.belongsToMany(User, { through: UserRole, foreignKey: 'roleId', otherKey: 'userId', as: 'users' });
  // people
  Household.hasMany(Member, { foreignKey: 'householdId', as: 'members' });
  Member.belongsTo(Household, { foreignKey: 'householdId', as: 'household' });
  Member.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  User.hasOne(Member, { foreignKey: 'userId', as: 'member' });
  Group.belongsToMany(Member, {
    through: GroupMember,
    foreignKey: 'groupId',
    otherKey: 'memberId',
    as: 'members',
  });
  Member.belongsToMany(Group, {
    through: GroupMember,
    foreignKey: 'memberId',
    otherKey: 'groupId',
    as: 'groups',
  });
  GroupMember.belongsTo(Member, { foreignKey: 'memberId', as: 'member' });
  GroupMember.belongsTo(Group, { foreignKey: 'groupId', as: 'group' });
  // attendance
  Group.hasMany(Event, { foreignKey: 'groupId', as: 'events' });
  Event.belongsTo(Group, { foreignKey: 'groupId', as: 'group' });
  Event.belongsToMany(Member, {
    through: Attendance,
    foreignKey: 'eventId',
    otherKey: 'memberId',
    as: 'attendees',
  });
  Member.belongsToMany(Event, {
    through: Attendance,
    foreignKey: 'memberId',
    otherKey: 'eventId',
    as: 'attended',
  });
  // finance
  Contribution.belongsTo(Member, { foreignKey: 'memberId', as: 'member' });
  Contribution.belongsTo(Fund, { foreignKey: 'fundId', as: 'fund' });
  Member.hasMany(Contribution, { foreignKey: 'memberId', as: 'contributions' });
  Expense.belongsTo(Fund, { foreignKey: 'fundId', as: 'fund' });
}
