-- Kling's official API: our own id for each task at the provider, and image-to-video end frames (docs/providers.md).

-- Kling keeps `external_task_id` unique per account and refuses a create that repeats one; we also look a task up by
-- it when a create reply was lost. We sent `sv-<task id>`, which repeats wherever two databases share a Kling account
-- (a database restored or reset, staging beside production): every create of the second would be refused, or a lost
-- reply matched to the other's task. Each task now gets a random id when its status row is written, kept where only
-- our server reads it (the user roles' column grants on this table are unchanged). Tasks created before this
-- migration were sent as `sv-<task id>` and keep that id, so a lost reply among them is still found.
ALTER TABLE video_generation_task_statuses ADD COLUMN client_task_id TEXT;
UPDATE video_generation_task_statuses SET client_task_id = 'sv-' || task_id;
ALTER TABLE video_generation_task_statuses
    -- Also for rows written around create_charged_task (by hand, or by the original system during its adoption).
    ALTER COLUMN client_task_id SET DEFAULT 'sv-' || gen_random_uuid()::TEXT,
    ALTER COLUMN client_task_id SET NOT NULL,
    ADD CONSTRAINT video_generation_task_statuses_client_task_id_key UNIQUE (client_task_id);

-- create_charged_task (0010) with what it did not take: the product (0015's column: new tasks are ours from the start)
-- and the end frame's storage key (the contract's end_img_path); it returns the task's client id.
DROP FUNCTION create_charged_task(UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER);
CREATE FUNCTION create_charged_task(
    p_user_id UUID,
    p_product_id TEXT,
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
    p_idempotency_ttl_hours INTEGER,
    p_end_img_path TEXT
) RETURNS TABLE (outcome TEXT, task_id BIGINT, status_id BIGINT, request_hash TEXT, client_task_id TEXT)
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_task_id BIGINT;
    v_status_id BIGINT;
    v_client_task_id TEXT;
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
            RETURN QUERY SELECT 'replay'::TEXT, k.task_id, NULL::BIGINT, k.request_hash::TEXT, NULL::TEXT
                FROM idempotency_keys k WHERE k.user_id = p_user_id AND k.key = p_idempotency_key;
            RETURN;
        END IF;
    END IF;

    INSERT INTO video_generation_task_definitions
        (user_id, product_id, task_type, model, prompt, negative_prompt, start_img_path, end_img_path, aspect_ratio,
         camera_type, camera_value, cfg, high_quality, credits, additional_params)
    VALUES (p_user_id, p_product_id, p_task_type, 'kling', p_prompt, p_negative_prompt, p_start_img_path, p_end_img_path,
            p_aspect_ratio, p_camera_type, p_camera_value, p_cfg, p_high_quality, p_credits, p_additional_params)
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
    RETURNING id, video_generation_task_statuses.client_task_id INTO v_status_id, v_client_task_id;

    IF p_idempotency_key IS NOT NULL THEN
        UPDATE idempotency_keys SET task_id = v_task_id WHERE user_id = p_user_id AND key = p_idempotency_key;
    END IF;

    RETURN QUERY SELECT 'created'::TEXT, v_task_id, v_status_id, NULL::TEXT, v_client_task_id;
END;
$$;

REVOKE EXECUTE ON FUNCTION create_charged_task(UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER, TEXT) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION create_charged_task(UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER, TEXT) TO service_role;


-- A deleted task's end frame leaves storage with its start image (0011's queue, one column more).
ALTER TABLE deleted_task_files ADD COLUMN end_img_path TEXT;
CREATE OR REPLACE FUNCTION queue_deleted_task_files() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO deleted_task_files (task_id, user_id, start_img_path, end_img_path)
    VALUES (OLD.id, OLD.user_id, OLD.start_img_path, OLD.end_img_path)
    ON CONFLICT (task_id) DO NOTHING;
    RETURN OLD;
END;
$$;
