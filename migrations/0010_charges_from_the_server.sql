-- Charging is done by our server alone, after it has authenticated the user. Executable by a user role, the
-- charging functions let anyone with a token (Supabase's REST API gives every user SQL as `authenticated`) choose
-- the price of their own task. Now the user comes from the caller's arguments and only service_role may call them.
DROP FUNCTION create_charged_task(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER);
DROP FUNCTION charge_task(BIGINT, INTEGER);

-- Claims the Idempotency-Key, inserts the task, charges it (one guarded statement, never below zero, with its
-- ledger row) and inserts its pending status, in one statement. Short of credits it raises SQLSTATE SV402 with the
-- balance as DETAIL, which rolls the whole statement back, the claimed key included.
-- Returns one row: outcome 'created' with the new task and status ids, or 'replay' with the task and request hash
-- recorded under the key (task_id NULL while the first request has not committed its task).
CREATE FUNCTION create_charged_task(
    p_user_id UUID,
    p_task_type TEXT,
    p_prompt TEXT,
    p_negative_prompt TEXT,
    p_start_img_path TEXT,
    p_aspect_ratio TEXT,
    p_camera_type TEXT,
    p_camera_value TEXT,
    p_cfg NUMERIC,
    p_high_quality BOOLEAN,
    p_credits INTEGER,
    p_additional_params JSONB,
    p_provider TEXT,
    p_callback_token TEXT,
    p_submit_grace_ms DOUBLE PRECISION,
    p_idempotency_key TEXT,
    p_request_hash TEXT,
    p_idempotency_ttl_hours INTEGER
) RETURNS TABLE (outcome TEXT, task_id BIGINT, status_id BIGINT, request_hash TEXT)
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_task_id BIGINT;
    v_status_id BIGINT;
    v_balance INTEGER;
BEGIN
    IF p_user_id IS NULL OR p_credits IS NULL OR p_credits <= 0 THEN
        RAISE EXCEPTION 'create_charged_task: no user or bad price' USING ERRCODE = '22023';
    END IF;
    IF p_idempotency_key IS NOT NULL THEN
        -- A concurrent request with the same key waits here, on the unique index, until this one commits.
        INSERT INTO idempotency_keys AS k (user_id, key, request_hash) VALUES (p_user_id, p_idempotency_key, p_request_hash)
        ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, task_id = NULL, created_at = NOW()
            WHERE k.created_at < NOW() - make_interval(hours => p_idempotency_ttl_hours);
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'replay'::TEXT, k.task_id, NULL::BIGINT, k.request_hash::TEXT
                FROM idempotency_keys k WHERE k.user_id = p_user_id AND k.key = p_idempotency_key;
            RETURN;
        END IF;
    END IF;

    INSERT INTO video_generation_task_definitions
        (user_id, task_type, model, prompt, negative_prompt, start_img_path, aspect_ratio, camera_type, camera_value,
         cfg, high_quality, credits, additional_params)
    VALUES (p_user_id, p_task_type, 'kling', p_prompt, p_negative_prompt, p_start_img_path, p_aspect_ratio, p_camera_type,
            p_camera_value, p_cfg, p_high_quality, p_credits, p_additional_params)
    RETURNING id INTO v_task_id;

    UPDATE user_credits
       SET credits_balance = credits_balance - p_credits,
           total_credits_used = total_credits_used + p_credits,
           updated_at = NOW()
     WHERE user_id = p_user_id AND credits_balance >= p_credits
    RETURNING credits_balance INTO v_balance;
    IF v_balance IS NULL THEN
        SELECT credits_balance INTO v_balance FROM user_credits WHERE user_id = p_user_id;
        RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'SV402', DETAIL = COALESCE(v_balance, 0)::TEXT;
    END IF;
    INSERT INTO credit_ledger (user_id, delta, reason, task_id, balance_after)
    VALUES (p_user_id, -p_credits, 'generation', v_task_id, v_balance);

    -- Sync leaves the task to this request for a grace period, and picks it up if the request's process dies.
    INSERT INTO video_generation_task_statuses (task_id, status, provider, callback_token, next_attempt_at)
    VALUES (v_task_id, 'pending', p_provider, p_callback_token,
            NOW() + make_interval(secs => p_submit_grace_ms / 1000))
    RETURNING id INTO v_status_id;

    IF p_idempotency_key IS NOT NULL THEN
        UPDATE idempotency_keys SET task_id = v_task_id WHERE user_id = p_user_id AND key = p_idempotency_key;
    END IF;

    RETURN QUERY SELECT 'created'::TEXT, v_task_id, v_status_id, NULL::TEXT;
END;
$$;

REVOKE EXECUTE ON FUNCTION create_charged_task(UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION create_charged_task(UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER) TO service_role;

-- Every user of auth.users, whoever made it (our signup, Supabase Auth, an operator), gets exactly one credit account
-- with the signup credits and their ledger row: our server calls this at signup and when it first sees a user.
-- Concurrent calls for one user wait on the unique index, so exactly one opens the account. Returns false when the
-- user is not in auth.users. Run as the connection's own role (like Supabase Auth's writes, it reads auth.users).
CREATE FUNCTION open_credit_account(p_user_id UUID, p_credits INTEGER) RETURNS BOOLEAN
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM auth.users WHERE id = p_user_id;
    IF NOT FOUND THEN
        RETURN FALSE;
    END IF;
    INSERT INTO user_credits (user_id, credits_balance, total_credits_purchased) VALUES (p_user_id, p_credits, p_credits)
    ON CONFLICT (user_id) DO NOTHING;
    IF FOUND AND p_credits > 0 THEN
        INSERT INTO credit_ledger (user_id, delta, reason, balance_after) VALUES (p_user_id, p_credits, 'signup', p_credits);
    END IF;
    RETURN TRUE;
END;
$$;

REVOKE EXECUTE ON FUNCTION open_credit_account(UUID, INTEGER) FROM PUBLIC, anon, authenticated, service_role;
