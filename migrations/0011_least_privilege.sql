-- Privileges made explicit and minimal. Supabase's REST API gives every visitor SQL as `anon` and every signed-in
-- user SQL as `authenticated` with their claims, so whatever those roles may do here, anyone may do over HTTP.
-- They get exactly what the original front end does through that API, for the owner only: read their credits,
-- ledger, subscriptions, tasks and statuses; add and remove favorites; rename a task (its prompt); delete a
-- finished task. Everything else (statuses, results, prices, quality, product, provider, the ledger, keys, leases,
-- callback tokens, migrations) is written by our server alone, as service_role or as the connection's own role.

-- Start from nothing for the user roles, on our objects only (never the other tables of a Supabase project).
REVOKE ALL ON user_credits, video_generation_task_definitions, video_generation_task_statuses, user_favorites,
    user_subscriptions, credit_ledger, idempotency_keys, schema_migrations FROM PUBLIC, anon, authenticated;
REVOKE ALL ON SEQUENCE user_credits_id_seq, video_generation_task_definitions_id_seq, video_generation_task_statuses_id_seq,
    user_favorites_id_seq, user_subscriptions_id_seq, credit_ledger_id_seq FROM PUBLIC, anon, authenticated;
REVOKE ALL ON schema_migrations FROM service_role;
REVOKE ALL ON FUNCTION notify_task_change(), stamp_task_change() FROM PUBLIC, anon, authenticated;

GRANT SELECT ON user_credits, user_subscriptions, credit_ledger, video_generation_task_definitions TO authenticated;
GRANT UPDATE (prompt), DELETE ON video_generation_task_definitions TO authenticated;
-- The contract's status columns and what the owner's views show; never callback tokens, leases or provider URLs.
GRANT SELECT (id, task_id, status, external_task_id, result_url, thumbnail_url, error_message, created_at, updated_at,
    r2_status, refunded, finished_at) ON video_generation_task_statuses TO authenticated;
GRANT SELECT, INSERT (user_id, task_id), DELETE ON user_favorites TO authenticated;
GRANT USAGE ON SEQUENCE user_favorites_id_seq TO authenticated;

GRANT ALL ON idempotency_keys TO service_role;

-- Only the owner (our migrations) reads the migration records.
ALTER TABLE schema_migrations ENABLE ROW LEVEL SECURITY;

-- Policies that would let a user write what only our server writes, even were a privilege granted by mistake.
DROP POLICY IF EXISTS "Users can create their own tasks" ON video_generation_task_definitions;
DROP POLICY IF EXISTS "用户可以创建自己的视频任务" ON video_generation_task_definitions;
DROP POLICY IF EXISTS "Users can insert task statuses" ON video_generation_task_statuses;
DROP POLICY IF EXISTS "Users can manage their own idempotency keys" ON idempotency_keys;

CREATE POLICY "Users can delete their own finished tasks"
    ON video_generation_task_definitions FOR DELETE TO authenticated
    USING (auth.uid() = user_id AND EXISTS (
        SELECT 1 FROM video_generation_task_statuses s
         WHERE s.task_id = video_generation_task_definitions.id
           AND (s.status = 'failed' OR (s.status = 'completed' AND s.r2_status IS DISTINCT FROM 'uploading'))));

-- A favorite names a task its owner can see.
CREATE POLICY "Favorites name visible tasks"
    ON user_favorites AS RESTRICTIVE FOR INSERT TO authenticated
    WITH CHECK (EXISTS (SELECT 1 FROM video_generation_task_definitions d WHERE d.id = task_id));

-- service_role has BYPASSRLS on Supabase and where a superuser created it; elsewhere these policies stand in.
CREATE POLICY "Service role can manage all tasks"
    ON video_generation_task_definitions FOR ALL TO service_role USING (true) WITH CHECK (true);
CREATE POLICY "Service role can manage all favorites"
    ON user_favorites FOR ALL TO service_role USING (true) WITH CHECK (true);

-- A deleted task's files are removed from storage by a later pass (no storage I/O inside the deleting
-- transaction); the row is queued here, where only our server reaches it.
CREATE TABLE deleted_task_files (
    task_id BIGINT PRIMARY KEY,
    user_id UUID,
    start_img_path TEXT,
    deleted_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);
ALTER TABLE deleted_task_files ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON deleted_task_files FROM PUBLIC, anon, authenticated;
GRANT ALL ON deleted_task_files TO service_role;
CREATE POLICY "Service role can manage deleted task files"
    ON deleted_task_files FOR ALL TO service_role USING (true) WITH CHECK (true);

CREATE FUNCTION queue_deleted_task_files() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO deleted_task_files (task_id, user_id, start_img_path) VALUES (OLD.id, OLD.user_id, OLD.start_img_path)
    ON CONFLICT (task_id) DO NOTHING;
    RETURN OLD;
END;
$$;
REVOKE ALL ON FUNCTION queue_deleted_task_files() FROM PUBLIC, anon, authenticated;

CREATE TRIGGER task_deleted
    AFTER DELETE ON video_generation_task_definitions
    FOR EACH ROW EXECUTE FUNCTION queue_deleted_task_files();

-- Our first migration once set blanket default privileges for the API roles on what the migrating role creates in
-- public; take them back, except on Supabase, where such defaults are the project's own setting, not ours.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_admin') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM anon, authenticated, service_role;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM anon, authenticated, service_role;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON FUNCTIONS FROM anon, authenticated, service_role;
    END IF;
END $$;
