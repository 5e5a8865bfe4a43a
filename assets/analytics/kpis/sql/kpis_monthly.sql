-- analytics.kpis_monthly, built in steps through temporary tables (dropped afterwards by
-- drop_kpi_temp_tables.sql). Parameters: $as_of (DATE), $churn_days, and for the last statement the
-- KPI names and units in table order ($kpi_names, $kpi_units) and $relative_change_units. The
-- structure ``kpis`` is the KPI list (assets.analytics.kpis.logic.KPIS): for each, the facts column
-- that is its value, or its numerator, denominator and scale.

-- --- step 1: the months and the first month of each source ------------------------------------------
-- an opportunity is first seen when created, or when won or lost if that is recorded earlier
CREATE OR REPLACE TEMP TABLE _kpi_source_starts AS
SELECT
  (SELECT CAST(date_trunc('month', min(order_date)) AS DATE) FROM core.orders WHERE order_date <= $as_of) AS sales_from,
  (SELECT CAST(date_trunc('month', min(opened_date)) AS DATE) FROM core.tickets WHERE opened_date <= $as_of) AS service_tickets_from,
  (SELECT CAST(date_trunc('month', min(survey_date)) AS DATE) FROM core.surveys WHERE survey_date <= $as_of) AS service_nps_from,
  (SELECT CAST(date_trunc('month', min(event_date)) AS DATE) FROM core.email_events WHERE event_date <= $as_of) AS email_from,
  (SELECT CAST(date_trunc('month', least(min(created_date) FILTER (WHERE created_date <= $as_of),
                                          min(close_date) FILTER (WHERE status IN ('won', 'lost') AND close_date <= $as_of)))
               AS DATE)
   FROM core.opportunities) AS crm_opportunities_from;

CREATE OR REPLACE TEMP TABLE _kpi_months AS
SELECT CAST(m AS DATE) AS month,
       least(last_day(CAST(m AS DATE)), $as_of) AS period_end,
       last_day(CAST(m AS DATE)) > $as_of AS is_partial_month
