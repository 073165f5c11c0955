-- A generation request's writes in one statement: claim the Idempotency-Key, insert the task, charge it and insert
-- its pending status. Called in one round trip as the user (one implicit transaction), where the steps used to be
-- five round trips of one explicit transaction.
--
-- SECURITY INVOKER: every insert runs under the caller's RLS policies, as before; only the charge itself goes
-- through charge_task (SECURITY DEFINER, acts on auth.uid() alone). Short of credits, it raises SQLSTATE SV402
-- with the balance as DETAIL, which rolls back the whole statement: the claimed key and the task too.
--
-- Returns one row: outcome 'created' with the new task and status ids, or 'replay' with the task and request hash
-- recorded under the key (task_id NULL while the first request has not committed its task).
CREATE FUNCTION create_charged_task(
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
    v_user UUID := auth.uid();
    v_task_id BIGINT;
    v_status_id BIGINT;
    v_balance INTEGER;
BEGIN
    IF p_idempotency_key IS NOT NULL THEN
        -- A concurrent request with the same key waits here, on the unique index, until this one commits.
        INSERT INTO idempotency_keys AS k (user_id, key, request_hash) VALUES (v_user, p_idempotency_key, p_request_hash)
        ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, task_id = NULL, created_at = NOW()
            WHERE k.created_at < NOW() - make_interval(hours => p_idempotency_ttl_hours);
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'replay'::TEXT, k.task_id, NULL::BIGINT, k.request_hash::TEXT
                FROM idempotency_keys k WHERE k.user_id = v_user AND k.key = p_idempotency_key;
            RETURN;
        END IF;
    END IF;

    INSERT INTO video_generation_task_definitions
        (user_id, task_type, model, prompt, negative_prompt, start_img_path, aspect_ratio, camera_type, camera_value,
         cfg, high_quality, credits, additional_params)
    VALUES (v_user, p_task_type, 'kling', p_prompt, p_negative_prompt, p_start_img_path, p_aspect_ratio, p_camera_type,
            p_camera_value, p_cfg, p_high_quality, p_credits, p_additional_params)
    RETURNING id INTO v_task_id;

    IF charge_task(v_task_id, p_credits) IS NULL THEN
        SELECT credits_balance INTO v_balance FROM user_credits WHERE user_id = v_user;
        RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'SV402', DETAIL = COALESCE(v_balance, 0)::TEXT;
    END IF;

    -- Sync leaves the task to this request for a grace period, and picks it up if the request's process dies.
    INSERT INTO video_generation_task_statuses (task_id, status, provider, callback_token, next_attempt_at)
    VALUES (v_task_id, 'pending', p_provider, p_callback_token,
            NOW() + make_interval(secs => p_submit_grace_ms / 1000))
    RETURNING id INTO v_status_id;

    IF p_idempotency_key IS NOT NULL THEN
        UPDATE idempotency_keys SET task_id = v_task_id WHERE user_id = v_user AND key = p_idempotency_key;
    END IF;

    RETURN QUERY SELECT 'created'::TEXT, v_task_id, v_status_id, NULL::TEXT;
END;
$$;

REVOKE EXECUTE ON FUNCTION create_charged_task(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION create_charged_task(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER) TO authenticated;
