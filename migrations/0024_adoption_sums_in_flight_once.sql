-- adopt_original_rows() (0015) ran at every start with a correlated subquery per balance that joined the tasks being
-- adopted (a temp table the planner knows nothing of) to the unfinished tasks: with 100,000 users and 1,000 tasks in
-- flight, the nested loop ran 10^8 times and a start took minutes. The credits in flight per user are now summed once,
-- and joined to the balances; the rest is as in 0015.
CREATE OR REPLACE FUNCTION adopt_original_rows() RETURNS TABLE (tasks INTEGER, users INTEGER)
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
        WITH in_flight AS (
            SELECT a.user_id, SUM(a.credits)::INTEGER AS credits
              FROM adopting a JOIN video_generation_task_statuses s ON s.task_id = a.id AND s.status IN ('pending', 'processing')
             WHERE a.credits > 0
             GROUP BY a.user_id)
        SELECT uc.user_id, uc.credits_balance AS balance,
               COALESCE((SELECT l.balance_after FROM credit_ledger l WHERE l.user_id = uc.user_id ORDER BY l.id DESC LIMIT 1), 0) AS explained,
               COALESCE(f.credits, 0) AS in_flight
          FROM user_credits uc LEFT JOIN in_flight f ON f.user_id = uc.user_id;
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
