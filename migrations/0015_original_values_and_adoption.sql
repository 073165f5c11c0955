-- Rows as the original system wrote them, and what it wrote brought under our rules.
--
-- The original wrote task_type 'video' (text-to-video) or 'i2v' (image-to-video), model 'kling', and in
-- additional_params the duration and the provider's endpoint URL (api_endpoint); its clients branch on these. We
-- store the same, and keep what we need beyond them in columns of our own: the product (definitions.product_id)
-- and the provider (statuses.provider). A task whose product_id is NULL was written by the original system and is
-- not ours yet: the sync pass leaves it alone until adopt_original_rows() has read its product and its charge.

ALTER TABLE video_generation_task_definitions ADD COLUMN product_id TEXT;
CREATE INDEX idx_task_definitions_not_adopted ON video_generation_task_definitions(id) WHERE product_id IS NULL;
-- The original's own status and r2_status where ours differ (its other values, e.g. 'succeed', 'uploaded').
ALTER TABLE video_generation_task_statuses ADD COLUMN original_status TEXT, ADD COLUMN original_r2_status TEXT;
-- An adopted balance: what the original system's rows say, explained from then on.
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_reason_check,
    ADD CONSTRAINT credit_ledger_reason_check CHECK (reason IN ('signup', 'grant', 'generation', 'refund', 'opening'));

