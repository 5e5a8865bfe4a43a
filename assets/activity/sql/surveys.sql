-- NPS groups as Bain defines them: 9-10 promoter, 7-8 passive, 0-6 detractor.
CREATE OR REPLACE TABLE core.surveys AS
SELECT s.response_id, m.customer_id, s.survey_ts, CAST(s.survey_ts AS DATE) AS survey_date, s.nps_score,
       CASE WHEN s.nps_score >= 9 THEN 'promoter' WHEN s.nps_score >= 7 THEN 'passive' ELSE 'detractor' END
         AS nps_group,
       s.comment
FROM staging.service_nps s
LEFT JOIN core.identity_map m ON m.source = 'service_nps' AND m.source_key = s.response_id
ORDER BY s.response_id;
