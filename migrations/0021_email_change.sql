-- A change of email address, confirmed by a link mailed to the new address. Its token is kept with the others
-- (0019), with the address it leads to: the token and its address are one record, so a later request replaces both.
-- Supabase Auth keeps the pending address in auth.users.email_change; our server writes it there too (on request,
-- cleared on confirmation), so an account taken over by Supabase Auth keeps the meaning. Its email_change_token_new
-- is not written: Supabase hashes its tokens its own way, and ours live here.
-- No new table, function or sequence: the privileges of 0019 (none for any API role) still hold.
ALTER TABLE auth_email_tokens ADD COLUMN new_email varchar(255);
ALTER TABLE auth_email_tokens DROP CONSTRAINT auth_email_tokens_purpose_check;
ALTER TABLE auth_email_tokens ADD CONSTRAINT auth_email_tokens_purpose_check
    CHECK (purpose IN ('confirm', 'recover', 'email_change'));
ALTER TABLE auth_email_tokens ADD CONSTRAINT auth_email_tokens_new_email_check
    CHECK ((purpose = 'email_change') = (new_email IS NOT NULL));
