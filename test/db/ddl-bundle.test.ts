import { expect } from 'chai';
import { withoutDroppedIndexes } from '../../app/db/ddl-bundle.ts';

describe('DDL bundle: indexes history built and dropped', () => {
  it('leaves out a plain index a later statement drops, and the drop', () => {
    const out = withoutDroppedIndexes([
      'CREATE TABLE "members" ("id" BIGSERIAL);',
      'CREATE INDEX "members_status_idx" ON "members" ("status");',
      'CREATE INDEX "members_name_idx" ON "members" ("last_name");',
      'DROP INDEX IF EXISTS members_name_idx;',
      'CREATE INDEX members_name_idx ON members (last_name, id);',
      'DROP INDEX IF EXISTS members_status_idx;',
    ]);
    expect(out).to.deep.equal([
      'CREATE TABLE "members" ("id" BIGSERIAL);',
      'CREATE INDEX members_name_idx ON members (last_name, id);',
    ]);
  });

  it('keeps a unique index and its drop, since a constraint may rest on it in between', () => {
    const statements = [
      'CREATE UNIQUE INDEX "funds_code_key" ON "funds" ("code");',
      'DROP INDEX funds_code_key;',
    ];
    expect(withoutDroppedIndexes(statements)).to.deep.equal(statements);
  });

  it('drops a drop with nothing to drop, and leaves every other statement in order', () => {
    const statements = ['CREATE TABLE "a" ("id" INT);', 'ALTER TABLE a ADD COLUMN b INT;'];
    expect(withoutDroppedIndexes([...statements, 'DROP INDEX IF EXISTS a_b_idx;'])).to.deep.equal(statements);
  });
});
