import { expect } from 'chai';
import type supertest from 'supertest';
import { Notification, Task, type Tenant, type User } from '../../app/models/index.ts';
import { type NotificationPayload, notify, setPublisher } from '../../app/services/notifications.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { inTenant, type ProjectWorld, projectWorld } from '../support/collaboration.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';
import { createGroup, createLinkedUser, createMember } from '../support/groups.ts';

function notificationsOf(tenant: Tenant, userId: string): Promise<Notification[]> {
  return inTenant(tenant, () => Notification.findAll({ where: { userId }, order: [['id', 'ASC']] }));
}

function make(tenant: Tenant, userId: string, title: string, extra: { url?: string } = {}) {
  return inTenant(tenant, async () => {
    const row = await notify({ userId, kind: 'task.assigned', title, ...extra });
    if (!row) throw new Error('not saved');
    return row;
  });
}

describe('notifications (/notifications)', function () {
  this.timeout(90_000);
  let tenant: Tenant;
  let other: Tenant;
  let host: string;
  let ana: User;
  let ben: User;
  let asAna: supertest.Agent;
  let asBen: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    other = await createTenant({ kind: 'company' });
    host = hostOf(tenant);
    ana = await createUser(tenant, { level: 5, name: 'Ana Bell' });
    ben = await createUser(tenant, { level: 5, name: 'Ben Bell' });
    asAna = await signedIn(tenant, ana.email);
    asBen = await signedIn(tenant, ben.email);
  });

  describe('the list, the bell and marking read', () => {
    it("lists the user's own notifications, newest first, and none of anyone else's", async () => {
      await make(tenant, ana.id, 'Ana first <b>');
      await make(tenant, ana.id, 'Ana second', { url: '/tasks/5' });
      await make(tenant, ben.id, 'Only for Ben');
      const res = await asAna.get('/notifications').set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Ana first &lt;b&gt;');
      expect(res.text).not.to.include('Ana first <b>');
      expect(res.text).not.to.include('Only for Ben');
      expect(res.text.indexOf('Ana second')).to.be.below(res.text.indexOf('Ana first'));
      expect(res.text).to.include('2 unread of 2');
      expect(res.text).to.include('name="next" value="/tasks/5"');
      expect(res.text).to.include('action="/notifications/read-all"');
    });

    it('pages a long list', async () => {
      const paged = await createUser(tenant, { level: 5 });
      for (let i = 1; i <= 27; i++)
        await make(tenant, paged.id, `Paged notice ${String(i).padStart(2, '0')}`);
      const agent = await signedIn(tenant, paged.email);
      const first = await agent.get('/notifications').set('Host', host);
      expect(first.text).to.include('Paged notice 27');
      expect(first.text).not.to.include('Paged notice 02');
      expect(first.text).to.include('href="/notifications?page=2"');
      const second = await agent.get('/notifications?page=2').set('Host', host);
      expect(second.status).to.equal(200);
      expect(second.text).to.include('Paged notice 01');
      expect(second.text).to.include('Paged notice 02');
      expect(second.text).not.to.include('Paged notice 03');
      const beyond = await agent.get('/notifications?page=abc').set('Host', host);
      expect(beyond.status).to.equal(200);
    });

    it("answers the bell with the unread count and the latest five, the user's own only", async () => {
      const bell = await createUser(tenant, { level: 5 });
      for (let i = 1; i <= 7; i++) await make(tenant, bell.id, `Bell ${i}`);
      await make(tenant, ana.id, 'Not in the bell');
      const agent = await signedIn(tenant, bell.email);
      const res = await agent
        .get('/notifications/unread.json')
        .set('Host', host)
        .set('Accept', 'application/json');
      expect(res.status).to.equal(200);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body.count).to.equal(7);
      expect(res.body.latest.map((n: NotificationPayload) => n.title)).to.deep.equal([
        'Bell 7',
        'Bell 6',
        'Bell 5',
        'Bell 4',
        'Bell 3',
      ]);
      expect(res.body.latest[0]).to.include({ kind: 'task.assigned', read: false });
    });

    it('asks for a sign-in without a session', async () => {
      const json = await http()
        .get('/notifications/unread.json')
        .set('Host', host)
        .set('Accept', 'application/json');
      expect(json.status).to.equal(401);
      const page = await http().get('/notifications').set('Host', host);
      expect(page.status).to.equal(302);
      expect(page.headers.location).to.match(/^\/login\?next=/);
    });

    it('marks one as read and goes on to its page', async () => {
      const n = await make(tenant, ana.id, 'Open me', { url: '/tasks/8' });
      const res = await postForm(asAna, host, `/notifications/${n.id}/read`, { next: '/tasks/8' });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/tasks/8');
      const stored = await inTenant(tenant, () => Notification.findByPk(n.id));
      expect(stored?.readAt).to.be.instanceOf(Date);

      const elsewhere = await make(tenant, ana.id, 'Not off-site');
      const away = await postForm(asAna, host, `/notifications/${elsewhere.id}/read`, {
        next: '//evil.test/x',
      });
      expect(away.headers.location).to.equal('/notifications');
    });

    it("answers 404 for another user's notification, a malformed id, or an id of another tenant", async () => {
      const bens = await make(tenant, ben.id, 'Ben private');
      const foreignUser = await createUser(other, { level: 5 });
      // The other tenant's ids start far from this one's, so its id names nothing here.
      await inTenant(other, async () =>
        Notification.sequelize?.query("SELECT setval(pg_get_serial_sequence('notifications', 'id'), 500000)"),
      );
      const foreign = await make(other, foreignUser.id, 'Other tenant');
      for (const id of [bens.id, 'abc', '99999999999999999999', foreign.id]) {
        const res = await postForm(asAna, host, `/notifications/${id}/read`, {});
        expect(res.status, id).to.equal(404);
      }
      const stored = await inTenant(tenant, () => Notification.findByPk(bens.id));
      expect(stored?.readAt).to.equal(null);
      const foreignStored = await inTenant(other, () => Notification.findByPk(foreign.id));
      expect(foreignStored?.readAt).to.equal(null);
    });

    it("marks all of the user's own as read, and nobody else's", async () => {
      await make(tenant, ana.id, 'All one');
      await make(tenant, ana.id, 'All two');
      const bens = await make(tenant, ben.id, 'Ben keeps this unread');
      const res = await postForm(asAna, host, '/notifications/read-all', {});
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/notifications');
      const unread = await inTenant(tenant, () =>
        Notification.count({ where: { userId: ana.id, readAt: null } }),
      );
      expect(unread).to.equal(0);
      expect((await inTenant(tenant, () => Notification.findByPk(bens.id)))?.readAt).to.equal(null);
      const page = await asAna.get('/notifications').set('Host', host);
      expect(page.text).to.include('Every notification is marked as read.');
      expect(page.text).to.match(/0 unread of \d+/);
      expect(page.text).not.to.include('action="/notifications/read-all"');
      const bell = await asAna
        .get('/notifications/unread.json')
        .set('Host', host)
        .set('Accept', 'application/json');
      expect(bell.body.count).to.equal(0);
    });

    it('marks read for the bell script (JSON) with the CSRF token in a header, and refuses without it', async () => {
      const n = await make(tenant, ben.id, 'From the drop-down');
      const page = await asBen.get('/').set('Host', host);
      const token = page.text.match(/data-csrf="([^"]+)"/)?.[1] ?? '';
      expect(token).to.not.equal('');
      const refused = await asBen
        .post(`/notifications/${n.id}/read`)
        .set('Host', host)
        .set('Accept', 'application/json');
      expect(refused.status).to.equal(403);
      const res = await asBen
        .post(`/notifications/${n.id}/read`)
        .set('Host', host)
        .set('Accept', 'application/json')
        .set('X-CSRF-Token', token);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ id: String(n.id), read: true });
      expect((await inTenant(tenant, () => Notification.findByPk(n.id)))?.readAt).to.be.instanceOf(Date);
    });

    it('puts the bell, its script and the socket client on pages of signed-in staff only', async () => {
      const res = await asAna.get('/').set('Host', host);
      expect(res.text).to.include('id="notification-bell"');
      expect(res.text).to.include('data-unread-url="/notifications/unread.json"');
      expect(res.text).to.include('<script src="/assets/js/notifications.js" defer></script>');
      expect(res.text).to.include('<script src="/vendor/socket.io/socket.io.min.js" defer></script>');
      expect(res.headers['content-security-policy']).to.match(/connect-src 'self' ws:\/\/[^;]*localhost/);
      const login = await http().get('/login').set('Host', host);
      expect(login.text).not.to.include('notification-bell');
      const client = await http().get('/vendor/socket.io/socket.io.min.js');
      expect(client.status).to.equal(200);
      expect(client.headers['content-type']).to.match(/javascript/);
      const script = await http().get('/assets/js/notifications.js');
      expect(script.status).to.equal(200);
    });
  });

  describe('what makes a notification', () => {
    let w: ProjectWorld;
    const pushed: { room: string; payload: NotificationPayload }[] = [];

    before(async () => {
      w = await projectWorld({ kind: 'church' });
      setPublisher((room, payload) => pushed.push({ room, payload }));
    });
    after(() => setPublisher(null));

    const taskForm = (fields: Record<string, string>) => ({
      title: 'Sweep the porch',
      description: '',
      status: 'todo',
      priority: 'medium',
      assigneeId: '',
      dueDate: '',
      dueTime: '',
      ...fields,
    });

    it('tells a person a task was assigned to them, on create and when the assignee changes', async () => {
      pushed.length = 0;
      const res = await postForm(
        w.as.member,
        w.host,
        `/projects/${w.project.id}/tasks`,
        taskForm({ assigneeId: String(w.users.builder.id) }),
      );
      expect(res.status).to.equal(302);
      const taskId = String(res.headers.location).split('/').pop() ?? '';
      const [told] = await notificationsOf(w.tenant, w.users.builder.id);
      expect(told).to.include({ kind: 'task.assigned', url: `/tasks/${taskId}` });
      expect(told.title).to.equal('Mia Member assigned you “Sweep the porch”');
      expect(told.body).to.equal('Roof repair');
      expect(pushed.map((p) => p.room)).to.deep.equal([`t:${w.tenant.id}:u:${w.users.builder.id}`]);

      // Saving it again with the same assignee tells nobody; giving it to Mia (by Bob) tells Mia.
      await postForm(
        w.as.member,
        w.host,
        `/tasks/${taskId}`,
        taskForm({ assigneeId: String(w.users.builder.id), priority: 'high' }),
      );
      expect(await notificationsOf(w.tenant, w.users.builder.id)).to.have.length(1);
      await postForm(
        w.as.builder,
        w.host,
        `/tasks/${taskId}`,
        taskForm({ assigneeId: String(w.users.member.id) }),
      );
      const forMia = await notificationsOf(w.tenant, w.users.member.id);
      expect(forMia.map((n) => n.title)).to.deep.equal(['Bob Builder assigned you “Sweep the porch”']);
    });

    it('tells nobody when people assign a task to themselves', async () => {
      const before = await inTenant(w.tenant, () => Notification.count());
      const res = await postForm(
        w.as.builder,
        w.host,
        `/projects/${w.project.id}/tasks`,
        taskForm({ title: 'Mine', assigneeId: String(w.users.builder.id) }),
      );
      expect(res.status).to.equal(302);
      expect(await inTenant(w.tenant, () => Notification.count())).to.equal(before);
    });

    it("tells the task's assignee of a comment and the people mentioned, never the author, once each", async () => {
      await inTenant(w.tenant, () =>
        Task.update({ assigneeId: w.users.builder.id }, { where: { id: w.otherTask.id } }),
      );
      const before = {
        builder: (await notificationsOf(w.tenant, w.users.builder.id)).length,
        viewer: (await notificationsOf(w.tenant, w.users.viewer.id)).length,
        member: (await notificationsOf(w.tenant, w.users.member.id)).length,
      };
      // Bob is the assignee and is also mentioned: one notification, the mention.
      const res = await postForm(w.as.member, w.host, `/tasks/${w.otherTask.id}/comments`, {
        body: 'Ready when you are @bob, @vic.viewer and @mia',
      });
      expect(res.status).to.equal(302);
      const builder = (await notificationsOf(w.tenant, w.users.builder.id)).slice(before.builder);
      const viewer = (await notificationsOf(w.tenant, w.users.viewer.id)).slice(before.viewer);
      const member = (await notificationsOf(w.tenant, w.users.member.id)).slice(before.member);
      expect(builder.map((n) => n.kind)).to.deep.equal(['task.mentioned']);
      expect(builder[0].title).to.equal('Mia Member mentioned you on “Hire a crane”');
      expect(builder[0].body).to.equal('Ready when you are @bob, @vic.viewer and @mia');
      expect(builder[0].url).to.match(new RegExp(`^/tasks/${w.otherTask.id}#comment-\\d+$`));
      expect(viewer.map((n) => n.kind)).to.deep.equal(['task.mentioned']);
      expect(member, 'the author').to.deep.equal([]);

      // A plain comment by someone else tells the assignee it was commented on.
      await postForm(w.as.member, w.host, `/tasks/${w.otherTask.id}/comments`, { body: 'Crane booked?' });
      const latest = (await notificationsOf(w.tenant, w.users.builder.id)).at(-1);
      expect(latest?.kind).to.equal('task.commented');
      expect(latest?.title).to.equal('Mia Member commented on “Hire a crane”');
    });

    it('tells a person mentioned only in an edit, and not twice', async () => {
      const res = await postForm(w.as.member, w.host, `/tasks/${w.task.id}/comments`, {
        body: 'First draft',
      });
      const commentId = String(res.headers.location).split('#comment-')[1];
      const count = async () => (await notificationsOf(w.tenant, w.users.viewer.id)).length;
      const before = await count();
      await postForm(w.as.member, w.host, `/tasks/${w.task.id}/comments/${commentId}`, {
        body: 'Draft for @vic.viewer',
      });
      expect(await count()).to.equal(before + 1);
      await postForm(w.as.member, w.host, `/tasks/${w.task.id}/comments/${commentId}`, {
        body: 'Final for @vic.viewer',
      });
      expect(await count()).to.equal(before + 1);
    });

    it('pushes nothing for a comment that was refused', async () => {
      pushed.length = 0;
      const res = await postForm(w.as.member, w.host, `/tasks/${w.otherTask.id}/comments`, { body: '' });
      expect(res.status).to.equal(422);
      expect(pushed).to.deep.equal([]);
    });
  });

  describe('groups', () => {
    it('tells a staff user who is added to a group, and nobody for a person without an account', async () => {
      const admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
      const group = await createGroup(tenant, { name: 'Choir' });
      const linked = await createLinkedUser(tenant, { name: 'Carla' });
      const res = await postForm(admin, host, `/groups/${group.id}/members`, {
        memberId: linked.member.id,
        role: 'leader',
      });
      expect(res.status).to.equal(302);
      const [told] = await notificationsOf(tenant, linked.user.id);
      expect(told).to.include({ kind: 'group.member_added', url: `/groups/${group.id}` });
      expect(told.title).to.match(/added you to Choir as a leader$/);

      const before = await inTenant(tenant, () => Notification.count());
      const plain = await createMember(tenant, { firstName: 'Nora' });
      const again = await postForm(admin, host, `/groups/${group.id}/members`, {
        memberId: plain.id,
        role: 'member',
      });
      expect(again.status).to.equal(302);
      expect(await inTenant(tenant, () => Notification.count())).to.equal(before);
    });
  });
});
