import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { config } from '../../config/index.ts';
import { signedIn } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf, http } from '../support/factories.ts';
import { createMember } from '../support/groups.ts';

/**
 * Confirmation dialogs must work without JavaScript: each trigger is a link to its dialog (the
 * stylesheet opens a dialog that is the page's :target), and Cancel is a link away from it.
 */
const VIEWS = path.join(config.root, 'views');

function viewFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? viewFiles(path.join(dir, e.name))
      : e.name.endsWith('.ejs')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('confirmation dialogs without JavaScript', () => {
  it('open from a link to the dialog in every view, and close through links', () => {
    let dialogs = 0;
    for (const file of viewFiles(VIEWS)) {
      const text = readFileSync(file, 'utf8');
      const name = path.relative(VIEWS, file);
      for (const trigger of text.match(/<[a-z]+[^>]*data-bs-toggle="modal"[^>]*>/g) ?? []) {
        dialogs++;
        const target = /data-bs-target="#([a-z0-9-]+)"/.exec(trigger)?.[1];
        expect(trigger, name).to.match(/^<a /);
        expect(trigger, name).to.include(`href="#${target}"`);
        expect(text, name).to.include(`class="modal fade" id="${target}"`);
      }
      for (const dismiss of text.match(/<[a-z]+[^>]*data-bs-dismiss="modal"[^>]*>/g) ?? []) {
        expect(dismiss, name).to.match(/^<a href="#"/);
      }
      // A dialog shown by the stylesheet must not stay hidden from screen readers.
      expect(text, name).not.to.match(/class="modal[^"]*"[^>]*aria-hidden="true"/);
    }
    expect(dialogs).to.be.at.least(6);
  });

  it('serves the stylesheet rule and the script that tells it scripts run', async () => {
    const css = await http().get('/assets/css/app.css').set('Host', 'localhost').expect(200);
    expect(css.text).to.include('html:not(.js) .modal:target');
    const js = await http().get('/assets/js/page.js').set('Host', 'localhost').expect(200);
    expect(js.text).to.include("classList.add('js')");
  });

  it("puts the deletion form inside the dialog a person's page links to", async () => {
    const tenant = await createTenant({ kind: 'church' });
    const member = await createMember(tenant, { firstName: 'Linked', lastName: 'Dialog' });
    const admin = await signedIn(tenant, adminEmail(tenant));
    const page = await admin.get(`/members/${member.id}`).set('Host', hostOf(tenant)).expect(200);
    expect(page.text).to.include('<script src="/assets/js/page.js"></script>');
    const dialog = page.text.slice(page.text.indexOf('id="delete-member"'));
    expect(page.text).to.include('href="#delete-member"');
    expect(dialog).to.include(`action="/members/${member.id}/delete"`);
    expect(dialog.slice(0, dialog.indexOf('</form>'))).to.include('name="_csrf"');
  });
});
