-- A gift is not a purchase: the credits a new account starts with no longer count in total_credits_purchased, which
-- holds what was bought (and granted by an operator, as the contract's Update Admin Credits Script does). The ledger
-- keeps them as 'signup' rows, as before.
CREATE OR REPLACE FUNCTION open_credit_account(p_user_id UUID, p_credits INTEGER) RETURNS BOOLEAN
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM auth.users WHERE id = p_user_id;
    IF NOT FOUND THEN
        RETURN FALSE;
    END IF;
    INSERT INTO user_credits (user_id, credits_balance) VALUES (p_user_id, p_credits)
    ON CONFLICT (user_id) DO NOTHING;
    IF FOUND AND p_credits > 0 THEN
        INSERT INTO credit_ledger (user_id, delta, reason, balance_after) VALUES (p_user_id, p_credits, 'signup', p_credits);
    END IF;
    RETURN TRUE;
END;
$$;

-- Accounts opened before: their signup credits leave the purchased total (never below what is left of it).
UPDATE user_credits uc
   SET total_credits_purchased = GREATEST(uc.total_credits_purchased - s.credits, 0), updated_at = NOW()
  FROM (SELECT user_id, SUM(delta)::INTEGER AS credits FROM credit_ledger WHERE reason = 'signup' GROUP BY user_id) s
 WHERE s.user_id = uc.user_id;
