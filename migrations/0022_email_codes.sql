-- A 6-digit code mailed beside a link (Supabase Auth's clients sign in with either: verifyOtp({email, token})). It is
-- one more key to the same record as the link's token (0019): using either uses up both, and a newer mail of the same
-- purpose replaces both. Kept as a SHA-256 only. Six digits are few, so the hash alone would not keep a code secret:
-- what does is its short life (code_expires_at, within the link's) and the bounded tries per account (0014).
-- No new table, function or sequence: the privileges of 0019 (none for any API role) still hold.
ALTER TABLE auth_email_tokens ADD COLUMN code_hash bytea;
ALTER TABLE auth_email_tokens ADD COLUMN code_expires_at timestamptz;
ALTER TABLE auth_email_tokens ADD CONSTRAINT auth_email_tokens_code_check
    CHECK ((code_hash IS NULL) = (code_expires_at IS NULL));
