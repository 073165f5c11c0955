-- Single-use tokens of the links we mail to our own accounts: confirm the address, reset the password. Supabase Auth
-- keeps such tokens in auth.users (confirmation_token, recovery_token), one per kind and without an expiry of their
-- own; ours carry their purpose and expiry and are kept as their SHA-256 only, so the table alone opens no account.
-- A confirmed address is still recorded where Supabase Auth reads it: auth.users.email_confirmed_at.
-- Written by our server as the connection's own role, as it writes auth.users: no API role may read or change it.
-- Supabase's default privileges hand new tables in public to anon and authenticated, so everything is revoked.
CREATE TABLE auth_email_tokens (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('confirm', 'recover')),
    expires_at timestamptz NOT NULL
);
CREATE INDEX auth_email_tokens_user_idx ON auth_email_tokens (user_id, purpose);
CREATE INDEX auth_email_tokens_expiry_idx ON auth_email_tokens (expires_at);

ALTER TABLE auth_email_tokens ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON auth_email_tokens FROM PUBLIC, anon, authenticated, service_role;
