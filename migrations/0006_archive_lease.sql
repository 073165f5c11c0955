-- The archive pass leases completed tasks with its own columns: a task's sync lease (locked_by/locked_until) and
-- its archive lease then never meet, even when a late callback or the single-task endpoint touches the same row.
ALTER TABLE video_generation_task_statuses
    ADD COLUMN archive_locked_by TEXT,
    ADD COLUMN archive_locked_until TIMESTAMP WITH TIME ZONE,
    -- Set when our own timeout (not the provider) failed the task: only such a task may still turn completed,
    -- when the provider reports a late success (the refund stays; the operator is told).
    ADD COLUMN timed_out BOOLEAN NOT NULL DEFAULT false;

-- An archive copy abandoned by a dead instance stays 'uploading' until its lease expires.
DROP INDEX IF EXISTS idx_task_statuses_archive_due;
CREATE INDEX idx_task_statuses_archive_due ON video_generation_task_statuses(archive_next_attempt_at)
    WHERE status = 'completed' AND r2_status IN ('pending', 'failed', 'uploading');