FROM range((SELECT least(sales_from, service_tickets_from, service_nps_from, email_from, crm_opportunities_from)
            FROM _kpi_source_starts),
           CAST(date_trunc('month', $as_of) AS DATE) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
ORDER BY month;

-- --- step 2: sales --------------------------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE _kpi_orders AS
SELECT order_id, customer_id, order_date, CAST(date_trunc('month', order_date) AS DATE) AS month, amount
FROM core.orders
WHERE is_revenue AND order_date <= $as_of;

-- One row per customer and month with completed orders: orders in the month, orders up to the month
-- end, the previous month with orders and the first month with orders.
CREATE OR REPLACE TEMP TABLE _kpi_customer_months AS
SELECT customer_id, month, count(*) AS orders,
       sum(count(*)) OVER (PARTITION BY customer_id ORDER BY month) AS orders_to_date,
       lag(month) OVER (PARTITION BY customer_id ORDER BY month) AS previous_active_month,
       min(month) OVER (PARTITION BY customer_id) AS first_month
FROM _kpi_orders
WHERE customer_id IS NOT NULL
GROUP BY customer_id, month;

-- One row per customer and purchase day, with the previous and next purchase days and the churn day
-- (the first day with no purchase for more than churn_days). The customer is in the active base from
-- the purchase day until the day before leaves_base (the next purchase day or the churn day).
CREATE OR REPLACE TEMP TABLE _kpi_purchase_days AS
WITH days AS (
    SELECT DISTINCT customer_id, order_date FROM _kpi_orders WHERE customer_id IS NOT NULL
), linked AS (
    SELECT customer_id, order_date,
           lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS previous_day,
           lead(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS next_day
    FROM days
)
SELECT customer_id, order_date, previous_day, next_day,
       order_date + CAST($churn_days + 1 AS INTEGER) AS churn_day,
       least(next_day, order_date + CAST($churn_days + 1 AS INTEGER)) AS leaves_base,
       previous_day IS NOT NULL AND order_date > previous_day + CAST($churn_days + 1 AS INTEGER) AS is_return,
       next_day IS NULL OR next_day > order_date + CAST($churn_days + 1 AS INTEGER) AS churns
FROM linked;

CREATE OR REPLACE TEMP TABLE _kpi_sales AS
WITH order_facts AS (
    SELECT month, count(*) AS orders, sum(amount) AS revenue FROM _kpi_orders GROUP BY month
), customer_facts AS (
    SELECT month,
           count(*) AS active_customers,
           count(*) FILTER (WHERE month = first_month) AS new_customers,
           count(*) FILTER (WHERE orders_to_date >= 2) AS repeat_buyers,
           count(*) FILTER (WHERE previous_active_month = CAST(month - INTERVAL 1 MONTH AS DATE))
             AS retained_customers
    FROM _kpi_customer_months GROUP BY month
), base_moves AS (
    SELECT CAST(date_trunc('month', order_date) AS DATE) AS month, 1 AS moves FROM _kpi_purchase_days
    UNION ALL
    SELECT CAST(date_trunc('month', leaves_base) AS DATE), -1 FROM _kpi_purchase_days WHERE leaves_base <= $as_of
), base_change AS (
    SELECT month, sum(moves) AS base_change FROM base_moves GROUP BY month
), churned AS (
    SELECT CAST(date_trunc('month', churn_day) AS DATE) AS month, count(DISTINCT customer_id) AS churned_customers
    FROM _kpi_purchase_days WHERE churns AND churn_day <= $as_of GROUP BY ALL
), won_back AS (
    SELECT CAST(date_trunc('month', order_date) AS DATE) AS month, count(DISTINCT customer_id) AS returning_customers
    FROM _kpi_purchase_days WHERE is_return GROUP BY ALL
), monthly AS (
    SELECT m.month,
           coalesce(o.orders, 0) AS orders,
           CAST(coalesce(o.revenue, 0) AS DOUBLE) AS revenue,
           coalesce(c.active_customers, 0) AS active_customers,
           coalesce(c.new_customers, 0) AS new_customers,
           coalesce(c.repeat_buyers, 0) AS repeat_buyers,
           coalesce(c.retained_customers, 0) AS retained_customers,
           coalesce(ch.churned_customers, 0) AS churned_customers,
           coalesce(r.returning_customers, 0) AS returning_customers,
           sum(coalesce(b.base_change, 0)) OVER (ORDER BY m.month) AS customers
    FROM _kpi_months m
    LEFT JOIN order_facts o USING (month)
    LEFT JOIN customer_facts c USING (month)
    LEFT JOIN base_change b USING (month)
    LEFT JOIN churned ch USING (month)
    LEFT JOIN won_back r USING (month)
)
SELECT *,
       coalesce(lag(customers) OVER (ORDER BY month), 0) AS customers_at_start,
       coalesce(lag(active_customers) OVER (ORDER BY month), 0) AS previous_active_customers
FROM monthly;

-- --- step 3: service, NPS, e-mail, opportunities ---------------------------------------------------
CREATE OR REPLACE TEMP TABLE _kpi_tickets AS
WITH t AS (
    SELECT CAST(date_trunc('month', opened_date) AS DATE) AS month, is_complaint, csat,
           CASE WHEN CAST(first_response_at AS DATE) <= $as_of THEN first_response_hours END AS response_hours,
           CASE WHEN CAST(resolved_at AS DATE) <= $as_of THEN resolution_hours END AS resolution_hours
    FROM core.tickets WHERE opened_date <= $as_of
)
SELECT month, count(*) AS tickets,
       count(*) FILTER (WHERE is_complaint) AS complaints,
       count(csat) AS rated_tickets, sum(csat) AS csat_sum,
       median(response_hours) AS median_first_response_hours, count(response_hours) AS responded_tickets,
       median(resolution_hours) AS median_resolution_hours, count(resolution_hours) AS resolved_tickets
FROM t GROUP BY month;

CREATE OR REPLACE TEMP TABLE _kpi_nps AS
SELECT CAST(date_trunc('month', survey_date) AS DATE) AS month, count(*) AS nps_answers,
       count(*) FILTER (WHERE nps_group = 'promoter') AS promoters,
       count(*) FILTER (WHERE nps_group = 'detractor') AS detractors
FROM core.surveys WHERE survey_date <= $as_of GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE _kpi_email AS
WITH events AS (
    SELECT email, campaign_id, event_type, event_ts FROM core.email_events WHERE event_date <= $as_of
), export_has_delivered AS (
    SELECT coalesce(bool_or(event_type = 'delivered'), false) AS has_delivered FROM events
), mailings AS (
    SELECT email, campaign_id, CAST(date_trunc('month', min(event_ts)) AS DATE) AS month,
           bool_or(event_type = 'sent') AS sent, bool_or(event_type = 'delivered') AS delivered,
           bool_or(event_type = 'bounce') AS bounced, bool_or(event_type = 'open') AS opened,
           bool_or(event_type = 'click') AS clicked, bool_or(event_type = 'unsubscribe') AS unsubscribed
    FROM events GROUP BY email, campaign_id
), judged AS (
    SELECT m.*, CASE WHEN x.has_delivered THEN m.delivered ELSE m.sent AND NOT m.bounced END AS counts_delivered
    FROM mailings m CROSS JOIN export_has_delivered x
)
SELECT month,
       count(*) FILTER (WHERE counts_delivered) AS delivered_mailings,
       count(*) FILTER (WHERE counts_delivered AND opened) AS opened_mailings,
       count(*) FILTER (WHERE counts_delivered AND clicked) AS clicked_mailings,
       count(*) FILTER (WHERE counts_delivered AND unsubscribed) AS unsubscribed_mailings
FROM judged GROUP BY month;

-- An opportunity joins the pipeline in the month it was created and leaves it in the month it was won
-- or lost (never before it joined); the pipeline at period_end is the running total of these moves.
CREATE OR REPLACE TEMP TABLE _kpi_opportunities AS
WITH o AS (
    SELECT amount, created_date, status IN ('won', 'lost') AS is_closed, status,
           CASE WHEN status IN ('won', 'lost') THEN close_date END AS closed_on
    FROM core.opportunities
), closed AS (
    SELECT CAST(date_trunc('month', closed_on) AS DATE) AS month,
           count(*) FILTER (WHERE status = 'won') AS won_opportunities,
           count(*) FILTER (WHERE status = 'lost') AS lost_opportunities
    FROM o WHERE closed_on <= $as_of GROUP BY ALL
), moves AS (
    SELECT CAST(date_trunc('month', created_date) AS DATE) AS month, amount, 1 AS opportunities
    FROM o WHERE created_date <= $as_of AND NOT (is_closed AND closed_on IS NULL)
    UNION ALL
    SELECT greatest(CAST(date_trunc('month', created_date) AS DATE), CAST(date_trunc('month', closed_on) AS DATE)), -amount, -1
    FROM o WHERE created_date <= $as_of AND closed_on <= $as_of
), pipeline_change AS (
    SELECT month, sum(amount) AS amount_change, sum(opportunities) AS opportunities_change FROM moves GROUP BY month
)
SELECT m.month,
       coalesce(c.won_opportunities, 0) AS won_opportunities,
       coalesce(c.lost_opportunities, 0) AS lost_opportunities,
       CAST(sum(coalesce(p.amount_change, 0)) OVER (ORDER BY m.month) AS DOUBLE) AS pipeline_amount,
       sum(coalesce(p.opportunities_change, 0)) OVER (ORDER BY m.month) AS open_opportunities
FROM _kpi_months m
LEFT JOIN closed c USING (month)
LEFT JOIN pipeline_change p USING (month);

-- --- step 4: one row of facts per month, NULL outside each source's months (counts and sums are 0
-- inside them, the medians stay NULL) -----------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE _kpi_facts AS
SELECT m.month, m.period_end, m.is_partial_month,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.customers, 0) END AS customers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.customers_at_start, 0) END AS customers_at_start,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.new_customers, 0) END AS new_customers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.returning_customers, 0) END AS returning_customers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.active_customers, 0) END AS active_customers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.churned_customers, 0) END AS churned_customers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.retained_customers, 0) END AS retained_customers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.previous_active_customers, 0) END AS previous_active_customers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.repeat_buyers, 0) END AS repeat_buyers,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.orders, 0) END AS orders,
       CASE WHEN m.month >= x.sales_from THEN coalesce(s.revenue, 0) END AS revenue,
       CASE WHEN m.month >= x.service_tickets_from THEN coalesce(t.tickets, 0) END AS tickets,
       CASE WHEN m.month >= x.service_tickets_from THEN coalesce(t.complaints, 0) END AS complaints,
       CASE WHEN m.month >= x.service_tickets_from THEN coalesce(t.rated_tickets, 0) END AS rated_tickets,
       CASE WHEN m.month >= x.service_tickets_from THEN coalesce(t.csat_sum, 0) END AS csat_sum,
       CASE WHEN m.month >= x.service_tickets_from THEN coalesce(t.responded_tickets, 0) END AS responded_tickets,
       CASE WHEN m.month >= x.service_tickets_from THEN coalesce(t.resolved_tickets, 0) END AS resolved_tickets,
       CASE WHEN m.month >= x.service_tickets_from THEN t.median_first_response_hours END AS median_first_response_hours,
       CASE WHEN m.month >= x.service_tickets_from THEN t.median_resolution_hours END AS median_resolution_hours,
       CASE WHEN m.month >= x.service_nps_from THEN coalesce(n.nps_answers, 0) END AS nps_answers,
       CASE WHEN m.month >= x.service_nps_from THEN coalesce(n.promoters, 0) END AS promoters,
       CASE WHEN m.month >= x.service_nps_from THEN coalesce(n.detractors, 0) END AS detractors,
       CASE WHEN m.month >= x.email_from THEN coalesce(e.delivered_mailings, 0) END AS delivered_mailings,
       CASE WHEN m.month >= x.email_from THEN coalesce(e.opened_mailings, 0) END AS opened_mailings,
       CASE WHEN m.month >= x.email_from THEN coalesce(e.clicked_mailings, 0) END AS clicked_mailings,
       CASE WHEN m.month >= x.email_from THEN coalesce(e.unsubscribed_mailings, 0) END AS unsubscribed_mailings,
       CASE WHEN m.month >= x.crm_opportunities_from THEN coalesce(o.won_opportunities, 0) END AS won_opportunities,
       CASE WHEN m.month >= x.crm_opportunities_from THEN coalesce(o.lost_opportunities, 0) END AS lost_opportunities,
       CASE WHEN m.month >= x.crm_opportunities_from THEN coalesce(o.pipeline_amount, 0) END AS pipeline_amount,
       CASE WHEN m.month >= x.crm_opportunities_from THEN coalesce(o.open_opportunities, 0) END AS open_opportunities
