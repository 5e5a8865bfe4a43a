-- The masking rules (see assets/common/masking.py), as TEMP macros of the connection.

-- The digits of a phone number, without the +86 / 0086 country code of a Chinese number.
CREATE OR REPLACE TEMP MACRO mask_phone_national(x) AS
    CASE WHEN regexp_matches(trim(CAST(x AS VARCHAR)), '^(\+|00)86')
         THEN regexp_replace(regexp_replace(CAST(x AS VARCHAR), '[^0-9]', '', 'g'), '^(00)?86', '')
         ELSE regexp_replace(CAST(x AS VARCHAR), '[^0-9]', '', 'g') END;

-- A mobile (11 digits or more): the first 3 and the last 4; a landline (8 to 10): the last 4.
CREATE OR REPLACE TEMP MACRO mask_phone(x) AS
    CASE WHEN x IS NULL THEN NULL
         WHEN length(mask_phone_national(x)) >= 11
             THEN left(mask_phone_national(x), 3) || '****' || right(mask_phone_national(x), 4)
         WHEN length(mask_phone_national(x)) >= 8 THEN '****' || right(mask_phone_national(x), 4)
         ELSE '***' END;

-- The first character of the name, *** and the whole domain.
CREATE OR REPLACE TEMP MACRO mask_email(x) AS
    CASE WHEN x IS NULL THEN NULL
         WHEN regexp_matches(lower(trim(CAST(x AS VARCHAR))), '^[^@\s]+@[^@\s]+$')
             THEN left(lower(trim(CAST(x AS VARCHAR))), 1) || '***@' || split_part(lower(trim(CAST(x AS VARCHAR))), '@', 2)
         ELSE '***' END;
