'use strict';

/**
 * Projects with members, tasks, comments with mentions, task attachments, and the project an audit
 * entry belongs to (for per-project activity feeds). Kinds and statuses are CHECK constraints.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const now = { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') };
    const id = { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true };
    const ref = (model, onDelete, allowNull = true) => ({
      type: Sequelize.BIGINT,
      allowNull,
      references: { model, key: 'id' },
      onDelete,
    });
    const check = (table, name, where) =>
      queryInterface.addConstraint(table, { type: 'check', fields: Object.keys(where), name, where });

    await queryInterface.createTable('projects', {
      id,
      name: { type: Sequelize.STRING(160), allowNull: false },
      description: { type: Sequelize.TEXT, allowNull: true },
      status: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'planning' },
      starts_on: { type: Sequelize.DATEONLY, allowNull: true },
      ends_on: { type: Sequelize.DATEONLY, allowNull: true },
      owner_id: ref('users', 'SET NULL'),
      created_at: now,
      updated_at: now,
    });
    await check('projects', 'projects_status_check', {
      status: ['planning', 'active', 'on_hold', 'completed', 'archived'],
    });
    await queryInterface.addIndex('projects', ['status'], { name: 'projects_status_idx' });

    await queryInterface.createTable('project_members', {
      project_id: { ...ref('projects', 'CASCADE', false), primaryKey: true },
      user_id: { ...ref('users', 'CASCADE', false), primaryKey: true },
      role: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'member' },
      created_at: now,
    });
    await check('project_members', 'project_members_role_check', { role: ['member', 'viewer'] });
    await queryInterface.addIndex('project_members', ['user_id'], { name: 'project_members_user_idx' });

    await queryInterface.createTable('tasks', {
      id,
      project_id: ref('projects', 'CASCADE', false),
      title: { type: Sequelize.STRING(200), allowNull: false },
      description: { type: Sequelize.TEXT, allowNull: true },
      priority: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'medium' },
      status: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'todo' },
      assignee_id: ref('users', 'SET NULL'),
      due_at: { type: Sequelize.DATE, allowNull: true },
      completed_at: { type: Sequelize.DATE, allowNull: true },
      archived_at: { type: Sequelize.DATE, allowNull: true },
      created_by: ref('users', 'SET NULL'),
      created_at: now,
      updated_at: now,
    });
    await check('tasks', 'tasks_priority_check', { priority: ['low', 'medium', 'high', 'urgent'] });
    await check('tasks', 'tasks_status_check', { status: ['todo', 'in_progress', 'review', 'done'] });
    await queryInterface.addIndex('tasks', ['project_id', 'status'], { name: 'tasks_project_status_idx' });
    await queryInterface.addIndex('tasks', ['assignee_id', 'status'], { name: 'tasks_assignee_status_idx' });
    await queryInterface.addIndex('tasks', ['due_at'], { name: 'tasks_due_idx' });
    await queryInterface.addIndex('tasks', ['completed_at'], { name: 'tasks_completed_idx' });

    await queryInterface.createTable('task_comments', {
      id,
      task_id: ref('tasks', 'CASCADE', false),
      author_id: ref('users', 'SET NULL'),
      body: { type: Sequelize.TEXT, allowNull: false },
      edited_at: { type: Sequelize.DATE, allowNull: true },
      created_at: now,
      updated_at: now,
    });
    await queryInterface.addIndex('task_comments', ['task_id', 'created_at'], {
      name: 'task_comments_task_idx',
    });

    await queryInterface.createTable('comment_mentions', {
      comment_id: { ...ref('task_comments', 'CASCADE', false), primaryKey: true },
      user_id: { ...ref('users', 'CASCADE', false), primaryKey: true },
      notified_at: { type: Sequelize.DATE, allowNull: true },
      created_at: now,
    });
    await queryInterface.addIndex('comment_mentions', ['user_id'], { name: 'comment_mentions_user_idx' });

    await queryInterface.createTable('attachments', {
      id,
      task_id: ref('tasks', 'CASCADE', false),
      file_key: { type: Sequelize.STRING(200), allowNull: false },
      file_name: { type: Sequelize.STRING(200), allowNull: false },
      content_type: { type: Sequelize.STRING(100), allowNull: false },
      size_bytes: { type: Sequelize.BIGINT, allowNull: false },
      uploaded_by: ref('users', 'SET NULL'),
      created_at: now,
    });
    await queryInterface.addIndex('attachments', ['task_id'], { name: 'attachments_task_idx' });

    // Raw SQL: addColumn would qualify the table with the default schema; tenant migrations never name one.
    await queryInterface.sequelize.query('ALTER TABLE audit_logs ADD COLUMN project_id BIGINT');
    await queryInterface.addIndex('audit_logs', ['project_id', 'created_at'], {
      name: 'audit_logs_project_idx',
      where: { project_id: { [Sequelize.Op.ne]: null } },
    });
  },

  async down(queryInterface) {
    await queryInterface.removeIndex('audit_logs', 'audit_logs_project_idx');
    await queryInterface.sequelize.query('ALTER TABLE audit_logs DROP COLUMN project_id');
    for (const t of [
      'attachments',
      'comment_mentions',
      'task_comments',
      'tasks',
      'project_members',
      'projects',
    ]) {
      await queryInterface.dropTable(t);
    }
  },
};