FROM _kpi_months m CROSS JOIN _kpi_source_starts x
LEFT JOIN _kpi_sales s USING (month)
LEFT JOIN _kpi_tickets t USING (month)
LEFT JOIN _kpi_nps n USING (month)
LEFT JOIN _kpi_email e USING (month)
LEFT JOIN _kpi_opportunities o USING (month)
ORDER BY m.month;

-- --- step 5: the long table with the comparisons ----------------------------------------------------
CREATE OR REPLACE TABLE analytics.kpis_monthly AS
WITH facts AS (
    SELECT *, promoters - detractors AS net_promoters,
           won_opportunities + lost_opportunities AS closed_opportunities
    FROM _kpi_facts
), long AS (
{% for kpi in kpis %}
    {% if not loop.first %}
    UNION ALL
    {% endif %}
    SELECT month, {{ loop.index0 }} AS position, $kpi_names[{{ loop.index }}] AS kpi, $kpi_units[{{ loop.index }}] AS unit,
           {%+ if kpi.value %}CAST({{ kpi.value }} AS DOUBLE){% else %}CAST({% if kpi.scale != 1 %}{{ kpi.scale }} * {% endif %}CAST({{ kpi.numerator }} AS DOUBLE) / nullif({{ kpi.denominator }}, 0) AS DOUBLE){% endif %} AS value,
           CAST({% if kpi.numerator %}{{ kpi.numerator }}{% else %}NULL{% endif %} AS DOUBLE) AS numerator,
           CAST({% if kpi.denominator %}{{ kpi.denominator }}{% else %}NULL{% endif %} AS DOUBLE) AS denominator,
           period_end, is_partial_month
    FROM facts
{% endfor %}
), compared AS (
    SELECT *,
           lag(value, 1) OVER (PARTITION BY kpi ORDER BY month) AS previous_month_value,
           lag(value, 12) OVER (PARTITION BY kpi ORDER BY month) AS same_month_last_year_value
    FROM long
)
SELECT month, kpi, unit, value, numerator, denominator,
       previous_month_value,
       value - previous_month_value AS change_vs_previous_month,
       CASE WHEN list_contains($relative_change_units, unit) AND previous_month_value <> 0
            THEN value / previous_month_value - 1 END AS relative_change_vs_previous_month,
       same_month_last_year_value,
       value - same_month_last_year_value AS change_vs_last_year,
       CASE WHEN list_contains($relative_change_units, unit) AND same_month_last_year_value <> 0
            THEN value / same_month_last_year_value - 1 END AS relative_change_vs_last_year,
       period_end, is_partial_month, CAST($as_of AS DATE) AS as_of
FROM compared
ORDER BY month, position;
