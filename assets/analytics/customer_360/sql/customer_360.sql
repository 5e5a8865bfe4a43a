-- The customer 360 profile: one row per customer of core.customers, as of $as_of (nothing dated
-- after it counts). Each source is aggregated per customer once, then LEFT JOINed onto the customers.
-- Structure: `table` (and `temporary`: a TEMP table for another as-of date), `windows` (the activity
-- windows in days, also bound as $windows) and `interaction_stems` (the column stem of each counted
-- interaction type, in the order of $interaction_types). mask_phone / mask_email are the masking
-- macros of assets/common/masking.py.
CREATE OR REPLACE {% if temporary %}TEMP {% endif %}TABLE {{ table }} AS
WITH src AS (
    SELECT EXISTS (SELECT 1 FROM core.interactions WHERE interaction_date <= $as_of) AS has_interactions,
           EXISTS (SELECT 1 FROM core.tickets WHERE opened_date <= $as_of) AS has_tickets,
           EXISTS (SELECT 1 FROM core.email_events WHERE event_date <= $as_of) AS has_email,
           EXISTS (SELECT 1 FROM core.opportunities
                   WHERE coalesce(created_date, $as_of::DATE) <= $as_of) AS has_opportunities
),
purchases AS (
    SELECT customer_id,
           min(order_date) AS first_order_date,
           max(order_date) AS last_order_date,
           count(*) AS orders,
           count(DISTINCT order_date) AS purchase_days,
           CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of
    GROUP BY customer_id
),
category_revenue AS (
    SELECT o.customer_id, l.category, sum(l.amount) AS revenue
    FROM core.order_lines l
    JOIN core.orders o USING (order_id)
    WHERE o.is_revenue AND o.order_date <= $as_of AND l.category IS NOT NULL
    GROUP BY o.customer_id, l.category
),
favourites AS (
    SELECT customer_id, string_agg(category, ', ' ORDER BY revenue DESC, category) AS favourite_categories
    FROM (
        SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY revenue DESC, category) AS position
        FROM category_revenue
    )
    WHERE position <= 3
    GROUP BY customer_id
),
interactions AS (
    SELECT customer_id,
{% for window in windows %}
{% set w = loop.index %}
{% for stem in interaction_stems %}
           count(*) FILTER (WHERE interaction_type = $interaction_types[{{ loop.index }}]
                            AND interaction_date > $as_of::DATE - CAST($windows[{{ w }}] AS INTEGER)) AS {{ stem }}_{{ window }}d,
{% endfor %}
           count(*) FILTER (WHERE interaction_date > $as_of::DATE - CAST($windows[{{ w }}] AS INTEGER))
             AS interactions_{{ window }}d,
{% endfor %}
           max(interaction_date) AS last_contact_date
    FROM core.interactions
    WHERE customer_id IS NOT NULL AND interaction_date <= $as_of
    GROUP BY customer_id
),
service AS (
    SELECT customer_id,
           count(*) AS tickets,
           count(*) FILTER (WHERE is_complaint) AS complaints,
           round(avg(csat), 2) AS mean_csat
    FROM core.tickets
    WHERE customer_id IS NOT NULL AND opened_date <= $as_of
    GROUP BY customer_id
),
nps AS (
    SELECT customer_id, nps_score AS last_nps
    FROM core.surveys
    WHERE customer_id IS NOT NULL AND survey_date <= $as_of
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY survey_ts DESC, response_id DESC) = 1
),
email_messages AS (
    -- one marketing message = one address x one campaign
    SELECT customer_id,
           coalesce(min(event_date) FILTER (WHERE event_type IN ('sent', 'delivered')), min(event_date))
             AS send_date,
           bool_or(event_type IN ('delivered', 'open', 'click'))
             OR (bool_or(event_type = 'sent') AND NOT bool_or(event_type = 'bounce')) AS delivered,
           bool_or(event_type IN ('open', 'click')) AS opened,
           bool_or(event_type = 'click') AS clicked,
           bool_or(event_type = 'unsubscribe') AS unsubscribed
    FROM core.email_events
    WHERE customer_id IS NOT NULL AND event_date <= $as_of
    GROUP BY customer_id, email, campaign_id
),
email AS (
    SELECT customer_id,
           count(*) FILTER (WHERE delivered AND send_date > $as_of::DATE - CAST($email_window_days AS INTEGER)) AS delivered_90d,
           count(*) FILTER (WHERE delivered AND opened AND send_date > $as_of::DATE - CAST($email_window_days AS INTEGER))
             AS opened_90d,
           count(*) FILTER (WHERE delivered AND clicked AND send_date > $as_of::DATE - CAST($email_window_days AS INTEGER))
             AS clicked_90d,
           bool_or(unsubscribed) AS unsubscribed
    FROM email_messages
    GROUP BY customer_id
),
opportunities AS (
    -- open on the as-of date: created by then, and still open now or decided only after it
    SELECT customer_id, CAST(coalesce(sum(amount), 0) AS DECIMAL(18, 2)) AS open_opportunity_value
    FROM core.opportunities
    WHERE customer_id IS NOT NULL
      AND coalesce(created_date, $as_of::DATE) <= $as_of
      AND (status = 'open' OR close_date > $as_of)
    GROUP BY customer_id
)
SELECT c.customer_id, c.company, c.contact_name,
       mask_phone(c.phone_e164) AS phone_masked,
       mask_email(c.email) AS email_masked,
       c.industry, c.company_size, c.region, c.owner,
       p.first_order_date, p.last_order_date,
       coalesce(p.orders, 0) AS orders,
       coalesce(p.revenue, 0) AS revenue,
       CAST(p.revenue / p.orders AS DECIMAL(18, 2)) AS average_order_value,
       date_diff('day', p.last_order_date, $as_of) AS recency_days,
       date_diff('day', p.first_order_date, $as_of) AS tenure_days,
       CASE WHEN p.purchase_days >= 2
            THEN round(date_diff('day', p.first_order_date, p.last_order_date) / (p.purchase_days - 1), 1)
       END AS mean_days_between_orders,
       f.favourite_categories,
{% for window in windows %}
{% for stem in interaction_stems + ["interactions"] %}
       CASE WHEN src.has_interactions THEN coalesce(i.{{ stem }}_{{ window }}d, 0) END AS {{ stem }}_{{ window }}d,
{% endfor %}
{% endfor %}
       i.last_contact_date,
       CASE WHEN src.has_tickets THEN coalesce(s.tickets, 0) END AS tickets,
       CASE WHEN src.has_tickets THEN coalesce(s.complaints, 0) END AS complaints,
       s.mean_csat,
       n.last_nps,
       CASE WHEN src.has_email THEN coalesce(e.delivered_90d, 0) END AS marketing_emails_delivered_90d,
       round(e.opened_90d / nullif(e.delivered_90d, 0), 4) AS email_open_rate_90d,
       round(e.clicked_90d / nullif(e.delivered_90d, 0), 4) AS email_click_rate_90d,
       CASE WHEN src.has_email THEN coalesce(e.unsubscribed, false) END AS unsubscribed,
       CASE WHEN src.has_opportunities THEN coalesce(o.open_opportunity_value, 0) END AS open_opportunity_value,
       CAST($as_of AS DATE) AS as_of
FROM core.customers c
CROSS JOIN src
LEFT JOIN purchases p USING (customer_id)
LEFT JOIN favourites f USING (customer_id)
LEFT JOIN interactions i USING (customer_id)
LEFT JOIN service s USING (customer_id)
LEFT JOIN nps n USING (customer_id)
LEFT JOIN email e USING (customer_id)
LEFT JOIN opportunities o USING (customer_id)
ORDER BY c.customer_id;
