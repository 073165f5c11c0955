-- What following a task to its end needs, beyond the contract's columns.

-- Deviation: the contract declares start_img_path NOT NULL, but a text-to-video task has no start image (the
-- contract's own example shows null). Text-to-video tasks store NULL; image-to-video tasks the image's storage key.
ALTER TABLE video_generation_task_definitions ALTER COLUMN start_img_path DROP NOT NULL;

-- One status row per task, updated in place: "the task's latest status" is that row. A database the original system
-- ran on can hold several per task (it added one per change): the latest (newest created_at, then highest id) stays
-- the task's status, and the older ones move, unchanged, to a history table only our server reads.
CREATE TABLE video_generation_task_status_history (LIKE video_generation_task_statuses);
WITH older AS (
    DELETE FROM video_generation_task_statuses s
     WHERE EXISTS (SELECT 1 FROM video_generation_task_statuses n
                    WHERE n.task_id = s.task_id AND (n.created_at, n.id) > (s.created_at, s.id))
    RETURNING s.*)
INSERT INTO video_generation_task_status_history SELECT * FROM older;
ALTER TABLE video_generation_task_status_history ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON video_generation_task_status_history FROM PUBLIC, anon, authenticated, service_role;
CREATE UNIQUE INDEX video_generation_task_statuses_one_per_task ON video_generation_task_statuses(task_id);

ALTER TABLE video_generation_task_statuses
    ADD COLUMN provider VARCHAR(20),
    -- Provider's own URLs, kept when result_url/thumbnail_url move to our storage.
    ADD COLUMN provider_result_url TEXT,
    ADD COLUMN provider_thumbnail_url TEXT,
    -- The contract's system used r2_status without declaring it (so its databases may have the column already):
    -- pending -> uploading -> completed | failed.
    ADD COLUMN IF NOT EXISTS r2_status VARCHAR(20),
    ADD COLUMN archive_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN archive_error TEXT,
    ADD COLUMN archive_next_attempt_at TIMESTAMP WITH TIME ZONE,
    -- Sync bookkeeping: when the next provider call is due, how many failed in a row, who holds the lease.
    ADD COLUMN sync_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    ADD COLUMN locked_by TEXT,
    ADD COLUMN locked_until TIMESTAMP WITH TIME ZONE,
    ADD COLUMN timeout_checked BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN finished_at TIMESTAMP WITH TIME ZONE,
    ADD COLUMN refunded BOOLEAN NOT NULL DEFAULT false,
    -- Secret in the callback URL given to the provider for this task.
    ADD COLUMN callback_token TEXT;

CREATE INDEX idx_task_statuses_due ON video_generation_task_statuses(next_attempt_at)
    WHERE status IN ('pending', 'processing');
CREATE INDEX idx_task_statuses_archive_due ON video_generation_task_statuses(archive_next_attempt_at)
    WHERE status = 'completed' AND r2_status IN ('pending', 'failed');
CREATE UNIQUE INDEX idx_task_statuses_callback_token ON video_generation_task_statuses(callback_token);
-- The public feed: newest completed first.
CREATE INDEX idx_task_statuses_completed_feed ON video_generation_task_statuses(finished_at DESC) WHERE status = 'completed';
CREATE INDEX idx_task_definitions_user_id_id ON video_generation_task_definitions(user_id, id DESC);

-- Idempotency-Key: a retried generation request returns the first response and is charged once.
CREATE TABLE idempotency_keys (
    user_id UUID NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    key VARCHAR(255) NOT NULL,
    request_hash TEXT NOT NULL,
    task_id BIGINT REFERENCES video_generation_task_definitions(id) ON DELETE CASCADE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idx_idempotency_keys_created_at ON idempotency_keys(created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can manage their own idempotency keys"
    ON idempotency_keys FOR ALL TO authenticated
    USING (auth.uid() = user_id) WITH CHECK (auth.uid() = user_id);
CREATE POLICY "Service role can manage idempotency keys"
    ON idempotency_keys FOR ALL TO service_role USING (true) WITH CHECK (true);
REVOKE ALL ON idempotency_keys FROM anon;

-- Task changes are announced to listeners (the SSE stream on every instance): payload = task id and user id.
CREATE FUNCTION notify_task_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM pg_notify('task_changes', json_build_object(
        'taskId', NEW.task_id,
        'userId', (SELECT user_id FROM video_generation_task_definitions WHERE id = NEW.task_id)
    )::text);
    RETURN NEW;
END;
$$;

CREATE TRIGGER task_status_changed
    AFTER INSERT OR UPDATE OF status, result_url, thumbnail_url, error_message ON video_generation_task_statuses
    FOR EACH ROW EXECUTE FUNCTION notify_task_change();
