import type { Sequelize } from 'sequelize';
import { installTaskHooks } from '../services/task-hooks.ts';
import { Attachment } from './attachment.ts';
import { Attendance } from './attendance.ts';
import { AuditLog } from './audit-log.ts';
import { AuthToken } from './auth-token.ts';
import { BillingEntry } from './billing-entry.ts';
import { CommentMention } from './comment-mention.ts';
import { Contribution } from './contribution.ts';
import { Domain } from './domain.ts';
import { Event } from './event.ts';
import { Expense } from './expense.ts';
import { Fund } from './fund.ts';
import { Group } from './group.ts';
import { GroupMember } from './group-member.ts';
import { Household } from './household.ts';
import { JobRun } from './job-run.ts';
import { Member } from './member.ts';
import { Notification } from './notification.ts';
import { Plan } from './plan.ts';
import { PlatformAdmin } from './platform-admin.ts';
import { Project } from './project.ts';
import { ProjectMember } from './project-member.ts';
import { Role } from './role.ts';
import { Setting } from './setting.ts';
import { Task } from './task.ts';
import { TaskComment } from './task-comment.ts';
import { Tenant } from './tenant.ts';
import { User } from './user.ts';
import { UserRole } from './user-role.ts';

export {
  Attachment,
  Attendance,
  AuditLog,
  AuthToken,
  BillingEntry,
  CommentMention,
  Contribution,
  Domain,
  Event,
  Expense,
  Fund,
  Group,
  GroupMember,
  Household,
  JobRun,
  Member,
  Notification,
  Plan,
  PlatformAdmin,
  Project,
  ProjectMember,
  Role,
  Setting,
  Task,
  TaskComment,
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
    BillingEntry,
    JobRun,
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
    Project,
    ProjectMember,
    Task,
    TaskComment,
    CommentMention,
    Attachment,
    Notification,
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
  // projects and tasks
  Project.belongsTo(User, { foreignKey: 'ownerId', as: 'owner' });
  Project.hasMany(ProjectMember, { foreignKey: 'projectId', as: 'memberships' });
  ProjectMember.belongsTo(Project, { foreignKey: 'projectId', as: 'project' });
  ProjectMember.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  Project.hasMany(Task, { foreignKey: 'projectId', as: 'tasks' });
  Task.belongsTo(Project, { foreignKey: 'projectId', as: 'project' });
  Task.belongsTo(User, { foreignKey: 'assigneeId', as: 'assignee' });
  Task.belongsTo(User, { foreignKey: 'createdBy', as: 'creator' });
  Task.hasMany(TaskComment, { foreignKey: 'taskId', as: 'comments' });
  TaskComment.belongsTo(Task, { foreignKey: 'taskId', as: 'task' });
  TaskComment.belongsTo(User, { foreignKey: 'authorId', as: 'author' });
  TaskComment.belongsToMany(User, {
    through: CommentMention,
    foreignKey: 'commentId',
    otherKey: 'userId',
    as: 'mentioned',
  });
  Task.hasMany(Attachment, { foreignKey: 'taskId', as: 'attachments' });
  Attachment.belongsTo(Task, { foreignKey: 'taskId', as: 'task' });
  Attachment.belongsTo(User, { foreignKey: 'uploadedBy', as: 'uploader' });
  // billing
  Tenant.hasMany(BillingEntry, { foreignKey: 'tenantId', as: 'billingEntries' });
  BillingEntry.belongsTo(Tenant, { foreignKey: 'tenantId', as: 'tenant' });
  // notifications
  Notification.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  installTaskHooks();
}
