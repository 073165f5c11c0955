-- Sessions of our own accounts: one row per sign-in, kept alive by rotating refresh tokens; every access token we
-- issue names its session (`session_id`), and a token whose session is gone is refused. Supabase Auth keeps the
-- same things in auth.sessions and auth.refresh_tokens, but on a Supabase database those belong to Supabase Auth
-- (which does not run in our own-accounts mode) and our role may not write them: these tables are ours, in public.
-- Written by our server as the connection's own role, as it writes auth.users: no API role may read or change them.
-- Supabase's default privileges hand new tables in public to anon and authenticated, so everything is revoked.
CREATE TABLE auth_sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    -- The last sign-in or refresh; a session not refreshed for SESSION_IDLE_TIMEOUT_SECONDS is over.
    refreshed_at timestamptz NOT NULL,
    -- Where the session was last used from: at sign-in, then at each refresh.
    user_agent text,
    ip text
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);
CREATE INDEX auth_sessions_refreshed_idx ON auth_sessions (refreshed_at);

-- Refresh tokens are kept as their SHA-256 only. A token is used once: refreshing marks it rotated and makes the
-- next. The rotated ones are kept with their session, so a rotated token presented again is recognised (a copy
-- in someone else's hands) and ends the session. They go when the session goes.
CREATE TABLE auth_refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    rotated_at timestamptz
);
CREATE INDEX auth_refresh_tokens_session_idx ON auth_refresh_tokens (session_id);

ALTER TABLE auth_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_refresh_tokens ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON auth_sessions, auth_refresh_tokens FROM PUBLIC, anon, authenticated, service_role;
