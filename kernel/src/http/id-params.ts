import type Router from '@koa/router';
import { NotFoundError, type ErrorCode } from '../errors.js';
import { isUuid } from '../schema-check.js';

/** What a route answers for an id that names nothing: the code and message of its own "not found". */
type Missing = readonly [code: ErrorCode, message: string];

/**
 * Path parameters that name a UUID, per router, with the 404 each route gives
 * for a missing object. A value that is no UUID cannot name one: it is refused
 * here, before any handler, instead of reaching PostgreSQL's uuid cast (a 500 on
 * the landed build, issue #14). Dify answers 404 for such an id too (Flask's
 * `<uuid:…>` converter does not match). Parameters that are names (`:name`,
 * `:provider`, `:variable_id`), task ids and Dify's string import/job ids are not
 * listed: they keep their routes' own answers.
 */
export const CONSOLE_ID_PARAMS: Readonly<Record<string, Missing>> = {
  app_id: ['app_not_found', 'App not found.'],
  annotation_id: ['not_found', 'Annotation not found.'],
  conversation_id: ['not_found', 'Conversation Not Exists.'],
  key_id: ['api_key_not_found', 'API key not found.'],
  member_id: ['member_not_found', 'Member not found.'],
  invitation_id: ['invitation_not_found', 'No open invitation with that id in this workspace.'],
  account_id: ['account_not_found', 'Account not found.'],
  // `DELETE /workspaces/current/model-providers/:provider/credentials/:id`
  id: ['credentials_not_found', 'No such credentials for this provider.'],
};

export const SERVICE_ID_PARAMS: Readonly<Record<string, Missing>> = {
  annotation_id: ['not_found', 'Annotation not found.'],
  end_user_id: ['end_user_not_found', 'End user not found.'],
  file_id: ['file_not_found', 'File not found.'],
  message_id: ['not_found', 'Message Not Exists.'],
  // `/conversations/:id…`
  id: ['not_found', 'Conversation Not Exists.'],
};

/**
 * Puts a check in front of every route of `router` with a path parameter: a UUID
 * check for the ones in `ids`, and for every other one a refusal of a NUL
 * character (`%00`: no name has one, and PostgreSQL cannot compare text holding
 * it). Call once every route is registered.
 */
export function checkPathParams(router: Router, ids: Readonly<Record<string, Missing>>): void {
  const names = new Set((router as unknown as { stack: Array<{ paramNames: Array<{ name: string | number }> }> }).stack.flatMap((layer) => layer.paramNames.map((p) => String(p.name))));
  for (const name of names) {
    const missing = ids[name];
    router.param(name, (value, _ctx, next) => {
      if (missing && !isUuid(value)) throw new NotFoundError(missing[1], missing[0]);
      if (value.includes('\u0000')) throw new NotFoundError('The requested URL was not found on the server.', 'not_found');
      return next();
    });
  }
}
