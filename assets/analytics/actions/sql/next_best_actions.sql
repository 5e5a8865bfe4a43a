-- analytics.next_best_actions: the facts of every customer to decide on, the first playbook rule
-- that matches, and the action, labels and reasons of the rules that put a customer on the list
-- (bound as lists, one entry per such rule: a reason is its pieces of literal text, each followed by
-- a placeholder filled from the facts, or by nothing). Control customers keep their assigned action
-- but get the control action and a note instead.
CREATE OR REPLACE TABLE analytics.next_best_actions AS
WITH facts AS (
{% include "customer_facts.sql" %}
),
matched AS (
{% with facts = "facts" %}
{% include "playbook_match.sql" %}
{% endwith %}
),
listed_rules AS (
    SELECT unnest(CAST($listed_positions AS INTEGER[])) AS position,
           unnest(CAST($listed_actions AS VARCHAR[])) AS action,
           unnest(CAST($listed_labels_en AS VARCHAR[])) AS label_en,
           unnest(CAST($listed_labels_zh AS VARCHAR[])) AS label_zh,
           unnest(CAST($reason_en_texts AS VARCHAR[][])) AS reason_en_texts,
           unnest(CAST($reason_en_placeholders AS VARCHAR[][])) AS reason_en_placeholders,
           unnest(CAST($reason_zh_texts AS VARCHAR[][])) AS reason_zh_texts,
           unnest(CAST($reason_zh_placeholders AS VARCHAR[][])) AS reason_zh_placeholders
),
filled AS (
    -- the text of every placeholder a reason may use (settings.PLACEHOLDERS)
    SELECT m.*, r.action, r.label_en, r.label_zh, r.reason_en_texts, r.reason_en_placeholders, r.reason_zh_texts,
           r.reason_zh_placeholders,
           MAP {
               'churn_probability': CAST(CAST(round(100 * m.churn_probability) AS BIGINT) AS VARCHAR) || '%',
               'risk_tier': m.risk_tier,
               'risk_tier_zh': m.risk_tier_zh,
               'top_reasons': nullif(m.top_reasons, ''),
               'top_reasons_zh': nullif(m.top_reasons_zh, ''),
               'value_at_risk': format('{:,}', CAST(round(m.value_at_risk) AS BIGINT)),
               'clv_12m': format('{:,}', CAST(round(m.clv_12m) AS BIGINT)),
               'grade': m.grade,
               'segment': m.segment,
               'segment_zh': m.segment_zh,
               'value_tier': m.value_tier,
               'lifecycle_stage': replace(m.lifecycle_stage, '_', ' '),
               'lifecycle_stage_zh': m.lifecycle_stage_zh,
               'days_since_last_order': CAST(m.days_since_last_order AS VARCHAR),
               'tenure_days': CAST(m.tenure_days AS VARCHAR),
               'recent_complaints': CAST(m.recent_complaints AS VARCHAR),
               'complaint_days': CAST(m.complaint_days AS VARCHAR),
               'discount_share': CAST(CAST(round(100 * m.discount_share) AS BIGINT) AS VARCHAR) || '%'
           } AS placeholder_texts
    FROM matched m JOIN listed_rules r ON r.position = m.rule_no
),
assigned AS (
    SELECT *,
           action AS assigned_action,
           label_en AS assigned_label_en,
           label_zh AS assigned_label_zh,
           array_to_string(list_transform(range(1, len(reason_en_texts) + 1), lambda i:
               reason_en_texts[i] || CASE WHEN reason_en_placeholders[i] IS NULL THEN ''
                   ELSE coalesce(placeholder_texts[reason_en_placeholders[i]], $missing) END), '')
             AS assigned_reason_en,
           array_to_string(list_transform(range(1, len(reason_zh_texts) + 1), lambda i:
               reason_zh_texts[i] || CASE WHEN reason_zh_placeholders[i] IS NULL THEN ''
                   ELSE coalesce(placeholder_texts[reason_zh_placeholders[i]], $missing) END), '')
             AS assigned_reason_zh
    FROM filled
)
SELECT row_number() OVER (ORDER BY value_at_risk DESC NULLS LAST, churn_probability DESC NULLS LAST, customer_id)
           AS priority_rank,
       customer_id, company, owner, grade, segment, value_tier, lifecycle_stage, risk_tier,
       churn_probability, clv_12m, value_at_risk,
       assigned_action,
       CASE WHEN is_control THEN CAST($control_action AS VARCHAR) ELSE assigned_action END AS action,
       CASE WHEN is_control THEN CAST($control_label_en AS VARCHAR) ELSE assigned_label_en END AS action_label_en,
       CASE WHEN is_control THEN CAST($control_label_zh AS VARCHAR) ELSE assigned_label_zh END AS action_label_zh,
       CASE WHEN is_control THEN CAST($control_reason_en AS VARCHAR) || assigned_label_en || '.'
            ELSE assigned_reason_en END AS reason_en,
       CASE WHEN is_control THEN CAST($control_reason_zh AS VARCHAR) || assigned_label_zh || '。'
            ELSE assigned_reason_zh END AS reason_zh,
       is_control,
       CAST($as_of AS DATE) AS as_of
FROM assigned
ORDER BY priority_rank;
