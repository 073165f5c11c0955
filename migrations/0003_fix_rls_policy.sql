-- The contract's Fix RLS Policy Script. The document is cut off in the middle of its first status policy; the
-- part after the marker below is our completion: the policies the script's DROP statements name, recreated in
-- the same spirit (users reach the statuses of their own tasks; service_role reaches all), and the grants the
-- jobs need.

-- 为video_generation_task_definitions表启用RLS
ALTER TABLE video_generation_task_definitions ENABLE ROW LEVEL SECURITY;

-- 删除可能存在的旧策略
DROP POLICY IF EXISTS "用户可以创建自己的视频任务" ON video_generation_task_definitions;
DROP POLICY IF EXISTS "用户可以查看自己的视频任务" ON video_generation_task_definitions;

-- 创建正确的RLS策略
CREATE POLICY "用户可以创建自己的视频任务" 
ON video_generation_task_definitions 
FOR INSERT
TO authenticated
WITH CHECK (auth.uid() = user_id);

CREATE POLICY "用户可以查看自己的视频任务" 
ON video_generation_task_definitions 
FOR SELECT
TO authenticated
USING (auth.uid() = user_id);

-- 为video_generation_task_statuses表启用RLS
ALTER TABLE video_generation_task_statuses ENABLE ROW LEVEL SECURITY;

-- 删除可能存在的旧策略
DROP POLICY IF EXISTS "Users can insert their task statuses" ON video_generation_task_statuses;
DROP POLICY IF EXISTS "Users can view their task statuses" ON video_generation_task_statuses;
DROP POLICY IF EXISTS "Service role can access all task statuses" ON video_generation_task_statuses;

-- 创建新的策略
-- ---- completion (the contract's text ends inside the next statement) ----
-- Each policy is dropped first where it exists: the original system ran this script already on its database.
DROP POLICY IF EXISTS "Users can insert task statuses" ON video_generation_task_statuses;
CREATE POLICY "Users can insert task statuses"
ON video_generation_task_statuses
FOR INSERT
TO authenticated
WITH CHECK (EXISTS (
  SELECT 1
  FROM video_generation_task_definitions
  WHERE id = task_id
  AND user_id = auth.uid()
));

DROP POLICY IF EXISTS "Users can view their task statuses" ON video_generation_task_statuses;
CREATE POLICY "Users can view their task statuses"
ON video_generation_task_statuses
FOR SELECT
TO authenticated
USING (EXISTS (
  SELECT 1
  FROM video_generation_task_definitions
  WHERE id = task_id
  AND user_id = auth.uid()
));

DROP POLICY IF EXISTS "Service role can access all task statuses" ON video_generation_task_statuses;
CREATE POLICY "Service role can access all task statuses"
ON video_generation_task_statuses
FOR ALL
TO service_role
USING (true)
WITH CHECK (true);

-- What the jobs (run as service_role, like the contract's cron jobs) need. The user roles' privileges are granted,
-- column by column where it matters, in 0010_least_privilege.sql; nothing here touches tables that are not ours.
GRANT ALL ON user_credits, video_generation_task_definitions, video_generation_task_statuses, user_favorites, user_subscriptions TO service_role;
GRANT ALL ON SEQUENCE user_credits_id_seq, video_generation_task_definitions_id_seq, video_generation_task_statuses_id_seq,
    user_favorites_id_seq, user_subscriptions_id_seq TO service_role;

-- Deviation: get_user_credits is SECURITY DEFINER and takes any user id, so with Supabase's default grants any
-- signed-in user could read anyone's credits through it. Only the service role may call it.
REVOKE EXECUTE ON FUNCTION get_user_credits(UUID) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION get_user_credits(UUID) TO service_role;
ALTER FUNCTION get_user_credits(UUID) SET search_path = public, pg_temp;
