{#
  The typed rows of raw.<kind> (sql/number_inputs.sql adds the number helper columns), with per row
  rule i its failure _fail_i and raw value _raw_i, the row's lineage and whether its file version was
  superseded; then the valid current rows ranked by delivery within their business key.

  Structure (assets/staging/build.py): kind; columns and key (the spec's typed columns and business
  key); rules (per rule its raw column, check and bounds); date_columns (the raw columns read as
  timestamps); raw_columns (the export's columns, for the content id); number_columns, parsed and
  evidence (numbers.py), when the kind has number columns.
  Values: $kind, $date_order (the [staging] date_order setting for files whose dates do not show
  their order: 'dmy', 'mdy' or NULL), $amount_bound (the plausibility bound, for implausible_amount)
  and $decimal_separator (when the number columns are decided in the query).
  A macro is used as {% call macro(...) %}{% endcall %}: its text is SQL of this file, not data.
#}
{% import "number_inputs.sql" as numbers %}
{# Record id for exports without an id column: a fingerprint of the row's content (an MD5 over all the
   export's columns), so the same row delivered again (in the same or another file) collapses into one. #}
{% macro content_id() %}{% if caller %}{% endif %}
'R' || left(md5(concat_ws(chr(31), {% for c in raw_columns %}{% if not loop.first %}, {% endif %}coalesce(crm_text("{{ c }}"), ''){% endfor %})), 16)
{%- endmacro %}
{# A sales line's amount, exact: as given, or (no amount given but quantity and unit price: an export
   without an amount column) quantity × unit price − discount. #}
{% macro sales_amount() %}{% if caller %}{% endif %}
CASE WHEN crm_text(amount) IS NULL AND crm_text(quantity) IS NOT NULL AND crm_text(unit_price) IS NOT NULL THEN TRY_CAST(round(TRY_CAST(_quantity__value AS DOUBLE) * TRY_CAST(_unit_price__value AS DOUBLE) - coalesce(TRY_CAST(_discount__value AS DOUBLE), 0), 2) AS DECIMAL(38, 6)) ELSE _amount__value END
{%- endmacro %}
{# A date whose day/month order is unknown: a day/month date (3/4/2025) and its file's order undecided. #}
{% macro undecided(c) %}{% if caller %}{% endif %}
(_date_order IS NULL AND crm_day_month_shaped({{ c }}))
{%- endmacro %}
{# The test of one row rule on its raw column c: true when the row breaks it. #}
{% macro failing(rule) %}{% if caller %}{% endif %}
{% set c = rule.column %}
{% if rule.check == "required" %}
crm_text({{ c }}) IS NULL
{%- elif rule.check == "undecided_date" %}
{% call undecided(c) %}{% endcall %}
{%- elif rule.check == "unparseable_date" %}
crm_text({{ c }}) IS NOT NULL AND crm_timestamp_in(_date_order, {{ c }}) IS NULL AND NOT {% call undecided(c) %}{% endcall %}
{%- elif rule.check == "amount_required" %}
crm_text(amount) IS NULL AND (crm_text(quantity) IS NULL OR crm_text(unit_price) IS NULL)
{%- elif rule.check == "implausible_amount" %}
abs({% call sales_amount() %}{% endcall %}) > $amount_bound
{%- elif rule.check == "out_of_range" %}
crm_text({{ c }}) IS NOT NULL AND coalesce(crm_number({{ c }}) NOT BETWEEN {{ rule.bounds[0] }} AND {{ rule.bounds[1] }}, true)
{%- elif rule.check == "invalid_email" %}
crm_text({{ c }}) IS NOT NULL AND crm_email({{ c }}) IS NULL
{%- elif rule.check == "not_a_number" %}
_{{ c }}__problem = 'not a number'
{%- elif rule.check == "percentage" %}
_{{ c }}__problem = 'percentage'
{%- elif rule.check == "ambiguous" %}
_{{ c }}__problem = 'ambiguous'
{%- elif rule.check == "contradicts" %}
_{{ c }}__problem = 'contradicts'
{%- else %}
{{ rule.check ~ " is no check of typed.sql" }}
{%- endif %}
{%- endmacro %}
{# The source with _date_order, decided per file version from the day/month evidence of its dates:
   a day above 12 first in some value and in none second means day-first, and the reverse month-first. #}
{% macro source() %}{% if caller %}{% endif %}
{% if number_columns is defined %}{% call numbers.source(kind, number_columns, parsed, evidence) %}{% endcall %}{% else %}raw.{{ kind }}{% endif %}
{%- endmacro %}
{% macro dated() %}{% if caller %}{% endif %}
{% if not date_columns %}
(SELECT *, CAST(NULL AS VARCHAR) AS _date_order FROM {% call source() %}{% endcall %})
{%- else %}
(SELECT * EXCLUDE (_day_first_values, _month_first_values),
        CASE WHEN _day_first_values > 0 AND _month_first_values = 0 THEN 'dmy'
             WHEN _month_first_values > 0 AND _day_first_values = 0 THEN 'mdy'
             WHEN _day_first_values = 0 AND _month_first_values = 0 THEN CAST($date_order AS VARCHAR)
        END AS _date_order
 FROM (SELECT *, sum(coalesce({% for c in date_columns %}{% if not loop.first %} + {% endif %}CAST(crm_day_month_evidence({{ c }}) = 'dmy' AS INTEGER){% endfor %}, 0)) OVER file_version AS _day_first_values,
                 sum(coalesce({% for c in date_columns %}{% if not loop.first %} + {% endif %}CAST(crm_day_month_evidence({{ c }}) = 'mdy' AS INTEGER){% endfor %}, 0)) OVER file_version AS _month_first_values
       FROM {% call source() %}{% endcall %}
       WINDOW file_version AS (PARTITION BY _source_file, _sheet, _file_hash)))
{%- endif %}
{%- endmacro %}
CREATE OR REPLACE TEMP TABLE _typed AS
WITH current_versions AS (
    SELECT source_file, sheet, arg_max(file_hash, loaded_at) AS file_hash
    FROM raw.load_log WHERE kind = $kind AND status = 'loaded' GROUP BY ALL
)
SELECT
{% if kind == "sales_order_lines" %}
    coalesce(crm_text(order_id), {% call content_id() %}{% endcall %}) AS order_id,
    coalesce(TRY_CAST(crm_number(line_no) AS INTEGER),
                CASE WHEN crm_text(order_id) IS NULL THEN 1
                     ELSE CAST(row_number() OVER (PARTITION BY _source_file, _sheet, _file_hash, crm_text(order_id)
                                                   ORDER BY _row_number) AS INTEGER) END) AS line_no,
    crm_text(customer_code) AS customer_code,
    crm_text(customer_name) AS customer_name,
    crm_timestamp_in(_date_order, order_date) AS order_ts,
    CAST(crm_timestamp_in(_date_order, order_date) AS DATE) AS order_date,
    crm_text(sku) AS sku,
    crm_text(product_name) AS product_name,
    crm_text(category) AS category,
    coalesce(TRY_CAST(_quantity__value AS DOUBLE), 1) AS quantity,
    TRY_CAST(_unit_price__value AS DECIMAL(18, 2)) AS unit_price,
    coalesce(TRY_CAST(_discount__value AS DECIMAL(18, 2)), 0) AS discount,
    TRY_CAST({% call sales_amount() %}{% endcall %} AS DECIMAL(18, 2)) AS amount,
    crm_text(channel) AS channel,
    crm_text(region) AS region,
    CASE
    WHEN crm_text(status) IS NULL THEN 'completed'
    WHEN lower(crm_text(status)) IN ('completed', 'complete', 'paid', 'delivered', 'shipped', 'closed',
         '已完成', '完成', '已付款', '已发货', '已签收', '交易成功') THEN 'completed'
    WHEN lower(crm_text(status)) IN ('refunded', 'refund', 'returned', '已退款', '退款', '退货', '已退货')
         THEN 'refunded'
    WHEN lower(crm_text(status)) IN ('cancelled', 'canceled', 'void', '已取消', '取消', '交易关闭')
         THEN 'cancelled'
    ELSE lower(crm_text(status)) END AS status,
    coalesce(abs(coalesce(TRY_CAST(_quantity__value AS DOUBLE), 1) * TRY_CAST(_unit_price__value AS DECIMAL(18, 2))
                - coalesce(TRY_CAST(_discount__value AS DECIMAL(18, 2)), 0) - TRY_CAST({% call sales_amount() %}{% endcall %} AS DECIMAL(18, 2))) > 0.01, false) AS amount_mismatch,
{% elif kind == "crm_accounts" %}
    crm_text(account_id) AS account_id,
    crm_text(sales_customer_code) AS sales_customer_code,
    crm_text(contact_name) AS contact_name,
    crm_text(company) AS company,
    crm_text(industry) AS industry,
    crm_text(company_size) AS company_size,
    crm_text(region) AS region,
    crm_phone(phone) AS phone_e164,
    crm_email(email) AS email,
    CAST(crm_timestamp_in(_date_order, created_date) AS DATE) AS created_date,
    crm_text(lead_source) AS lead_source,
    crm_text(owner) AS owner,
{% elif kind == "crm_interactions" %}
    coalesce(crm_text(interaction_id), {% call content_id() %}{% endcall %}) AS interaction_id,
    crm_text(account_id) AS account_id,
    CASE
    WHEN lower(crm_text(interaction_type)) IN ('call', 'phone', 'phone call', '电话', '电话拜访') THEN 'call'
    WHEN lower(crm_text(interaction_type)) IN ('visit', 'site visit', '拜访', '上门拜访', '实地拜访') THEN 'visit'
    WHEN lower(crm_text(interaction_type)) IN ('meeting', '会议', '会面') THEN 'meeting'
    WHEN lower(crm_text(interaction_type)) IN ('wechat', 'wechat message', '微信', '企业微信') THEN 'wechat'
    WHEN lower(crm_text(interaction_type)) IN ('email', 'e-mail', '邮件') THEN 'email'
    ELSE lower(crm_text(interaction_type)) END AS interaction_type,
    crm_timestamp_in(_date_order, interaction_date) AS interaction_ts,
    crm_text(owner) AS owner,
    crm_text(notes) AS notes,
{% elif kind == "crm_opportunities" %}
    crm_text(opportunity_id) AS opportunity_id,
    crm_text(account_id) AS account_id,
    crm_text(opportunity_name) AS opportunity_name,
    crm_text(stage) AS stage,
    TRY_CAST(_amount__value AS DECIMAL(18, 2)) AS amount,
    CAST(crm_timestamp_in(_date_order, created_date) AS DATE) AS created_date,
    CAST(crm_timestamp_in(_date_order, close_date) AS DATE) AS close_date,
    CASE
    WHEN lower(coalesce(crm_text(status), '')) IN ('won', 'win', '赢单', '成交')
         OR lower(coalesce(crm_text(stage), '')) IN ('closed won', '赢单') THEN 'won'
    WHEN lower(coalesce(crm_text(status), '')) IN ('lost', 'lose', '输单', '丢单')
         OR lower(coalesce(crm_text(stage), '')) IN ('closed lost', '输单') THEN 'lost'
    ELSE 'open' END AS status,
    crm_text(owner) AS owner,
{% elif kind == "service_tickets" %}
    crm_text(ticket_id) AS ticket_id,
    crm_phone(phone) AS phone_e164,
    crm_email(email) AS email,
    crm_timestamp_in(_date_order, opened_at) AS opened_at,
    crm_timestamp_in(_date_order, first_response_at) AS first_response_at,
    crm_timestamp_in(_date_order, resolved_at) AS resolved_at,
    crm_text(channel) AS channel, crm_text(category) AS category, crm_text(priority) AS priority,
    crm_text(status) AS status,
    TRY_CAST(crm_number(csat) AS INTEGER) AS csat,
{% elif kind == "service_nps" %}
    coalesce(crm_text(response_id), {% call content_id() %}{% endcall %}) AS response_id,
    crm_phone(phone) AS phone_e164,
    crm_email(email) AS email,
    crm_timestamp_in(_date_order, survey_date) AS survey_ts,
    TRY_CAST(crm_number(nps_score) AS INTEGER) AS nps_score,
    crm_text(comment) AS comment,
{% elif kind == "email_campaigns" %}
    crm_text(campaign_id) AS campaign_id, crm_text(campaign_name) AS campaign_name, crm_text(subject) AS subject,
    crm_timestamp_in(_date_order, sent_at) AS sent_at,
{% elif kind == "email_events" %}
    crm_email(email) AS email,
    crm_text(campaign_id) AS campaign_id,
    CASE
    WHEN lower(crm_text(event_type)) IN ('sent', 'send', '发送') THEN 'sent'
    WHEN lower(crm_text(event_type)) IN ('delivered', 'delivery', '送达') THEN 'delivered'
    WHEN lower(crm_text(event_type)) IN ('open', 'opened', '打开') THEN 'open'
    WHEN lower(crm_text(event_type)) IN ('click', 'clicked', '点击') THEN 'click'
    WHEN lower(crm_text(event_type)) IN ('bounce', 'bounced', '退信') THEN 'bounce'
    WHEN lower(crm_text(event_type)) IN ('unsubscribe', 'unsubscribed', '退订') THEN 'unsubscribe'
    ELSE lower(crm_text(event_type)) END AS event_type,
    crm_timestamp_in(_date_order, event_time) AS event_ts,
{% endif %}
{% for rule in rules %}
    coalesce(({% call failing(rule) %}{% endcall %}), false) AS _fail_{{ loop.index0 }}, CAST({{ rule.column }} AS VARCHAR) AS _raw_{{ loop.index0 }},
{% endfor %}
    r._source_file, r._sheet, r._row_number, r._loaded_at, r._file_modified_at, r._file_sequence,
    v.file_hash IS NULL AS _superseded
FROM {% call dated() %}{% endcall %} r
LEFT JOIN current_versions v
  ON v.source_file = r._source_file AND v.sheet IS NOT DISTINCT FROM r._sheet AND v.file_hash = r._file_hash;

{# Later delivery first: later load pass, then the file modified later, then the higher version in
   its name; file, sheet and row only make the order total (the same result on every run). #}
CREATE OR REPLACE TEMP TABLE _ranked AS
SELECT *, row_number() OVER (PARTITION BY {% for k in key %}{% if not loop.first %}, {% endif %}{{ k }}{% endfor %}

                             ORDER BY _loaded_at DESC, _file_modified_at DESC NULLS LAST, _file_sequence DESC NULLS LAST,
                                      _source_file DESC, _sheet DESC NULLS LAST, _row_number DESC) AS _rank
FROM _typed WHERE NOT ({% for rule in rules %}{% if not loop.first %} OR {% endif %}_fail_{{ loop.index0 }}{% else %}false{% endfor %}) AND NOT _superseded;
