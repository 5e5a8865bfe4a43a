-- analytics.rfm: one row per customer with a completed order in the window
-- (as_of - lookback_days < order_date <= as_of). Scores are tie-safe mid-rank quantiles,
-- ceil(bins * (2 * below + equal) / (2 * n)) computed in integers (see logic.py).
{% set lookback_window = true %}
CREATE OR REPLACE TABLE analytics.rfm AS
WITH buyers AS (
{% include "revenue_buyers.sql" %}
),
base AS (
    SELECT customer_id, recency_days, orders AS frequency, revenue AS monetary FROM buyers
),
ranked AS (
    SELECT *,
           count(*) OVER () AS n,
           rank() OVER (ORDER BY recency_days DESC) - 1 AS r_below,
           count(*) OVER (PARTITION BY recency_days) AS r_equal,
           rank() OVER (ORDER BY frequency) - 1 AS f_below,
           count(*) OVER (PARTITION BY frequency) AS f_equal,
           rank() OVER (ORDER BY monetary) - 1 AS m_below,
           count(*) OVER (PARTITION BY monetary) AS m_equal,
           sum(monetary) OVER () AS total_revenue,
           sum(monetary) OVER (ORDER BY monetary DESC, customer_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_revenue
    FROM base
),
scored AS (
    SELECT *,
{% for score in ["r", "f", "m"] %}
           CAST(((CAST($bins AS INTEGER) * (2 * {{ score }}_below + {{ score }}_equal)) + 2 * n - 1) // (2 * n) AS INTEGER)
             AS {{ score }}_score,
{% endfor %}
           n - m_below - m_equal AS m_above
    FROM ranked
),
final AS (
    SELECT *, CAST((f_score + m_score + 1) // 2 AS INTEGER) AS fm_score FROM scored
),
segment_cells AS (
{% include "segment_cells.sql" %}
)
SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score,
       CAST(r_score AS VARCHAR) || CAST(f_score AS VARCHAR) || CAST(m_score AS VARCHAR) AS rfm_code,
       cell.segment,
       cell.segment_zh,
       CASE WHEN 2 * m_above + m_equal < 2 * n * CAST($value_tier_high_share AS DECIMAL(10, 6))
                 THEN 'high'
            WHEN 2 * m_below + m_equal < 2 * n * CAST($value_tier_low_share AS DECIMAL(10, 6))
                 THEN 'low'
            ELSE 'normal' END AS value_tier,
       CASE WHEN 2 * m_above + m_equal < 2 * n * CAST($value_tier_high_share AS DECIMAL(10, 6))
                 THEN $value_tier_high_zh
            WHEN 2 * m_below + m_equal < 2 * n * CAST($value_tier_low_share AS DECIMAL(10, 6))
                 THEN $value_tier_low_zh
            ELSE $value_tier_normal_zh END AS value_tier_zh,
       CASE WHEN total_revenue > 0 THEN CAST(monetary AS DOUBLE) / CAST(total_revenue AS DOUBLE) ELSE 0.0 END
         AS revenue_share,
       CASE WHEN total_revenue > 0 THEN CAST(running_revenue AS DOUBLE) / CAST(total_revenue AS DOUBLE) ELSE 0.0
         END AS cumulative_revenue_share,
       CASE WHEN total_revenue <= 0 THEN 'C'
            WHEN running_revenue - monetary < total_revenue * CAST($abc_a_share AS DECIMAL(10, 6))
                 THEN 'A'
            WHEN running_revenue - monetary < total_revenue * CAST($abc_b_share AS DECIMAL(10, 6))
                 THEN 'B'
            ELSE 'C' END AS abc_class,
       CAST($as_of AS DATE) AS as_of
FROM final
LEFT JOIN segment_cells cell USING (r_score, fm_score)
ORDER BY customer_id;
