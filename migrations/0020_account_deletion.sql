-- Deleting an account keeps the ledger's totals honest: its ledger rows stay, anonymised (no user; amounts,
-- reasons, task-less dates), so sums over the whole ledger per reason still add up after the account is gone.
-- Before, the rows went with the user (ON DELETE CASCADE), erasing what was granted, charged and refunded.
-- A row with no user is seen by no one through the REST API: the owner policy's auth.uid() = user_id never
-- matches NULL. Nothing new is created here, so no privilege changes.
ALTER TABLE credit_ledger ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_user_id_fkey;
ALTER TABLE credit_ledger ADD CONSTRAINT credit_ledger_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES auth.users (id) ON DELETE SET NULL;
