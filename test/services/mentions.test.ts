import { expect } from 'chai';
import {
  CommentMention,
  Project,
  ProjectMember,
  Task,
  TaskComment,
  type Tenant,
} from '../../app/models/index.ts';
import {
  commentParts,
  findMentions,
  handleOf,
  handlesOf,
  mentionablePeople,
  mentionedIds,
  type Person,
  replaceMentions,
} from '../../app/services/mentions.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

const ana: Person = { id: '1', name: 'Ana Silva', email: 'ana.silva@example.org' };
const anaCosta: Person = { id: '2', name: 'Ana Costa', email: 'acosta@example.org' };
const jose: Person = { id: '3', name: 'José Álvarez', email: 'j_alvarez@example.org' };
const bob: Person = { id: '4', name: 'Bob', email: 'bob@example.org' };

describe('mentions in comments', () => {
  describe('handles', () => {
    it('are lower case, without accents, with dots between words', () => {
      expect(handleOf('José Álvarez')).to.equal('jose.alvarez');
      expect(handleOf('  Mary-Jane  O’Neil ')).to.equal('mary.jane.o.neil');
      expect(handleOf('j_alvarez')).to.equal('j.alvarez');
      expect(handleOf('李雷')).to.equal('李雷');
    });

    it('shows the first name when it is unique in the project, and a longer handle when it is not', () => {
      const shown = handlesOf([ana, anaCosta, jose, bob]).map((h) => [h.person.id, h.handle]);
      expect(shown).to.deep.equal([
        ['1', 'ana.silva'],
        ['2', 'ana.costa'],
        ['3', 'jose'],
        ['4', 'bob'],
      ]);
    });

    it('falls back to the name and id when two people share every handle', () => {
      const twin1: Person = { id: '7', name: 'Sam Lee', email: 'sam@a.example' };
      const twin2: Person = { id: '8', name: 'Sam Lee', email: 'sam@b.example' };
      expect(handlesOf([twin1, twin2]).map((h) => h.handle)).to.deep.equal(['sam.lee.7', 'sam.lee.8']);
      expect(mentionedIds('thanks @sam.lee.8 and @sam', [twin1, twin2])).to.deep.equal(['8']);
    });
  });

  describe('reading a comment', () => {
    const people = [ana, anaCosta, jose, bob];

    it('finds handles made from the first name, the whole name and the e-mail, in any case', () => {
      expect(mentionedIds('@JOSE look', people)).to.deep.equal(['3']);
      expect(mentionedIds('ask @Ana.Silva', people)).to.deep.equal(['1']);
      expect(mentionedIds('ask @acosta', people)).to.deep.equal(['2']);
      expect(mentionedIds('cc @j_alvarez @josé.álvarez', people)).to.deep.equal(['3']);
    });

    it('leaves an ambiguous handle, an unknown one and e-mail addresses as text', () => {
      expect(mentionedIds('@ana can you check?', people)).to.deep.equal([]);
      expect(mentionedIds('@carol please', people)).to.deep.equal([]);
      expect(mentionedIds('write to bob@example.org', people)).to.deep.equal([]);
    });

    it('ends a handle at its last letter and tries shorter tokens cut at a dot', () => {
      const found = findMentions('Thanks @bob. And @jose.thanks, @bob!', people);
      expect(found.map((f) => [f.person.id, f.start, f.end])).to.deep.equal([
        ['4', 7, 11],
        ['3', 17, 22],
        ['4', 31, 35],
      ]);
    });

    it('cuts a body into lines of text and mention parts, linking only stored mentions', () => {
      const lines = commentParts('Hi @bob <b>\n@jose and @ana.silva', people, new Set(['4', '3']));
      expect(lines).to.deep.equal([
        [{ text: 'Hi ' }, { text: '@bob', user: { id: '4', name: 'Bob' } }, { text: ' <b>' }],
        [{ text: '@jose', user: { id: '3', name: 'José Álvarez' } }, { text: ' and @ana.silva' }],
      ]);
      expect(commentParts('', people, new Set())).to.deep.equal([[{ text: '' }]]);
    });
  });

  describe('in the database', () => {
    let tenant: Tenant;

    before(async () => {
      tenant = await createTenant();
    });

    it('knows the active members, viewers and owner of a project, and stores a changing mention set', async () => {
      const owner = await createUser(tenant, { name: 'Olga Owner' });
      const member = await createUser(tenant, { name: 'Mia Member' });
      const viewer = await createUser(tenant, { name: 'Vic Viewer' });
      const gone = await createUser(tenant, { name: 'Gus Gone', active: false });
      const outsider = await createUser(tenant, { name: 'Otto Outsider' });
      await withTenant(tenant.toRef(), async () => {
        const project = await Project.create({
          name: 'Roof',
          description: null,
          startsOn: null,
          endsOn: null,
          ownerId: owner.id,
        });
        await ProjectMember.bulkCreate([
          { projectId: project.id, userId: member.id, role: 'member' },
          { projectId: project.id, userId: viewer.id, role: 'viewer' },
          { projectId: project.id, userId: gone.id, role: 'member' },
        ]);
        const people = await mentionablePeople(project);
        expect(people.map((p) => p.name)).to.deep.equal(['Mia Member', 'Olga Owner', 'Vic Viewer']);
        expect(people.map((p) => p.id)).not.to.include(outsider.id);

        const task = await Task.create({
          projectId: project.id,
          title: 'Fix',
          description: null,
          assigneeId: null,
          dueAt: null,
          completedAt: null,
          createdBy: null,
        });
        const comment = await TaskComment.create({
          taskId: task.id,
          authorId: member.id,
          body: 'x',
          editedAt: null,
        });
        await replaceMentions(comment.id, [String(viewer.id), String(owner.id)]);
        await CommentMention.update(
          { notifiedAt: new Date() },
          { where: { commentId: comment.id, userId: owner.id } },
        );
        await replaceMentions(comment.id, [String(owner.id), String(member.id)]);
        const rows = await CommentMention.findAll({
          where: { commentId: comment.id },
          order: [['userId', 'ASC']],
        });
        expect(rows.map((r) => String(r.userId)).sort()).to.deep.equal(
          [String(owner.id), String(member.id)].sort(),
        );
        // The person still named keeps their row (and so whether they were told).
        expect(rows.find((r) => String(r.userId) === String(owner.id))?.notifiedAt).to.be.instanceOf(Date);
        await replaceMentions(comment.id, []);
        expect(await CommentMention.count({ where: { commentId: comment.id } })).to.equal(0);
      });
    });
  });
});
