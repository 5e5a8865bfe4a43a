-- analytics.clusters and analytics.cluster_profiles from the frames build_clusters registers:
-- _cluster_features (one row per buying customer), _cluster_labels (customer_id, cluster) and
-- _cluster_profiles (one row per cluster). Structure: `features`, the feature columns in order.
CREATE OR REPLACE TABLE analytics.clusters AS
SELECT f.customer_id, l.cluster, p.cluster_name, p.cluster_name_zh,
       f.recency_days, f.orders, f.revenue, f.average_order_value, f.category_count,
       f.recent_interactions, f.recent_complaints, f.email_open_rate,
       CAST($as_of AS DATE) AS as_of
FROM _cluster_features f
JOIN _cluster_labels l USING (customer_id)
JOIN _cluster_profiles p USING (cluster)
ORDER BY f.customer_id;

CREATE OR REPLACE TABLE analytics.cluster_profiles AS
SELECT cluster, cluster_name, cluster_name_zh, customers, share,
       {% for feature in features %}mean_{{ feature }}, {% endfor %}
       {% for feature in features %}z_{{ feature }}, {% endfor %}
       traits, traits_zh,
       CAST($silhouette AS DOUBLE) AS silhouette, CAST($k AS INTEGER) AS k,
       CAST($features_used AS VARCHAR) AS features_used,
       CAST($as_of AS DATE) AS as_of
FROM _cluster_profiles
ORDER BY cluster;
