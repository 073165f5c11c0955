-- Archived files get storage keys that say nothing about their task: 128 random bits per task, chosen once and kept
-- here, so a retried or taken-over copy writes the same objects. The contract's layout
-- (videos/<user id>/<task id>-video.mp4) let anyone holding one public URL list that user's videos by counting task
-- ids. Tasks archived before this migration keep their files and URLs at that layout.
--
-- No foreign key to the task: when a task is deleted, its keys must outlive it until the archive pass has removed
-- the files they name (deleted_task_files queues the task; that pass then forgets both rows).
CREATE TABLE task_file_keys (
    task_id BIGINT PRIMARY KEY,
    -- Unique: a (vanishingly unlikely) repeated random name fails the copy instead of overwriting another video.
    video_key TEXT NOT NULL UNIQUE,
    thumbnail_key TEXT NOT NULL
);
ALTER TABLE task_file_keys ENABLE ROW LEVEL SECURITY;
-- Only our jobs read or write keys; the user roles learn a task's URLs from its status row. On Supabase, default
-- privileges hand a new table to every API role, service_role included: take all back, then grant what is used.
REVOKE ALL ON task_file_keys FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON task_file_keys TO service_role;
CREATE POLICY "Service role can manage task file keys"
    ON task_file_keys FOR ALL TO service_role USING (true) WITH CHECK (true);
