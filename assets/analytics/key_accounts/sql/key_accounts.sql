-- analytics.key_accounts as of $as_of: every buying customer of the customer-360 table `profile`
-- (built for the same as-of date) graded VIP / A / B / C by a 0-100 score. Structure: `profile`,
-- `with_predictions` (analytics.clv's clv_12m feeds the potential pillar), `industry_points` and
-- `size_points` (whether those settings tables have entries) and `drop_profile` (the profile is a
-- temporary table, dropped afterwards).
-- A percentile rank of x: 100 x (rows below + 1/2 x rows equal) / rows with a value; equal values
-- share a rank, one row alone gets 50, an empty value gets a neutral 50.
CREATE OR REPLACE TABLE analytics.key_accounts AS
WITH recent AS (
    SELECT customer_id, count(*) AS orders_12m, CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue_12m
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of
      AND order_date > CAST($as_of::DATE - to_months(CAST($lookback_months AS INTEGER)) AS DATE)
    GROUP BY customer_id
),
complaints AS (
    SELECT customer_id, count(*) AS complaints_12m
    FROM core.tickets
    WHERE is_complaint AND customer_id IS NOT NULL AND opened_date <= $as_of
      AND opened_date > CAST($as_of::DATE - to_months(CAST($lookback_months AS INTEGER)) AS DATE)
    GROUP BY customer_id
),
base AS (
    SELECT p.customer_id, p.company, p.contact_name, p.phone_masked, p.email_masked, p.owner, p.industry,
           p.company_size,
           coalesce(r.revenue_12m, 0) AS revenue_12m,
           coalesce(r.orders_12m, 0) AS orders_12m,
           p.orders AS orders_total,
           p.tenure_days,
           p.last_nps,
{% if with_predictions %}
           CAST(v.clv_12m AS DOUBLE) AS predicted_value,
{% else %}
           CAST(NULL AS DOUBLE) AS predicted_value,
{% endif %}
           p.last_order_date,
           p.last_contact_date AS last_interaction_date,
           CASE WHEN p.tickets IS NOT NULL THEN coalesce(t.complaints_12m, 0) END AS complaints_12m,
           p.open_opportunity_value,
{% if industry_points %}
           coalesce(CAST($industry_values[list_position($industry_keys, lower(trim(p.industry)))] AS DECIMAL(18, 12)),
                    CAST($industry_default AS DECIMAL(18, 12))) AS industry_points,
{% else %}
           CAST($industry_default AS DECIMAL(18, 12)) AS industry_points,
{% endif %}
{% if size_points %}
           coalesce(CAST($size_values[list_position($size_keys, lower(trim(p.company_size)))] AS DECIMAL(18, 12)),
                    CAST($size_default AS DECIMAL(18, 12))) AS size_points
{% else %}
           CAST($size_default AS DECIMAL(18, 12)) AS size_points
{% endif %}
    FROM {{ profile }} p
    LEFT JOIN recent r USING (customer_id)
    LEFT JOIN complaints t USING (customer_id)
{% if with_predictions %}
    LEFT JOIN (SELECT customer_id, max(clv_12m) AS clv_12m FROM analytics.clv GROUP BY customer_id) v
      USING (customer_id)
{% endif %}
    WHERE p.orders > 0
),
parts AS (
    SELECT *,
{% for value, rank in [("revenue_12m", "revenue_pct"), ("orders_12m", "frequency_pct"),
                        ("tenure_days", "tenure_pct"), ("last_nps", "nps_pct"),
                        ("open_opportunity_value", "opportunity_pct"), ("predicted_value", "predicted_pct")] %}
           CASE WHEN {{ value }} IS NULL THEN 50.0 ELSE 100.0 * (
               rank() OVER (PARTITION BY {{ value }} IS NULL ORDER BY {{ value }}) - 1
               + 0.5 * count(*) OVER (PARTITION BY {{ value }})
           ) / count(*) OVER (PARTITION BY {{ value }} IS NULL) END AS {{ rank }},
{% endfor %}
           CASE WHEN orders_total >= 2 THEN 100.0 ELSE 0.0 END AS repurchase_points
    FROM base
),
pillars AS (
    SELECT *,
           round((revenue_pct + frequency_pct) / 2, 2) AS purchasing_power,
           round((repurchase_points + tenure_pct + nps_pct) / 3, 2) AS loyalty,
{% if with_predictions %}
           round((industry_points + size_points + opportunity_pct + predicted_pct) / 4, 2) AS potential
{% else %}
           round((industry_points + size_points + opportunity_pct) / 3, 2) AS potential
{% endif %}
    FROM parts
),
scored AS (
    SELECT *,
           round((CAST($weight_purchasing_power AS DOUBLE) * purchasing_power + CAST($weight_loyalty AS DOUBLE) * loyalty
                  + CAST($weight_potential AS DOUBLE) * potential) / CAST($weight_sum AS DOUBLE), 2) AS score
    FROM pillars
),
ranked AS (
    SELECT *,
           row_number() OVER (ORDER BY score DESC, revenue_12m DESC, customer_id) AS score_rank,
           count(*) OVER () AS buyers
    FROM scored
),
graded AS (
    SELECT *,
           CASE WHEN score_rank <= floor(buyers * CAST($cumulative_vip AS DECIMAL(18, 6)) + 0.5) THEN 'VIP'
                WHEN score_rank <= floor(buyers * CAST($cumulative_a AS DECIMAL(18, 6)) + 0.5) THEN 'A'
                WHEN score_rank <= floor(buyers * CAST($cumulative_b AS DECIMAL(18, 6)) + 0.5) THEN 'B'
                ELSE 'C' END AS grade
    FROM ranked
),
planned AS (
    SELECT *,
           coalesce(last_interaction_date, last_order_date)
             + CAST($follow_up_days[list_position($grades, grade)] AS INTEGER) AS planned_follow_up
    FROM graded
)
SELECT customer_id, company, contact_name, phone_masked, email_masked, owner, industry, company_size,
       grade, score, score_rank, purchasing_power, loyalty, potential,
       revenue_12m, orders_12m, orders_total, tenure_days, last_nps, predicted_value,
       last_order_date, last_interaction_date, complaints_12m, open_opportunity_value,
       greatest(planned_follow_up, $as_of::DATE + 1) AS next_follow_up_date,
       planned_follow_up <= $as_of AS follow_up_overdue,
       CAST($as_of AS DATE) AS as_of
FROM planned
ORDER BY score_rank;
{% if drop_profile %}

DROP TABLE IF EXISTS {{ profile }};
{% endif %}
