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

-- What create_charged_task does not take, recorded in the same statement that calls it (db/queries/tasks.ts): the
-- end frame's storage key (the contract's end_img_path), and the task's client id, returned. Called after
-- create_charged_task has returned, this VOLATILE function sees the rows it wrote; one statement keeps the two
-- atomic and a generation request at one round trip. It takes a storage key from its caller, so only service_role
-- may call it.
CREATE FUNCTION record_task_extras(p_task_id BIGINT, p_end_img_path TEXT) RETURNS TEXT
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
    v_client_task_id TEXT;
BEGIN
    IF p_end_img_path IS NOT NULL THEN
        UPDATE video_generation_task_definitions SET end_img_path = p_end_img_path WHERE id = p_task_id;
    END IF;
    SELECT client_task_id INTO v_client_task_id FROM video_generation_task_statuses WHERE task_id = p_task_id;
    RETURN v_client_task_id;
END;
$$;
REVOKE ALL ON FUNCTION record_task_extras(BIGINT, TEXT) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION record_task_extras(BIGINT, TEXT) TO service_role;

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
