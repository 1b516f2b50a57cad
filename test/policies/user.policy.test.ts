import { expect } from 'chai';
import { User } from '../../app/models/user.ts';
import { allows, authorize, refusal } from '../../app/policies/user.policy.ts';

function person(active: boolean): User {
  return User.build({ email: 'p@example.test', name: 'Pat', passwordHash: null, department: null, active });
}

describe('the staff account policy', () => {
  it('lets an active account be deactivated and an inactive one reactivated, not the other way round', () => {
    expect(allows('deactivate', person(true))).to.equal(true);
    expect(allows('reactivate', person(true))).to.equal(false);
    expect(allows('deactivate', person(false))).to.equal(false);
    expect(allows('reactivate', person(false))).to.equal(true);
  });

  it('sends an invitation again only to an active person who has not chosen a password', () => {
    expect(allows('resendInvitation', person(true), { invitationPending: true })).to.equal(true);
    expect(refusal('resendInvitation', person(true), { invitationPending: false })).to.include(
      'already chosen a password',
    );
    expect(refusal('resendInvitation', person(false), { invitationPending: true })).to.include('deactivated');
  });

  it('throws a 409 that says why', () => {
    expect(() => authorize('reactivate', person(true)))
      .to.throw('Pat is already active.')
      .with.property('status', 409);
  });
});
