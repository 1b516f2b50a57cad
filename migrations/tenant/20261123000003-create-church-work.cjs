'use strict';

/**
 * People, households, groups, attendance and the finance ledger. Money is integer cents (BIGINT);
 * kinds and statuses are CHECK constraints (no ENUM types in tenant schemas).
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

    await queryInterface.createTable('households', {
      id,
      name: { type: Sequelize.STRING(120), allowNull: false },
      address: { type: Sequelize.STRING(300), allowNull: true },
      phone: { type: Sequelize.STRING(40), allowNull: true },
      created_at: now,
      updated_at: now,
    });

    await queryInterface.createTable('members', {
      id,
      first_name: { type: Sequelize.STRING(80), allowNull: false },
      last_name: { type: Sequelize.STRING(80), allowNull: false },
      email: { type: Sequelize.STRING(254), allowNull: true },
      phone: { type: Sequelize.STRING(40), allowNull: true },
      address: { type: Sequelize.STRING(300), allowNull: true },
      birth_date: { type: Sequelize.DATEONLY, allowNull: true },
      status: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'visitor' },
      joined_on: { type: Sequelize.DATEONLY, allowNull: true },
      notes: { type: Sequelize.TEXT, allowNull: true },
      household_id: ref('households', 'SET NULL'),
      user_id: ref('users', 'SET NULL'),
      created_at: now,
      updated_at: now,
    });
    await check('members', 'members_status_check', { status: ['visitor', 'regular', 'member', 'inactive'] });
    await queryInterface.addIndex('members', ['email'], {
      name: 'members_email_key',
      unique: true,
      where: { email: { [Sequelize.Op.ne]: null } },
    });
    await queryInterface.addIndex('members', ['user_id'], {
      name: 'members_user_key',
      unique: true,
      where: { user_id: { [Sequelize.Op.ne]: null } },
    });
    await queryInterface.addIndex('members', ['last_name', 'first_name'], { name: 'members_name_idx' });
    await queryInterface.addIndex('members', ['household_id'], { name: 'members_household_idx' });
    await queryInterface.addIndex('members', ['status'], { name: 'members_status_idx' });

    await queryInterface.createTable('groups', {
      id,
      name: { type: Sequelize.STRING(120), allowNull: false, unique: true },
      description: { type: Sequelize.TEXT, allowNull: true },
      meeting_day: { type: Sequelize.SMALLINT, allowNull: true },
      meeting_time: { type: Sequelize.TIME, allowNull: true },
      created_at: now,
      updated_at: now,
    });
    await check('groups', 'groups_meeting_day_check', { meeting_day: { [Sequelize.Op.between]: [0, 6] } });

    await queryInterface.createTable('group_members', {
      group_id: { ...ref('groups', 'CASCADE', false), primaryKey: true },
      member_id: { ...ref('members', 'CASCADE', false), primaryKey: true },
      role: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'member' },
      created_at: now,
    });
    await check('group_members', 'group_members_role_check', { role: ['leader', 'member'] });
    await queryInterface.addIndex('group_members', ['member_id'], { name: 'group_members_member_idx' });

    await queryInterface.createTable('events', {
      id,
      title: { type: Sequelize.STRING(160), allowNull: false },
      kind: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'service' },
      group_id: ref('groups', 'CASCADE'),
      starts_at: { type: Sequelize.DATE, allowNull: false },
      visitor_count: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      created_at: now,
      updated_at: now,
    });
    await check('events', 'events_kind_check', { kind: ['service', 'group_meeting'] });
    await queryInterface.addIndex('events', ['starts_at'], { name: 'events_starts_idx' });
    await queryInterface.addIndex('events', ['group_id', 'starts_at'], { name: 'events_group_idx' });

    await queryInterface.createTable('attendances', {
      event_id: { ...ref('events', 'CASCADE', false), primaryKey: true },
      member_id: { ...ref('members', 'CASCADE', false), primaryKey: true },
      created_at: now,
    });
    await queryInterface.addIndex('attendances', ['member_id'], { name: 'attendances_member_idx' });

    await queryInterface.createTable('funds', {
      id,
      name: { type: Sequelize.STRING(80), allowNull: false, unique: true },
      description: { type: Sequelize.STRING(300), allowNull: true },
      active: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      created_at: now,
      updated_at: now,
    });

    await queryInterface.createTable('contributions', {
      id,
      member_id: ref('members', 'SET NULL'),
      fund_id: ref('funds', 'RESTRICT', false),
      amount_cents: { type: Sequelize.BIGINT, allowNull: false },
      received_on: { type: Sequelize.DATEONLY, allowNull: false },
      method: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'cash' },
      reference: { type: Sequelize.STRING(80), allowNull: true },
      note: { type: Sequelize.STRING(300), allowNull: true },
      created_by: { type: Sequelize.BIGINT, allowNull: true },
      created_at: now,
      updated_at: now,
    });
    await check('contributions', 'contributions_amount_check', { amount_cents: { [Sequelize.Op.ne]: 0 } });
    await check('contributions', 'contributions_method_check', {
      method: ['cash', 'check', 'card', 'transfer', 'online', 'other'],
    });
    await queryInterface.addIndex('contributions', ['received_on'], { name: 'contributions_received_idx' });
    await queryInterface.addIndex('contributions', ['member_id', 'received_on'], {
      name: 'contributions_member_idx',
    });
    await queryInterface.addIndex('contributions', ['fund_id', 'received_on'], {
      name: 'contributions_fund_idx',
    });

    await queryInterface.createTable('expenses', {
      id,
      category: { type: Sequelize.STRING(80), allowNull: false },
      fund_id: ref('funds', 'RESTRICT', false),
      amount_cents: { type: Sequelize.BIGINT, allowNull: false },
      spent_on: { type: Sequelize.DATEONLY, allowNull: false },
      payee: { type: Sequelize.STRING(160), allowNull: false },
      note: { type: Sequelize.STRING(300), allowNull: true },
      receipt_key: { type: Sequelize.STRING(200), allowNull: true },
      receipt_name: { type: Sequelize.STRING(200), allowNull: true },
      receipt_type: { type: Sequelize.STRING(100), allowNull: true },
      created_by: { type: Sequelize.BIGINT, allowNull: true },
      created_at: now,
      updated_at: now,
    });
    await check('expenses', 'expenses_amount_check', { amount_cents: { [Sequelize.Op.ne]: 0 } });
    await queryInterface.addIndex('expenses', ['spent_on'], { name: 'expenses_spent_idx' });
    await queryInterface.addIndex('expenses', ['fund_id', 'spent_on'], { name: 'expenses_fund_idx' });
  },

  async down(queryInterface) {
    for (const t of [
      'expenses',
      'contributions',
      'funds',
      'attendances',
      'events',
      'group_members',
      'groups',
      'members',
      'households',
    ]) {
      await queryInterface.dropTable(t);
    }
  },
};
