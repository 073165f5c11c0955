-- Polling for task changes, for instances that cannot LISTEN (behind a transaction pooler: docs/poolers.md).
-- Each status row records the transaction that last made a change task_status_changed announces (same columns).
-- A poller keeps the snapshot of its previous poll and reads the rows whose change_xid it could not see then:
-- exact even when transactions commit out of order, which a timestamp (now() is the transaction's start) is not.
ALTER TABLE video_generation_task_statuses ADD COLUMN change_xid xid8;

CREATE FUNCTION stamp_task_change() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id();
    RETURN NEW;
END;
$$;
-- Only ever run by its trigger.
REVOKE EXECUTE ON FUNCTION stamp_task_change() FROM PUBLIC;

CREATE TRIGGER task_status_change_stamped
    BEFORE INSERT OR UPDATE OF status, result_url, thumbnail_url, error_message ON video_generation_task_statuses
    FOR EACH ROW EXECUTE FUNCTION stamp_task_change();

-- A poll reads only the rows changed since the oldest transaction its previous snapshot could not see.
CREATE INDEX idx_task_statuses_change_xid ON video_generation_task_statuses(change_xid) WHERE change_xid IS NOT NULL;
