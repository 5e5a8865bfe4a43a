-- The failing rows of the analytics.next_best_actions checks (checks/analytics/actions.py), one
-- sample text per failing customer or row.

-- name: customer_repeated
SELECT coalesce(customer_id, '(empty)') || ' × ' || count(*) AS sample FROM analytics.next_best_actions
GROUP BY customer_id HAVING count(*) > 1 OR customer_id IS NULL;

-- name: priority_rank_not_1_to_n
SELECT customer_id || ' rank ' || coalesce(CAST(priority_rank AS VARCHAR), '(empty)') AS sample
FROM (SELECT customer_id, priority_rank, row_number() OVER (ORDER BY priority_rank, customer_id) AS expected
      FROM analytics.next_best_actions)
WHERE priority_rank IS DISTINCT FROM expected;

-- name: control_with_action
SELECT customer_id || ' → ' || coalesce(action, '(empty)') AS sample FROM analytics.next_best_actions
WHERE is_control AND action IS DISTINCT FROM CAST($control_action AS VARCHAR);

-- name: treated_without_assigned_action
SELECT customer_id || ' → ' || coalesce(action, '(empty)') AS sample FROM analytics.next_best_actions
WHERE NOT coalesce(is_control, false) AND action IS DISTINCT FROM assigned_action;

-- name: assigned_action_not_in_playbook
SELECT customer_id || ' → ' || coalesce(assigned_action, '(empty)') AS sample FROM analytics.next_best_actions
WHERE assigned_action IS NULL OR NOT list_contains(CAST($actions AS VARCHAR[]), assigned_action);

-- name: control_not_from_salted_hash
-- the control-group rule of assets/analytics/actions/sql/control_group.sql, computed again
SELECT customer_id || ' is_control=' || coalesce(CAST(is_control AS VARCHAR), '(empty)') AS sample
FROM analytics.next_best_actions
WHERE is_control IS DISTINCT FROM
      (CAST('0x' || substr(md5($control_salt || customer_id), 1, $hash_digits) AS BIGINT)
       < CAST($control_threshold AS BIGINT));
