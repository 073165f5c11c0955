-- Rows as the original system wrote them, and what it wrote brought under our rules.
--
-- The original wrote task_type 'video' (text-to-video) or 'i2v' (image-to-video), model 'kling', and in
-- additional_params the duration and the provider's endpoint URL (api_endpoint); its clients branch on these. We
-- store the same, and keep what we need beyond them in columns of our own: the product (definitions.product_id,
-- written by create_charged_task from 0016 on) and the provider (statuses.provider). A task whose product_id is NULL was written by the original system and is
-- not ours yet: the sync pass leaves it alone until adopt_original_rows() has read its product and its charge.

ALTER TABLE video_generation_task_definitions ADD COLUMN product_id TEXT;
CREATE INDEX idx_task_definitions_not_adopted ON video_generation_task_definitions(id) WHERE product_id IS NULL;
-- The original's own status and r2_status where ours differ (its other values, e.g. 'succeed', 'uploaded').
ALTER TABLE video_generation_task_statuses ADD COLUMN original_status TEXT, ADD COLUMN original_r2_status TEXT;
-- An adopted balance: what the original system's rows say, explained from then on.
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_reason_check,
    ADD CONSTRAINT credit_ledger_reason_check CHECK (reason IN ('signup', 'grant', 'generation', 'refund', 'opening'));

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
