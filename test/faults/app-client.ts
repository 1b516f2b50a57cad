import { expect } from 'chai';
import supertest from 'supertest';
import { TEST_PASSWORD } from '../support/factories.ts';
import type { AppProcess } from './servers.ts';

/**
 * Requests to an app process of the fault tests, each bounded by `boundMs` so a request that hangs
 * fails the test at once instead of after mocha's timeout.
 */
export function faultRequests(boundMs: number) {
  const get = (agent: supertest.Agent, app: AppProcess, path: string) =>
    agent.get(path).set('Host', app.host).timeout(boundMs);

  const csrfOf = async (agent: supertest.Agent, app: AppProcess): Promise<string> => {
    const res = await get(agent, app, '/login').expect(200);
    return (/name="_csrf" value="([^"]+)"/.exec(res.text) as RegExpExecArray)[1];
  };

  const postLogin = (agent: supertest.Agent, app: AppProcess, _csrf: string) =>
    agent
      .post('/login')
      .set('Host', app.host)
      .type('form')
      .timeout(boundMs)
      .send({ email: app.email, password: TEST_PASSWORD, _csrf, next: '/' });

  const signedIn = async (app: AppProcess): Promise<supertest.Agent> => {
    const agent = supertest.agent(app.url);
    const res = await postLogin(agent, app, await csrfOf(agent, app));
    expect(res.status, res.text.slice(0, 300)).to.equal(302);
    return agent;
  };

  return { get, csrfOf, postLogin, signedIn };
}
