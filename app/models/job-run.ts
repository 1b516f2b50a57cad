import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  Op,
  type Sequelize,
} from 'sequelize';

export const JOB_RUN_STATUSES = ['running', 'succeeded', 'failed', 'partial'] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];

/** A tenant the run could not finish, and why. `tenant` is null for a failure of the run itself. */
export interface JobFailure {
  tenant: string | null;
  message: string;
}

/** One run of a scheduled job: when, how it ended, how many tenants it did, what failed. Public table. */
export class JobRun extends Model<InferAttributes<JobRun>, InferCreationAttributes<JobRun>> {
  declare id: CreationOptional<string>;
  declare job: string;
  declare startedAt: CreationOptional<Date>;
  declare finishedAt: Date | null;
  declare status: CreationOptional<JobRunStatus>;
  declare tenantsDone: CreationOptional<number>;
  declare failures: CreationOptional<JobFailure[]>;
  /** "schedule", "cli", or "admin <e-mail>". */
  declare triggeredBy: string;
  /** The cron slot a scheduled run belongs to (unique per job); null for a manual run. */
  declare scheduledFor: CreationOptional<Date | null>;

  get durationMs(): NonAttribute<number | null> {
    return this.finishedAt ? this.finishedAt.getTime() - this.startedAt.getTime() : null;
  }

  /** Closes the run: partial when some tenants failed, failed when the run itself did. */
  async finish(outcome: { tenantsDone: number; failures: JobFailure[]; crashed?: boolean }): Promise<void> {
    const status: JobRunStatus = outcome.crashed
      ? 'failed'
      : outcome.failures.length
        ? 'partial'
        : 'succeeded';
    await this.update({
      status,
      finishedAt: new Date(),
      tenantsDone: outcome.tenantsDone,
      failures: outcome.failures,
    });
  }

  /**
   * Marks the job's runs still "running" as failed. Called by the holder of the job's lock, so such a
   * run cannot be alive: its process stopped (killed, crashed, restarted) before it could finish.
   */
  static async closeInterrupted(job: string): Promise<number> {
    const [count] = await JobRun.update(
      {
        status: 'failed',
        finishedAt: new Date(),
        failures: [{ tenant: null, message: 'interrupted: its process stopped before the run finished' }],
      },
      { where: { job, status: 'running' } },
    );
    return count;
  }

  /**
   * Starts the run of one scheduled occurrence: answers null when a run of `job` for
   * `scheduledFor` exists already (another clock took it, however late it fired).
   */
  static async startOccurrence(job: string, scheduledFor: Date, triggeredBy: string): Promise<JobRun | null> {
    const [run] = await JobRun.bulkCreate([{ job, scheduledFor, triggeredBy, finishedAt: null }], {
      ignoreDuplicates: true,
      returning: true,
    });
    return run?.id ? run : null;
  }

  /** The most recent runs, of one job or of all. */
  static recent(opts: { job?: string; limit?: number; offset?: number } = {}) {
    return JobRun.findAndCountAll({
      where: opts.job ? { job: opts.job } : {},
      order: [
        ['startedAt', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: opts.limit ?? 50,
      offset: opts.offset ?? 0,
    });
  }

  /** The last run of each job, by job name. */
  static async lastOf(jobs: string[]): Promise<Map<string, JobRun>> {
    const runs = await Promise.all(
      jobs.map((job) => JobRun.findOne({ where: { job }, order: [['startedAt', 'DESC']] })),
    );
    return new Map(runs.filter((r): r is JobRun => r !== null).map((r) => [r.job, r]));
  }

  static isRunning(job: string): Promise<boolean> {
    return JobRun.count({ where: { job, status: { [Op.eq]: 'running' } } }).then((n) => n > 0);
  }

  static initModel(sequelize: Sequelize): void {
    JobRun.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        job: { type: DataTypes.STRING(60), allowNull: false },
        startedAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
        finishedAt: { type: DataTypes.DATE, allowNull: true },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'running' },
        tenantsDone: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        failures: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
        triggeredBy: { type: DataTypes.STRING(200), allowNull: false },
        scheduledFor: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'job_runs', schema: 'public', underscored: true, timestamps: false },
    );
  }
}
