-- The company-key macros (TEMP: the warehouse file keeps no code). The word lists of the legal forms
-- and place names and the full-width letters are bound once, as the connection's variable
-- identity_words, which the macros read.
SET VARIABLE identity_words = {
    'full_width': CAST($full_width AS VARCHAR), 'half_width': CAST($half_width AS VARCHAR),
    'legal_forms': CAST($legal_forms AS VARCHAR), 'places': CAST($places AS VARCHAR)
};

-- Lower case, full-width letters/digits as ASCII (translate only when there are any: it is slow),
-- every opening / closing bracket as ( / ), everything else but letters and digits removed.
CREATE OR REPLACE TEMP MACRO identity_company_text(x) AS
    regexp_replace(regexp_replace(regexp_replace(lower(
        CASE WHEN regexp_matches(CAST(x AS VARCHAR), '[\x{FF10}-\x{FF5A}]')
             THEN translate(CAST(x AS VARCHAR), getvariable('identity_words').full_width,
                            getvariable('identity_words').half_width)
             ELSE CAST(x AS VARCHAR) END),
        '\p{Ps}', '(', 'g'), '\p{Pe}', ')', 'g'), '[^\p{L}\p{N}()]', '', 'g');

-- Legal forms at the end dropped (a lone 公司 too, but not 分公司: a branch is another entity).
CREATE OR REPLACE TEMP MACRO identity_strip_legal(x) AS
    regexp_replace(regexp_replace(x, '(' || getvariable('identity_words').legal_forms || ')+$', ''),
                   '([^分])公司$', '\1');

-- Company key from the text above: bracketed parts first, then the rest; legal forms dropped from
-- both; a leading 杭州市 read as 杭州. NULL when nothing is left.
CREATE OR REPLACE TEMP MACRO identity_key_of_text(t) AS
    nullif(regexp_replace(
        identity_strip_legal(array_to_string(regexp_extract_all(t, '\(([^()]*)\)', 1), ''))
        || identity_strip_legal(regexp_replace(regexp_replace(t, '\([^()]*\)', '', 'g'), '[()]', '', 'g')),
        '^(' || getvariable('identity_words').places || ')(市|省)', '\1'), '');

-- Place-free key: leading province / city names (with 省, 市, 自治区 ...) dropped from a company key.
CREATE OR REPLACE TEMP MACRO identity_place_free_key(company_key) AS
    nullif(regexp_replace(company_key, '^((' || getvariable('identity_words').places || ')(特别行政区|自治区|省|市)?)+', ''), '');

-- The company key of a name in one call (for single values; tables use the two steps, see identity_map.sql).
CREATE OR REPLACE TEMP MACRO identity_company_key(x) AS identity_key_of_text(identity_company_text(x));
