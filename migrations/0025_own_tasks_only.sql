-- A signed-in user reads their own tasks and their statuses, and nothing else. The original's setup (0002) also let
-- anyone read ownerless tasks, those of a deleted account (user_id is set null when the account goes), beside the
-- owner-only policies of its RLS fix (0003). Permissive policies are OR'ed, and through that OR the planner cannot
-- read a user's newest tasks from the (user_id, id) index in order: fetch-creation sorted all of a user's tasks to
-- show 20 (190 ms at 10,000 tasks, 0.4 ms now). The owner-only policies stay; service_role reads all through its own.
DROP POLICY IF EXISTS "Users can view their own tasks and public tasks" ON video_generation_task_definitions;
DROP POLICY IF EXISTS "Users can view statuses of their tasks" ON video_generation_task_statuses;
