import { Op } from 'sequelize';
import { CommentMention } from '../models/comment-mention.ts';
import type { Project } from '../models/project.ts';
import { ProjectMember } from '../models/project-member.ts';
import { User } from '../models/user.ts';

/**
 * `@mentions` in task comments.
 *
 * Who can be mentioned: the people of the task's project (its members and viewers, and its owner),
 * while their account is active. Anyone else's `@handle` stays plain text and is not stored.
 *
 * Handles: each person answers to handles made from
 *   1. the first word of their name      "Ana Silva"              → `@ana`
 *   2. their whole name                  "Ana Silva"              → `@ana.silva`
 *   3. the part of their e-mail before @ "a_silva@example.org"    → `@a.silva`
 * A handle is lower case; accents are dropped (`José` → `jose`); any run of characters other than
 * letters and digits becomes one dot. What people type goes through the same steps, so `@Ana`,
 * `@ANA.SILVA`, `@ana_silva` and `@Ána-Silva` all name the same person. A handle that two people of
 * the project share (two Anas) names neither of them: the longer handles still tell them apart. The
 * handle shown to people for someone is their first unique one in the order above (or, when none is,
 * their whole-name handle followed by their id, e.g. `@ana.silva.42`).
 *
 * Reading a comment: `@` must start a word (so `ana@example.org` is not a mention), and a handle
 * ends at its last letter or digit (`@ana.` and `@ana,` are `@ana`). When the whole token names
 * nobody, shorter tokens cut at a dot, dash or underscore are tried (`@ana.thanks` → `@ana`).
 *
 * A comment's mentions are stored in `comment_mentions` when it is written and replaced when it is
 * edited; `notified_at` stays empty until someone is told.
 */

export interface Person {
  id: string;
  name: string;
  email: string;
}

/** A part of a comment's line: plain text, or a mention of `user`. */
export interface CommentPart {
  text: string;
  user?: { id: string; name: string };
}

const TOKEN_RE = /(?<![\p{L}\p{M}\p{N}_.@-])@([\p{L}\p{N}_](?:[\p{L}\p{M}\p{N}_.-]*[\p{L}\p{M}\p{N}_])?)/gu;
const CUT_RE = /[._-][^._-]*$/u;

/** The handle form of a text: lower case, no accents, dots between the runs of letters and digits. */
export function handleOf(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '.')
    .replace(/^\.+|\.+$/g, '');
}

function candidates(person: Person): string[] {
  const first = person.name.trim().split(/\s+/)[0] ?? '';
  const local = person.email.split('@')[0] ?? '';
  return [...new Set([handleOf(first), handleOf(person.name), handleOf(local)].filter(Boolean))];
}

/** Every handle that names exactly one of `people`, with that person. */
export function handleMap<P extends Person>(people: P[]): Map<string, P> {
  const claims = new Map<string, P[]>();
  for (const p of uniqueById(people)) {
    for (const h of candidates(p)) claims.set(h, [...(claims.get(h) ?? []), p]);
  }
  const map = new Map<string, P>();
  for (const [h, claimants] of claims) if (claimants.length === 1) map.set(h, claimants[0]);
  for (const p of uniqueById(people)) {
    const fallback = fallbackHandle(p);
    if (!preferredIn(map, p) && !claims.has(fallback)) map.set(fallback, p);
  }
  return map;
}

/** The handle to show for each of `people` (see the rules above), in the order given. */
export function handlesOf<P extends Person>(people: P[]): { handle: string; person: P }[] {
  const map = handleMap(people);
  return uniqueById(people).map((person) => ({
    handle: preferredIn(map, person) ?? fallbackHandle(person),
    person,
  }));
}

/** Where each mention of one of `people` (or of a map made by handleMap) is in `body`, and whom it names. */
export function findMentions<P extends Person>(
  body: string,
  people: P[] | Map<string, P>,
): { start: number; end: number; person: P }[] {
  const map = people instanceof Map ? people : handleMap(people);
  const found: { start: number; end: number; person: P }[] = [];
  for (const m of body.matchAll(TOKEN_RE)) {
    let token = m[1];
    while (token) {
      const person = map.get(handleOf(token));
      if (person) {
        found.push({ start: m.index, end: m.index + 1 + token.length, person });
        break;
      }
      const cut = token.replace(CUT_RE, '');
      token = cut === token ? '' : cut;
    }
  }
  return found;
}

/** The ids of the people of `people` that `body` mentions. */
export function mentionedIds(body: string, people: Person[]): string[] {
  return [...new Set(findMentions(body, people).map((f) => String(f.person.id)))];
}

/**
 * A comment's body line by line, cut into text and mentions, for a view to escape part by part.
 * Handles are read against `people` (the project's people and those the comment named); only the
 * people in `stored` (the comment's recorded mentions) become links, so a page shows what was recorded.
 */
export function commentParts(body: string, people: Person[], stored: Set<string>): CommentPart[][] {
  const map = handleMap(people);
  return body.split(/\r?\n/).map((line) => {
    const parts: CommentPart[] = [];
    let at = 0;
    for (const f of findMentions(line, map)) {
      if (!stored.has(String(f.person.id))) continue;
      if (f.start > at) parts.push({ text: line.slice(at, f.start) });
      parts.push({
        text: line.slice(f.start, f.end),
        user: { id: String(f.person.id), name: f.person.name },
      });
      at = f.end;
    }
    if (at < line.length || !parts.length) parts.push({ text: line.slice(at) });
    return parts;
  });
}

/** The people who can be mentioned on the project's tasks: active members, viewers and the owner. */
export async function mentionablePeople(project: Project): Promise<User[]> {
  const memberships = await ProjectMember.findAll({
    where: { projectId: project.id },
    attributes: ['userId'],
  });
  const ids = memberships.map((m) => String(m.userId));
  if (project.ownerId) ids.push(String(project.ownerId));
  if (!ids.length) return [];
  return User.findAll({
    where: { id: [...new Set(ids)], active: true },
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

/** Makes the stored mentions of a comment exactly `userIds`, keeping the rows of people still named. */
export async function replaceMentions(commentId: string, userIds: string[]): Promise<void> {
  await CommentMention.destroy({
    where: userIds.length ? { commentId, userId: { [Op.notIn]: userIds } } : { commentId },
  });
  if (!userIds.length) return;
  await CommentMention.bulkCreate(
    userIds.map((userId) => ({ commentId, userId })),
    { ignoreDuplicates: true },
  );
}

function uniqueById<P extends Person>(people: P[]): P[] {
  const seen = new Set<string>();
  return people.filter((p) => !seen.has(String(p.id)) && seen.add(String(p.id)));
}

function preferredIn<P extends Person>(map: Map<string, P>, person: P): string | undefined {
  return candidates(person).find((h) => map.get(h) === person);
}

function fallbackHandle(person: Person): string {
  const base = handleOf(person.name) || handleOf(person.email.split('@')[0] ?? '') || 'person';
  return `${base}.${person.id}`;
}
