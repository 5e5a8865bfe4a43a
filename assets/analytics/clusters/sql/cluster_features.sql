-- One row per customer with a completed order on or before $as_of, with the raw behaviour features.
-- Activity counts look at the $window_days days up to the as-of date. A source table that does not
-- exist (structure `sources`: which of them do) counts as empty.
WITH buyers AS (
{% include "revenue_buyers.sql" %}
),
categories AS (
{% if sources.categories %}
    SELECT customer_id, count(DISTINCT category) AS category_count FROM core.order_lines
    WHERE category IS NOT NULL AND order_id IN (SELECT order_id FROM core.orders
          WHERE is_revenue AND order_date <= CAST($as_of AS DATE))
    GROUP BY customer_id
{% else %}
    SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS category_count WHERE false
{% endif %}
),
{# the activity counts of the window: CRM interactions, and complaint tickets opened #}
{% for cte, table, date_column, count_column in [
    ("contacts", "core.interactions", "interaction_date", "recent_interactions"),
    ("complaint_counts", "core.tickets", "opened_date", "recent_complaints")] %}
{{ cte }} AS (
{% if sources[cte] %}
    SELECT customer_id, count(*) AS {{ count_column }} FROM {{ table }}
    WHERE {% if cte == "complaint_counts" %}is_complaint AND {% endif %}{{ date_column }} > CAST($as_of AS DATE) - CAST($window_days AS INTEGER)
      AND {{ date_column }} <= CAST($as_of AS DATE)
    GROUP BY customer_id
{% else %}
    SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS {{ count_column }} WHERE false
{% endif %}
),
{% endfor %}
mail AS (
{% if sources.mail %}
    SELECT customer_id,
           count(DISTINCT coalesce(campaign_id, CAST(event_date AS VARCHAR)))
             FILTER (WHERE event_type IN ('open', 'click')) AS campaigns_opened,
           count(DISTINCT coalesce(campaign_id, CAST(event_date AS VARCHAR)))
             FILTER (WHERE event_type IN ('sent', 'delivered', 'open', 'click')) AS campaigns_received
    FROM core.email_events
    WHERE customer_id IS NOT NULL AND event_date > CAST($as_of AS DATE) - CAST($window_days AS INTEGER)
      AND event_date <= CAST($as_of AS DATE)
    GROUP BY customer_id
{% else %}
    SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS campaigns_opened, 0::BIGINT AS campaigns_received WHERE false
{% endif %}
)
SELECT b.customer_id, b.recency_days, b.orders, b.revenue,
       CAST(b.revenue / b.orders AS DECIMAL(18, 2)) AS average_order_value,
       coalesce(c.category_count, 0) AS category_count,
       coalesce(i.recent_interactions, 0) AS recent_interactions,
       coalesce(t.recent_complaints, 0) AS recent_complaints,
       CASE WHEN m.campaigns_received > 0
            THEN round(least(m.campaigns_opened, m.campaigns_received) / m.campaigns_received, 6) END
         AS email_open_rate
FROM buyers b
LEFT JOIN categories c USING (customer_id)
LEFT JOIN contacts i USING (customer_id)
LEFT JOIN complaint_counts t USING (customer_id)
LEFT JOIN mail m USING (customer_id)
ORDER BY b.customer_id;
