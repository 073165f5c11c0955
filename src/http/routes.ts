import type { Deps } from '../deps.js';
import { registerDeleteAccount } from './routes/auth/delete-account.js';
import { registerChangeEmail } from './routes/auth/change-email.js';
import { registerChangePassword } from './routes/auth/change-password.js';
import { registerConfirmEmailChange } from './routes/auth/confirm-email-change.js';
import { registerConfirmEmail } from './routes/auth/confirm-email.js';
import { registerRecover } from './routes/auth/recover.js';
import { registerResendConfirmation } from './routes/auth/resend-confirmation.js';
import { registerResetPassword } from './routes/auth/reset-password.js';
import { registerDeleteSession } from './routes/auth/delete-session.js';
import { registerListSessions } from './routes/auth/list-sessions.js';
import { registerLogin } from './routes/auth/login.js';
import { registerLogout } from './routes/auth/logout.js';
import { registerMe } from './routes/auth/me.js';
import { registerRefresh } from './routes/auth/refresh.js';
import { registerSignup } from './routes/auth/signup.js';
import { registerImageToVideo } from './routes/generation/image-to-video.js';
import { registerTextToVideo } from './routes/generation/text-to-video.js';
import { registerCatalog } from './routes/system/catalog.js';
import { registerMetrics } from './routes/system/metrics.js';
import { registerHealthz } from './routes/system/healthz.js';
import { registerCreditHistory } from './routes/user/credit-history.js';
import { registerFetchCreation } from './routes/user/fetch-creation.js';
import { registerFetchCredit } from './routes/user/fetch-credit.js';
import { registerFetchSubscription } from './routes/user/fetch-subscription.js';
import { registerFavorites } from './routes/user/favorites.js';
import { registerGetTask } from './routes/user/get-task.js';
import { registerLatestVideos } from './routes/videos/latest.js';
import { registerSyncStatusJobs } from './routes/jobs/sync-status.js';
import { registerUploadToR2 } from './routes/jobs/upload-to-r2.js';
import { registerUserEvents } from './routes/user/events.js';
import { registerSupabaseAuth } from './routes/supabase-auth/index.js';
import { registerProviderCallbacks } from './routes/webhooks/provider-callbacks.js';
import type { SessionOptions } from './session.js';
import { supabaseAuthCookieName } from './supabase-cookie.js';
import type { App } from './types.js';

/** Every route of the API, in one list. */
export async function registerRoutes(app: App, deps: Deps): Promise<void> {
  const session: SessionOptions = {
    tokens: deps.tokens,
    allowedOrigins: deps.config.PUBLIC_URL ? [new URL(deps.config.PUBLIC_URL).origin] : [],
    ...(deps.config.SUPABASE_URL && { supabaseCookie: supabaseAuthCookieName(deps.config.SUPABASE_URL) }),
    admit: deps.admitUser,
  };
  registerHealthz(app, deps);
  registerMetrics(app, deps);
  registerSignup(app, deps);
  registerLogin(app, deps);
  registerRefresh(app, deps, session);
  registerLogout(app, deps, session);
  registerMe(app, deps, session);
  registerListSessions(app, deps, session);
  registerDeleteSession(app, deps, session);
  registerConfirmEmail(app, deps);
  registerResendConfirmation(app, deps, session);
  registerRecover(app, deps);
  registerResetPassword(app, deps);
  registerChangePassword(app, deps, session);
  registerChangeEmail(app, deps, session);
  registerConfirmEmailChange(app, deps);
  registerDeleteAccount(app, deps, session);
  registerFetchCredit(app, deps, session);
  registerFetchSubscription(app, deps, session);
  registerFetchCreation(app, deps, session);
  registerCreditHistory(app, deps, session);
  registerGetTask(app, deps, session);
  registerFavorites(app, deps, session);
  registerLatestVideos(app, deps);
  registerCatalog(app, deps);
  registerTextToVideo(app, deps, session);
  registerImageToVideo(app, deps, session);
  registerSyncStatusJobs(app, deps);
  registerUploadToR2(app, deps);
  registerProviderCallbacks(app, deps);
  registerUserEvents(app, deps, session);
  await registerSupabaseAuth(app, deps, session);
}
