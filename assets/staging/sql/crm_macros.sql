-- The parsing macros of the staging layer, created per connection (TEMP) by
-- assets/staging/sql_functions.py install_sql_functions: the warehouse file carries no code, and every
-- run uses the code it ships with. crm_phone is created last (install checks for it).
-- Date layouts of crm_timestamp: those found in Chinese CRM/ERP exports; Excel serial day numbers
-- are handled separately, text with an explicit UTC offset is converted to China time (UTC+8).
-- Day/month dates (crm_timestamp_in) use '/' (dots and dashes are turned into slashes first), with
-- or without a time. crm_number_parts_of translates the characters of numbers as typed in Chinese
-- software to ASCII: full-width digits and signs, the Unicode minus; the full-width comma,
-- apostrophes and no-break/thin spaces only ever group thousands, so they become the neutral group mark '.

-- Trimmed text with inner whitespace runs collapsed; empty text becomes NULL.
CREATE OR REPLACE TEMP MACRO crm_text(x) AS
        nullif(trim(regexp_replace(CAST(x AS VARCHAR), '[\s　]+', ' ', 'g')), '');

-- Excel stores dates as days since 1899-12-30; five-digit numbers are such serials.
CREATE OR REPLACE TEMP MACRO crm_timestamp(x) AS
        CASE
          WHEN crm_text(x) IS NULL THEN NULL
          WHEN regexp_full_match(crm_text(x), '\d{5}(\.\d+)?')
            THEN TIMESTAMP '1899-12-30'
                 + to_seconds(CAST(round(CAST(crm_text(x) AS DOUBLE) * 86400) AS BIGINT))
          WHEN regexp_matches(crm_text(x), '([+-]\d{2}:?\d{2}|Z)$')
            THEN CAST(timezone('Asia/Shanghai', TRY_CAST(crm_text(x) AS TIMESTAMPTZ)) AS TIMESTAMP)
          ELSE try_strptime(crm_text(x), ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d', '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M', '%Y年%m月%d日', '%Y.%m.%d', '%Y%m%d'])
        END;

-- Day/month dates (25/12/2024, 12.25.2024 8:26): whether a value has that shape, which order it
-- proves ('dmy': a day above 12 first; 'mdy': second; NULL: either could be), and the timestamp
-- read in a file's order (see assets/staging/date_order.py); other layouts as crm_timestamp.
CREATE OR REPLACE TEMP MACRO crm_day_month_shaped(x) AS
        coalesce(regexp_matches(crm_text(x), '^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}(\D|$)'), false);

CREATE OR REPLACE TEMP MACRO crm_day_month_evidence(x) AS
        list_transform([regexp_extract(crm_text(x), '^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}(\D|$)', ['a', 'b', 'rest'])],
            lambda p: CASE WHEN TRY_CAST(p.a AS INTEGER) > 12 AND TRY_CAST(p.b AS INTEGER) <= 12 THEN 'dmy'
                           WHEN TRY_CAST(p.b AS INTEGER) > 12 AND TRY_CAST(p.a AS INTEGER) <= 12 THEN 'mdy' END)[1];

CREATE OR REPLACE TEMP MACRO crm_timestamp_in(date_order, x) AS
        CASE WHEN crm_day_month_shaped(x)
             THEN CASE date_order
                    WHEN 'dmy' THEN try_strptime(regexp_replace(crm_text(x), '[.\-]', '/', 'g'), ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y %I:%M:%S %p', '%d/%m/%Y %I:%M %p', '%d/%m/%Y'])
                    WHEN 'mdy' THEN try_strptime(regexp_replace(crm_text(x), '[.\-]', '/', 'g'), ['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %I:%M %p', '%m/%d/%Y'])
                  END
             ELSE crm_timestamp(x) END;

-- A number is read in steps, each a macro over the previous step's result, so that the staging
-- query can compute every step once per value (see assets/staging/numbers.py):
-- crm_number_parts_of(t)   sign, digits, exponent and Chinese unit (千 万 亿); currency removed
-- crm_number_body(p)       the digits and separators of a well-formed number
-- crm_number_format_of(b)  how the digits can be read:
-- 'plain'      digits only, maybe grouped by spaces or apostrophes (1234, 1 234, 1'234);
-- 'dot'        readable only with '.' as decimal separator (1,234.50, 12.5, 1,234,567);
-- 'comma'      readable only with ',' as decimal separator (1.234,50, 12,5, 1.234.567);
-- 'ambiguous'  readable both ways, with different values (1,234 is 1234 or 1.234);
-- NULL         not a number (abc, 面议, 10%, empty);
-- crm_decimal_decision(...)  the decimal separator of a column in a file, from its evidence;
-- crm_number_value_of(p, b, crm_reading_mark(format, mark))  the exact value.
-- crm_number_as(x, mark), crm_number(x) and crm_amount(x) do all steps for a single value.

-- Of the text t = crm_text(x). Plain digits with an optional decimal part (most values) skip the
-- full, slower parse.
CREATE OR REPLACE TEMP MACRO crm_number_parts_of(t) AS
        CASE WHEN regexp_full_match(t, '[0-9]+([.,][0-9]+)?')
             THEN {'open': '', 'sign': '', 'body': t, 'exponent': '', 'unit': '', 'minus': '', 'close': ''}
             ELSE regexp_extract(
            trim(regexp_replace(upper(translate(t, '０１２３４５６７８９．－−＋（）％Ｅｅ，＇’   ', '0123456789.--+()%EE''''''   ')),
                                '[¥￥元]|RMB|CNY|人民币', '', 'g')),
            '^(\(?)\s*([+-]?)\s*([0-9.,'' ]*[0-9][0-9.,'' ]*?)\s*(E[+-]?[0-9]{1,2})?\s*([千万亿]?)\s*(-?)\s*(\)?)$',
            ['open', 'sign', 'body', 'exponent', 'unit', 'minus', 'close']) END;

-- Inner spaces become the group mark '; NULL when the sign is malformed ("(12", "-12-", "+(12)").
CREATE OR REPLACE TEMP MACRO crm_number_body(p) AS
        CASE WHEN p.body <> '' AND p.open || p.sign || '#' || p.minus || p.close IN ('#', '-#', '+#', '(#)', '#-')
             THEN replace(trim(p.body), ' ', '''') END;

CREATE OR REPLACE TEMP MACRO crm_number_format_of(b) AS
        CASE
          WHEN b IS NULL THEN NULL
          WHEN NOT contains(b, '.') AND NOT contains(b, ',')
            THEN CASE WHEN regexp_full_match(b, '[0-9]+|[1-9][0-9]{0,2}(''[0-9]{3})+') THEN 'plain' END
          WHEN regexp_full_match(b, '([0-9]+|[1-9][0-9]{0,2}([,''][0-9]{3})+)?(\.[0-9]+)?')
            THEN CASE WHEN regexp_full_match(b, '([0-9]+|[1-9][0-9]{0,2}([.''][0-9]{3})+)?(,[0-9]+)?') THEN 'ambiguous' ELSE 'dot' END
          WHEN regexp_full_match(b, '([0-9]+|[1-9][0-9]{0,2}([.''][0-9]{3})+)?(,[0-9]+)?') THEN 'comma'
        END;

-- The separator to read a value of the given format with, when its column's separator is mark;
-- NULL when the value cannot be read that way.
CREATE OR REPLACE TEMP MACRO crm_reading_mark(format, mark) AS
        CASE format
          WHEN 'plain' THEN '.'
          WHEN 'dot' THEN CASE WHEN mark = '.' THEN '.' END
          WHEN 'comma' THEN CASE WHEN mark = ',' THEN ',' END
          WHEN 'ambiguous' THEN CASE WHEN mark IN ('.', ',') THEN mark END
        END;

-- The exact value (DECIMAL(38, 6)) read with the separator reading_mark.
CREATE OR REPLACE TEMP MACRO crm_number_value_of(p, b, reading_mark) AS
        TRY_CAST(
            CASE WHEN p.open <> '' OR p.sign = '-' OR p.minus <> '' THEN '-' ELSE '' END
            || CASE reading_mark WHEN ',' THEN replace(replace(replace(b, '.', ''), '''', ''), ',', '.')
                                 WHEN '.' THEN replace(replace(b, ',', ''), '''', '') END
            || 'E' || (coalesce(TRY_CAST(substr(p.exponent, 2) AS INTEGER), 0)
                       + CASE p.unit WHEN '千' THEN 3 WHEN '万' THEN 4 WHEN '亿' THEN 8 ELSE 0 END)
            AS DECIMAL(38, 6));

-- Why a value of text t (crm_text), format and value cannot be used when its column's separator
-- is mark; NULL when it can (or when there is no value).
CREATE OR REPLACE TEMP MACRO crm_number_problem_of(t, format, mark, value) AS
        CASE
          WHEN t IS NULL THEN NULL
          WHEN regexp_matches(t, '[%％‰]\s*[)）]?$') THEN 'percentage'
          WHEN format IS NULL THEN 'not a number'
          WHEN format = 'ambiguous' AND mark IS NULL THEN 'ambiguous'
          WHEN format IN ('dot', 'comma') AND crm_reading_mark(format, mark) IS NULL THEN 'contradicts'
          WHEN value IS NULL THEN 'not a number'
        END;

-- The decimal separator of one column in one file, from the counts of its values readable only
-- with '.' (column_dot) or only with ',' (column_comma): the column's majority; else the setting
-- '.' or ','; else (setting 'auto') the majority of the file's other number columns; else '.',
-- the Chinese convention. Evidence split evenly leaves the column undecided (mark NULL).
CREATE OR REPLACE TEMP MACRO crm_decimal_decision(column_dot, column_comma, file_dot, file_comma, setting) AS
        CASE
          WHEN column_comma > column_dot THEN {'mark': ',', 'decided_by': 'column evidence'}
          WHEN column_dot > column_comma THEN {'mark': '.', 'decided_by': 'column evidence'}
          WHEN setting IN ('.', ',') THEN {'mark': setting, 'decided_by': 'setting'}
          WHEN column_dot > 0 THEN {'mark': NULL, 'decided_by': 'conflicting evidence'}
          WHEN file_comma > file_dot THEN {'mark': ',', 'decided_by': 'file evidence'}
          WHEN file_dot > file_comma THEN {'mark': '.', 'decided_by': 'file evidence'}
          WHEN file_dot > 0 THEN {'mark': NULL, 'decided_by': 'conflicting evidence'}
          ELSE {'mark': '.', 'decided_by': 'default'}
        END;

-- --- one value on its own -------------------------------------------------------------------
-- (The lambdas compute each step once: a macro argument used twice would be computed twice.)
CREATE OR REPLACE TEMP MACRO crm_number_parts(x) AS crm_number_parts_of(crm_text(x));

CREATE OR REPLACE TEMP MACRO crm_number_format(x) AS
        list_transform([crm_number_body(crm_number_parts(x))], lambda b: crm_number_format_of(b))[1];

-- x read as a value of a column whose decimal separator is mark ('.' or ','; NULL: undecided).
CREATE OR REPLACE TEMP MACRO crm_number_as(x, mark) AS
        list_transform([crm_number_parts(x)], lambda p: list_transform([crm_number_body(p)], lambda b:
            crm_number_value_of(p, b, crm_reading_mark(crm_number_format_of(b), mark)))[1])[1];

CREATE OR REPLACE TEMP MACRO crm_number_problem(x, mark) AS
        crm_number_problem_of(crm_text(x), crm_number_format(x), mark, crm_number_as(x, mark));

-- x read with the separator it shows by itself ("," only when the value can only be read with a
-- decimal comma, else "."), for values read on their own, outside a column of evidence (scores,
-- line numbers). Each step is bound once through lambdas: nesting the macros instead expanded the
-- parse inside itself and every use took 60 ms to bind.
CREATE OR REPLACE TEMP MACRO crm_number_own(x) AS
        list_transform([crm_number_parts(x)], lambda p: list_transform([crm_number_body(p)], lambda b:
            list_transform([crm_number_format_of(b)], lambda f:
                crm_number_value_of(p, b, crm_reading_mark(f, CASE f WHEN 'comma' THEN ',' ELSE '.' END))
            )[1])[1])[1];

CREATE OR REPLACE TEMP MACRO crm_number(x) AS
        CASE WHEN regexp_full_match(crm_text(x), '[0-9]{1,15}') THEN TRY_CAST(crm_text(x) AS DOUBLE)
             ELSE CAST(crm_number_own(x) AS DOUBLE) END;

-- Money, exact to the fen: "¥1,234.50", "1,234.50元", "RMB 1234.5", "(1,234.50)", "1.5万".
CREATE OR REPLACE TEMP MACRO crm_amount(x) AS TRY_CAST(crm_number_own(x) AS DECIMAL(18, 2));

CREATE OR REPLACE TEMP MACRO crm_email(x) AS
        CASE WHEN regexp_full_match(lower(crm_text(x)), '[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}')
             THEN lower(crm_text(x)) END;

-- Chinese mobile numbers in any common layout (+86 138-0013-8000, 0086..., (+86)...) are turned into
-- E.164 in SQL; anything else with enough digits (landlines such as 010-12345678 or 0571-8888 9999,
-- foreign numbers) goes through Google's phonenumbers rules.
CREATE OR REPLACE TEMP MACRO crm_phone(x) AS
        CASE
          WHEN regexp_full_match(regexp_replace(CAST(x AS VARCHAR), '\D', '', 'g'), '(0086|86)?1[3-9]\d{9}')
               AND NOT regexp_matches(regexp_replace(CAST(x AS VARCHAR), '[\s()\-]', '', 'g'), '^\+[0-79]')
            THEN '+86' || right(regexp_replace(CAST(x AS VARCHAR), '\D', '', 'g'), 11)
          WHEN length(regexp_replace(CAST(x AS VARCHAR), '\D', '', 'g')) >= 7
            THEN crm_phone_by_rules(CAST(x AS VARCHAR))
        END;
