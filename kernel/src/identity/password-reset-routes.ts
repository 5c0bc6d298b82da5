import { Type } from '@sinclair/typebox';
import type Router from '@koa/router';
import { parse } from '../http/validate.js';
import type { PasswordResets } from './password-resets.js';
import { clientOf } from './throttle.js';

export interface PasswordResetRouteDeps {
  resets: PasswordResets;
}

const Forgot = Type.Object({ email: Type.String({ maxLength: 320 }), language: Type.Optional(Type.String({ maxLength: 32 })) });
const Validity = Type.Object({ email: Type.String({ maxLength: 320 }), code: Type.String({ maxLength: 32 }), token: Type.String({ minLength: 1, maxLength: 256 }) });
const Resets = Type.Object({ token: Type.String({ minLength: 1, maxLength: 256 }), new_password: Type.String(), password_confirm: Type.String() });

/** Dify's password reset by email code (`/console/api/forgot-password…`); all public. */
export function registerPasswordResetRoutes(router: Router, { resets }: PasswordResetRouteDeps): void {
  router.post('/forgot-password', async (ctx) => {
    const body = parse(Forgot, ctx.request.body);
    ctx.body = { result: 'success', data: await resets.request(body.email, body.language, clientOf(ctx)) };
  });
  router.post('/forgot-password/validity', async (ctx) => {
    const body = parse(Validity, ctx.request.body);
    ctx.body = await resets.check(body.email, body.code, body.token, clientOf(ctx));
  });
  router.post('/forgot-password/resets', async (ctx) => {
    const body = parse(Resets, ctx.request.body);
    await resets.reset(body.token, body.new_password, body.password_confirm, clientOf(ctx));
    ctx.body = { result: 'success' };
  });
}