-- create_charged_task (0010) with the product in its column: new tasks are ours from the start.
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
        (user_id, product_id, task_type, model, prompt, negative_prompt, start_img_path, aspect_ratio, camera_type,
         camera_value, cfg, high_quality, credits, additional_params)
    VALUES (p_user_id, p_product_id, p_task_type, 'kling', p_prompt, p_negative_prompt, p_start_img_path, p_aspect_ratio, p_camera_type,
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

REVOKE EXECUTE ON FUNCTION create_charged_task(UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION create_charged_task(UUID, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, NUMERIC, BOOLEAN, INTEGER, JSONB, TEXT, TEXT, DOUBLE PRECISION, TEXT, TEXT, INTEGER) TO service_role;

-- Our own rows so far: the original's values, and the product in its column.
UPDATE video_generation_task_definitions
   SET product_id = additional_params ->> 'product',
       task_type = CASE task_type WHEN 'image2video' THEN 'i2v' ELSE 'video' END,
       additional_params = jsonb_build_object(
           'duration', additional_params ->> 'duration',
           'api_endpoint', CASE WHEN additional_params ->> 'provider' = 'kling'
               THEN 'https://api-singapore.klingai.com/v1/videos/' || CASE task_type WHEN 'image2video' THEN 'image2video' ELSE 'text2video' END
               ELSE 'https://api.302.ai/klingai/' || (additional_params ->> 'provider_model') END)
 WHERE additional_params ? 'product';

-- The product a row of the original system names: provider from the endpoint's host, kind from task_type, quality,
-- and duration from additional_params (or the endpoint's name). 'unknown' where the row names no product we sell.
CREATE FUNCTION original_product_of(d video_generation_task_definitions) RETURNS TEXT
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN provider IS NULL OR kind IS NULL OR duration IS NULL THEN 'unknown'
                ELSE provider || '-' || kind || '-' || CASE WHEN d.high_quality THEN 'hq-' ELSE '' END || duration END
      FROM (SELECT CASE WHEN d.additional_params ->> 'api_endpoint' ~* '^https?://([^/]*\.)?302\.ai(/|$)' THEN 'ai302'
                        WHEN d.additional_params ->> 'api_endpoint' ~* '^https?://([^/]*\.)?klingai\.com(/|$)' THEN 'kling' END AS provider,
                   CASE d.task_type WHEN 'video' THEN 't2v' WHEN 'text2video' THEN 't2v' WHEN 'i2v' THEN 'i2v' WHEN 'image2video' THEN 'i2v' END AS kind,
                   CASE WHEN d.additional_params ->> 'duration' IN ('5', '5s') THEN '5s'
                        WHEN d.additional_params ->> 'duration' IN ('10', '10s') THEN '10s'
                        WHEN d.additional_params ->> 'api_endpoint' ~ '_10s$' THEN '10s'
                        WHEN d.additional_params ->> 'api_endpoint' ~ '_5s$' THEN '5s' END AS duration) p
$$;

-- Takes over what the original system wrote and we have not adopted yet; safe to run again, and while the original
-- system still writes (each balance is locked while it is explained). For each such task: its product and provider;
-- its status in our four values (the original's kept in original_status); a completed one not yet in our storage
-- queued for the archive pass; a finished one stamped finished. For each user whose balance the ledger does not
-- explain (never had a ledger, or the original system changed it since): an 'opening' row for the difference, and a
-- 'generation' row for each adopted task still in flight, so that failing it refunds what it cost.
-- Run as the migrating role, like the migrations; no API role may call it. Returns what it adopted.
CREATE FUNCTION adopt_original_rows() RETURNS TABLE (tasks INTEGER, users INTEGER)
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
    v_tasks INTEGER;
    v_users INTEGER;
BEGIN
    -- One adoption at a time (two processes migrating at once). Balances are locked first, as the original's routes
    -- lock them first (charge, then write the task): taken the other way round, the two would wait on each other.
    PERFORM pg_advisory_xact_lock(7360221002);
    LOCK TABLE user_credits IN SHARE ROW EXCLUSIVE MODE;

    CREATE TEMP TABLE adopting ON COMMIT DROP AS
        SELECT d.id, d.user_id, d.credits, original_product_of(d) AS product_id
          FROM video_generation_task_definitions d
         WHERE d.product_id IS NULL
           FOR UPDATE;
    GET DIAGNOSTICS v_tasks = ROW_COUNT;

    UPDATE video_generation_task_statuses s
       SET provider = COALESCE(s.provider, NULLIF(split_part(m.product_id, '-', 1), 'unknown')),
           original_status = CASE WHEN s.status <> m.status THEN s.status END,
           status = m.status,
           original_r2_status = CASE WHEN m.archived AND s.r2_status IS DISTINCT FROM 'completed' THEN s.r2_status END,
           r2_status = CASE WHEN m.status <> 'completed' THEN s.r2_status WHEN m.archived THEN 'completed' ELSE 'pending' END,
           provider_result_url = CASE WHEN m.status = 'completed' AND NOT m.archived THEN s.result_url ELSE s.provider_result_url END,
           provider_thumbnail_url = CASE WHEN m.status = 'completed' AND NOT m.archived THEN s.thumbnail_url ELSE s.provider_thumbnail_url END,
           archive_next_attempt_at = CASE WHEN m.status = 'completed' AND NOT m.archived THEN NOW() ELSE s.archive_next_attempt_at END,
           finished_at = CASE WHEN m.status IN ('completed', 'failed') THEN COALESCE(s.finished_at, s.updated_at) END,
           next_attempt_at = NOW()
      FROM (SELECT o.id, a.product_id,
                   CASE
                       -- A result without a URL is asked of the provider again.
                       WHEN lower(o.status) IN ('completed', 'succeed', 'succeeded', 'success', 'done', 'finished') AND o.result_url IS NOT NULL THEN 'completed'
                       WHEN lower(o.status) IN ('failed', 'fail', 'error', 'timeout', 'timed_out', 'cancelled', 'canceled', 'expired') THEN 'failed'
                       WHEN o.external_task_id IS NULL THEN 'pending'
                       ELSE 'processing' END AS status,
                   lower(COALESCE(o.r2_status, '')) IN ('completed', 'uploaded', 'success', 'succeeded', 'done') AS archived
              FROM video_generation_task_statuses o JOIN adopting a ON a.id = o.task_id) m
     WHERE s.id = m.id;

    -- Balances: explain each that the ledger does not.
    CREATE TEMP TABLE explaining ON COMMIT DROP AS
        SELECT uc.user_id, uc.credits_balance AS balance,
               COALESCE((SELECT l.balance_after FROM credit_ledger l WHERE l.user_id = uc.user_id ORDER BY l.id DESC LIMIT 1), 0) AS explained,
               COALESCE((SELECT SUM(a.credits) FROM adopting a
                          JOIN video_generation_task_statuses s ON s.task_id = a.id AND s.status IN ('pending', 'processing')
                         WHERE a.user_id = uc.user_id AND a.credits > 0), 0)::INTEGER AS in_flight
          FROM user_credits uc;
    DELETE FROM explaining WHERE balance = explained AND in_flight = 0;
    SELECT COUNT(*) INTO v_users FROM explaining;

    INSERT INTO credit_ledger (user_id, delta, reason, balance_after)
    SELECT user_id, balance - explained + in_flight, 'opening', balance + in_flight
      FROM explaining WHERE balance - explained + in_flight <> 0;
    INSERT INTO credit_ledger (user_id, delta, reason, task_id, balance_after)
    SELECT a.user_id, -a.credits, 'generation', a.id,
           e.balance + e.in_flight - SUM(a.credits) OVER (PARTITION BY a.user_id ORDER BY a.id)
      FROM adopting a
      JOIN explaining e ON e.user_id = a.user_id
      JOIN video_generation_task_statuses s ON s.task_id = a.id AND s.status IN ('pending', 'processing')
     WHERE a.credits > 0
     ORDER BY a.user_id, a.id;

    UPDATE video_generation_task_definitions d SET product_id = a.product_id FROM adopting a WHERE d.id = a.id;
    RETURN QUERY SELECT v_tasks, v_users;
END;
$$;

REVOKE ALL ON FUNCTION original_product_of(video_generation_task_definitions), adopt_original_rows() FROM PUBLIC, anon, authenticated, service_role;
