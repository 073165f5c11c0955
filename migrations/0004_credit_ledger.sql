-- Every change of a balance is a ledger row, so every balance can be explained: for each user,
-- credits_balance = sum(delta). A balance can never go below zero.

ALTER TABLE user_credits ADD CONSTRAINT user_credits_balance_not_negative CHECK (credits_balance >= 0);

CREATE TABLE credit_ledger (
    id BIGSERIAL PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    delta INTEGER NOT NULL CHECK (delta <> 0),
    reason VARCHAR(20) NOT NULL CHECK (reason IN ('signup', 'grant', 'generation', 'refund')),
    task_id BIGINT REFERENCES video_generation_task_definitions(id) ON DELETE SET NULL,
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_credit_ledger_user_id ON credit_ledger(user_id, id DESC);
-- A task is charged once and refunded at most once, whatever retries or races happen.
CREATE UNIQUE INDEX credit_ledger_one_charge_per_task ON credit_ledger(task_id) WHERE reason = 'generation';
CREATE UNIQUE INDEX credit_ledger_one_refund_per_task ON credit_ledger(task_id) WHERE reason = 'refund';

ALTER TABLE credit_ledger ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Users can view their own ledger"
    ON credit_ledger FOR SELECT
    TO authenticated
    USING (auth.uid() = user_id);

CREATE POLICY "Service role can manage the ledger"
    ON credit_ledger FOR ALL
    TO service_role
    USING (true)
    WITH CHECK (true);

GRANT SELECT ON credit_ledger TO authenticated;
GRANT ALL ON credit_ledger TO service_role;
GRANT ALL ON SEQUENCE credit_ledger_id_seq TO service_role;
REVOKE INSERT, UPDATE, DELETE ON credit_ledger FROM anon, authenticated;
REVOKE ALL ON credit_ledger FROM anon;

-- Charges a generation task to the signed-in user: one guarded statement, never below zero, with its ledger row.
-- SECURITY DEFINER because users have no UPDATE policy on user_credits; it acts on auth.uid() alone, and only
-- on a task of that user's that has not been charged yet. Returns the new balance, or NULL when short of credits.
CREATE FUNCTION charge_task(p_task_id BIGINT, p_amount INTEGER) RETURNS INTEGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user UUID := auth.uid();
    v_balance INTEGER;
BEGIN
    IF v_user IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'charge_task: no user or bad amount' USING ERRCODE = '42501';
    END IF;
    PERFORM 1 FROM video_generation_task_definitions WHERE id = p_task_id AND user_id = v_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'charge_task: task % is not the user''s', p_task_id USING ERRCODE = '42501';
    END IF;
    UPDATE user_credits
       SET credits_balance = credits_balance - p_amount,
           total_credits_used = total_credits_used + p_amount,
           updated_at = NOW()
     WHERE user_id = v_user AND credits_balance >= p_amount
    RETURNING credits_balance INTO v_balance;
    IF v_balance IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO credit_ledger (user_id, delta, reason, task_id, balance_after)
    VALUES (v_user, -p_amount, 'generation', p_task_id, v_balance);
    RETURN v_balance;
END;
$$;

REVOKE EXECUTE ON FUNCTION charge_task(BIGINT, INTEGER) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION charge_task(BIGINT, INTEGER) TO authenticated, service_role;
