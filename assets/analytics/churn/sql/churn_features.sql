-- One row per customer in the population at $cutoff (bought in the population_days before it), with
-- the features of the available groups (structure: groups, the FEATURE_GROUPS names) and, with
-- with_label, churned = 1 when the customer made no completed purchase in ($cutoff, $label_end].
-- Trends are (recent − previous) / (recent + previous): −1 = stopped, 0 = flat, +1 = new; 0 when both are 0.
WITH
purchase_days AS (
    -- money stays DECIMAL until the end: DOUBLE sums in parallel change in the last digits run to run
    SELECT customer_id, order_date, sum(amount) AS revenue, count(*) AS orders,
           date_diff('day', lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date), order_date) AS gap
    FROM core.orders
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $cutoff
    GROUP BY customer_id, order_date
), population AS (
    SELECT customer_id,
           date_diff('day', max(order_date), $cutoff::DATE) AS days_since_last_purchase,
           date_diff('day', min(order_date), $cutoff::DATE) AS tenure_days,
           count(*) AS purchase_days,
           sum(orders) AS orders_total,
           sum(revenue)::DOUBLE AS revenue_total,
           sum(revenue)::DOUBLE / sum(orders) AS avg_order_value,
           coalesce(sum(revenue) FILTER (WHERE order_date > $recent_start), 0)::DOUBLE AS spend_recent,
           coalesce(sum(revenue) FILTER (WHERE order_date > $previous_start AND order_date <= $recent_start),
                    0)::DOUBLE AS spend_previous,
           coalesce(sum(orders) FILTER (WHERE order_date > $recent_start), 0) AS orders_recent,
           coalesce(sum(orders) FILTER (WHERE order_date > $previous_start AND order_date <= $recent_start), 0)
               AS orders_previous,
           CASE WHEN count(*) > 1
                THEN date_diff('day', min(order_date), max(order_date))::DOUBLE / (count(*) - 1) END AS mean_gap_days,
           arg_max(gap, order_date) AS last_gap_days,
           max(gap) AS longest_gap_days,
           -- purchase days in the recent window minus what the customer's own earlier pace predicts
           count(*) FILTER (WHERE order_date > $recent_start)
             - CASE WHEN min(order_date) <= $recent_start
                    THEN count(*) FILTER (WHERE order_date <= $recent_start) * $trend_days::DOUBLE
                         / greatest(date_diff('day', min(order_date), $recent_start::DATE), $trend_days) END
               AS recent_vs_usual_purchases
    FROM purchase_days
    GROUP BY customer_id
    HAVING max(order_date) > $population_start
), any_status AS (
    -- orders later refunded or cancelled still show the customer was around (and a status can change
    -- after the cutoff: the order date cannot)
    SELECT customer_id, date_diff('day', max(order_date), $cutoff::DATE) AS days_since_last_order_any_status,
           count(DISTINCT order_date) AS order_days_any_status
    FROM core.orders
    WHERE customer_id IS NOT NULL AND order_date <= $cutoff
    GROUP BY customer_id
), categories AS (
    SELECT customer_id, count(DISTINCT category) AS category_count
    FROM core.order_lines
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $cutoff
    GROUP BY customer_id
)
{% if "interactions" in groups %}
, interactions AS (
    SELECT customer_id,
           count(*) FILTER (WHERE interaction_date > $recent_start) AS interactions_recent,
           count(*) FILTER (WHERE interaction_date > $previous_start AND interaction_date <= $recent_start)
               AS interactions_previous,
           date_diff('day', max(interaction_date), $cutoff::DATE) AS days_since_last_contact
    FROM core.interactions
    WHERE customer_id IS NOT NULL AND interaction_date <= $cutoff
    GROUP BY customer_id
)
{% endif %}
{% if "service" in groups %}
, service AS (
    SELECT customer_id,
           count(*) FILTER (WHERE opened_date > $recent_start) AS tickets_recent,
           count(*) FILTER (WHERE is_complaint AND opened_date > $recent_start) AS complaints_recent,
           count(*) FILTER (WHERE is_complaint AND opened_date > $previous_start AND opened_date <= $recent_start)
               AS complaints_previous,
           count(*) FILTER (WHERE is_complaint) AS complaints_total,
           -- a CSAT score is known once the ticket is resolved: later resolutions are in the future
           avg(csat) FILTER (WHERE resolved_at IS NOT NULL AND resolved_at::DATE <= $cutoff
                             AND opened_date > $year_start) AS mean_csat
    FROM core.tickets
    WHERE customer_id IS NOT NULL AND opened_date <= $cutoff
    GROUP BY customer_id
)
{% endif %}
{% if "surveys" in groups %}
, surveys AS (
    SELECT customer_id, arg_max(nps_score, survey_ts) AS last_nps
    FROM core.surveys
    WHERE customer_id IS NOT NULL AND survey_date <= $cutoff AND nps_score IS NOT NULL
    GROUP BY customer_id
)
{% endif %}
{% if "email" in groups %}
, email AS (
    SELECT customer_id,
           count(*) FILTER (WHERE event_type = 'delivered' AND event_date > $recent_start) AS emails_delivered_recent,
           count(*) FILTER (WHERE event_type = 'open' AND event_date > $recent_start) AS opens_recent,
           count(*) FILTER (WHERE event_type = 'click' AND event_date > $recent_start) AS clicks_recent,
           count(*) FILTER (WHERE event_type = 'delivered' AND event_date > $previous_start
                            AND event_date <= $recent_start) AS delivered_previous,
           count(*) FILTER (WHERE event_type = 'open' AND event_date > $previous_start
                            AND event_date <= $recent_start) AS opens_previous,
           bool_or(event_type = 'unsubscribe') AS unsubscribed
    FROM core.email_events
    WHERE customer_id IS NOT NULL AND event_date <= $cutoff
    GROUP BY customer_id
)
{% endif %}
{% if "opportunities" in groups %}
, opportunities AS (
    SELECT customer_id,
           count(*) FILTER (WHERE close_date IS NULL OR close_date > $cutoff) AS open_opportunities,
           coalesce(sum(amount) FILTER (WHERE close_date IS NULL OR close_date > $cutoff), 0)::DOUBLE
               AS open_opportunity_value,
           count(*) FILTER (WHERE status = 'won' AND close_date <= $cutoff AND close_date > $year_start)
               AS won_opportunities_year,
           coalesce(sum(amount) FILTER (WHERE status = 'won' AND close_date <= $cutoff), 0)::DOUBLE
               AS won_opportunity_value,
           count(*) FILTER (WHERE status = 'lost' AND close_date <= $cutoff AND close_date > $year_start)
               AS lost_opportunities_year
    FROM core.opportunities
    WHERE customer_id IS NOT NULL AND created_date <= $cutoff
    GROUP BY customer_id
)
{% endif %}
{% if with_label %}
, future_buyers AS (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date > $cutoff AND order_date <= $label_end
)
{% endif %}
SELECT p.customer_id
{% if "purchases" in groups %}
     , p.days_since_last_purchase, p.tenure_days, p.purchase_days, p.orders_total,
       round(p.revenue_total, 2) AS revenue_total, round(p.avg_order_value, 2) AS avg_order_value,
       round(p.spend_recent, 2) AS spend_recent, round(p.spend_previous, 2) AS spend_previous,
       round(CASE WHEN coalesce(p.spend_recent, 0) + coalesce(p.spend_previous, 0) = 0 THEN 0.0
                  ELSE (coalesce(p.spend_recent, 0) - coalesce(p.spend_previous, 0))::DOUBLE
                       / (coalesce(p.spend_recent, 0) + coalesce(p.spend_previous, 0)) END, 6) AS spend_trend,
       p.orders_recent, p.orders_previous,
       round(CASE WHEN coalesce(p.orders_recent, 0) + coalesce(p.orders_previous, 0) = 0 THEN 0.0
                  ELSE (coalesce(p.orders_recent, 0) - coalesce(p.orders_previous, 0))::DOUBLE
                       / (coalesce(p.orders_recent, 0) + coalesce(p.orders_previous, 0)) END, 6) AS order_trend,
       round(p.mean_gap_days, 4) AS mean_gap_days,
       round(p.days_since_last_purchase / p.mean_gap_days, 4) AS overdue_ratio,
       p.last_gap_days, p.longest_gap_days, round(p.recent_vs_usual_purchases, 4) AS recent_vs_usual_purchases,
       a.days_since_last_order_any_status, a.order_days_any_status,
       coalesce(c.category_count, 0) AS category_count
{% endif %}
{% if "interactions" in groups %}
     , coalesce(i.interactions_recent, 0) AS interactions_recent,
       coalesce(i.interactions_previous, 0) AS interactions_previous,
       round(CASE WHEN coalesce(i.interactions_recent, 0) + coalesce(i.interactions_previous, 0) = 0 THEN 0.0
                  ELSE (coalesce(i.interactions_recent, 0) - coalesce(i.interactions_previous, 0))::DOUBLE
                       / (coalesce(i.interactions_recent, 0) + coalesce(i.interactions_previous, 0)) END, 6) AS interaction_trend,
       i.days_since_last_contact
{% endif %}
{% if "service" in groups %}
     , coalesce(s.tickets_recent, 0) AS tickets_recent,
       coalesce(s.complaints_recent, 0) AS complaints_recent,
       coalesce(s.complaints_previous, 0) AS complaints_previous, coalesce(s.complaints_total, 0) AS complaints_total,
       round(s.mean_csat, 4) AS mean_csat
{% endif %}
{% if "surveys" in groups %}
     , sv.last_nps
{% endif %}
{% if "email" in groups %}
     , coalesce(e.emails_delivered_recent, 0) AS emails_delivered_recent,
       round(e.opens_recent::DOUBLE / nullif(e.emails_delivered_recent, 0), 6) AS open_rate_recent,
       round(e.opens_previous::DOUBLE / nullif(e.delivered_previous, 0), 6) AS open_rate_previous,
       round(coalesce(e.opens_recent::DOUBLE / nullif(e.emails_delivered_recent, 0), 0)
             - coalesce(e.opens_previous::DOUBLE / nullif(e.delivered_previous, 0), 0), 6) AS open_rate_trend,
       round(e.clicks_recent::DOUBLE / nullif(e.emails_delivered_recent, 0), 6) AS click_rate_recent,
       coalesce(e.unsubscribed, false)::INTEGER AS unsubscribed
{% endif %}
{% if "opportunities" in groups %}
     , coalesce(o.open_opportunities, 0) AS open_opportunities,
       round(coalesce(o.open_opportunity_value, 0), 2) AS open_opportunity_value,
       coalesce(o.won_opportunities_year, 0) AS won_opportunities_year,
       round(coalesce(o.won_opportunity_value, 0), 2) AS won_opportunity_value,
       coalesce(o.lost_opportunities_year, 0) AS lost_opportunities_year
{% endif %}
{% if with_label %}
     , (fb.customer_id IS NULL)::INTEGER AS churned
{% endif %}
FROM population p
LEFT JOIN any_status a USING (customer_id)
LEFT JOIN categories c USING (customer_id)
{% for group, alias in [("interactions", "i"), ("service", "s"), ("surveys", "sv"), ("email", "e"),
                        ("opportunities", "o")] if group in groups %}
LEFT JOIN {{ group }} {{ alias }} USING (customer_id)
{% endfor %}
{% if with_label %}
LEFT JOIN future_buyers fb USING (customer_id)
{% endif %}
ORDER BY p.customer_id
